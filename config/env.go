package config

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvPrefix starts every environment override.
const EnvPrefix = "PORTICO_"

// envVars are the environment overrides, each the upper-cased dotted key with
// '.' written as '_': PORTICO_DATABASE_URL is database.url. They override the
// file; command-line flags override them.
var envVars = map[string]func(c *Config, v string) error{
	"PORTICO_SERVER_LISTEN": func(c *Config, v string) error { c.Server.Listen = v; return nil },
	"PORTICO_SERVER_DATA":   func(c *Config, v string) error { c.Server.Data = v; return nil },
	"PORTICO_DATABASE_URL":  func(c *Config, v string) error { c.Database.URL = v; return nil },
	"PORTICO_CATALOG_ORPHANSTRATEGY": func(c *Config, v string) error {
		c.Catalog.OrphanStrategy = v
		return nil
	},
	"PORTICO_CATALOG_PROCESSINGINTERVAL": func(c *Config, v string) error {
		iv, err := ParseInterval(v)
		if err != nil {
			return err
		}
		c.Catalog.ProcessingInterval = iv
		return nil
	},
	"PORTICO_CATALOG_READONLY": func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("expected true or false but found %q", v)
		}
		c.Catalog.Readonly = b
		return nil
	},
	"PORTICO_CATALOG_ALLOWEDLOCATIONTYPES": func(c *Config, v string) error {
		c.Catalog.AllowedLocationTypes = nil
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				c.Catalog.AllowedLocationTypes = append(c.Catalog.AllowedLocationTypes, t)
			}
		}
		return nil
	},
}

// EnvNames lists the recognised environment variables (for docs and help).
func EnvNames() []string {
	out := make([]string, 0, len(envVars))
	for k := range envVars {
		out = append(out, k)
	}
	return out
}

// applyEnv applies PORTICO_… overrides. An unknown PORTICO_ variable that looks
// like a config key is an error, as an unknown file key is; variables other
// areas own (PORTICO_TEST_…) are left alone.
func applyEnv(c *Config, env []string) error {
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) {
			continue
		}
		set, known := envVars[k]
		if !known {
			if isConfigEnv(k) {
				return fmt.Errorf("config: unknown environment variable %s (known: server, database and catalog overrides, see config.EnvNames)", k)
			}
			continue
		}
		if err := set(c, v); err != nil {
			return fmt.Errorf("config: %s: %w", k, err)
		}
	}
	return nil
}

// isConfigEnv reports whether k names a key in a section this package decodes.
func isConfigEnv(k string) bool {
	for _, sec := range []string{"SERVER_", "DATABASE_", "CATALOG_"} {
		if strings.HasPrefix(k, EnvPrefix+sec) {
			return true
		}
	}
	return false
}
