package config

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"sort"

	"gopkg.in/yaml.v3"
)

// PluginSettings is what the operator sets for one installed plugin in the
// `plugins` section:
//
//	plugins:
//	  pagerduty:
//	    config: {baseURL: https://api.pagerduty.com}   # validated by the plugin's config schema
//	    secrets: {token: ${PAGERDUTY_TOKEN}}          # ${VAR} reads the environment
//	    allowHTTP: [127.0.0.1]                         # extra hosts, beyond the install grant
//
// A plugin reads only its own config and secrets (portico_config_get_v1,
// portico_secret_get_v1), and a secret only when its name was granted at
// install. allowHTTP widens the plugin's HTTP grant: writing it in the config
// is an operator's grant like `plugin install --grant`, used for self-hosted
// endpoints and the demo's local simulators.
type PluginSettings struct {
	Config    map[string]any    `yaml:"config"`
	Secrets   map[string]string `yaml:"secrets"`
	AllowHTTP []string          `yaml:"allowHTTP"`
}

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$`)

// PluginSettings decodes the `plugins` section strictly (an unknown key is an
// error naming it) and resolves `${VAR}` secrets from the environment; a
// missing variable is an error, never an empty secret.
func (c *Config) PluginSettings() (map[string]PluginSettings, error) {
	out := map[string]PluginSettings{}
	if len(c.Plugins) == 0 {
		return out, nil
	}
	raw, err := yaml.Marshal(c.Plugins)
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := out[n]
		for k, v := range s.Secrets {
			m := envRef.FindStringSubmatch(v)
			if m == nil {
				continue
			}
			val, ok := os.LookupEnv(m[1])
			if !ok {
				return nil, fmt.Errorf("plugins.%s.secrets.%s: environment variable %s is not set", n, k, m[1])
			}
			s.Secrets[k] = val
		}
		out[n] = s
	}
	return out, nil
}
