// Package config owns Portico's one configuration loader: the YAML file shaped
// like Backstage's app-config where Backstage has the setting, Portico's own
// defaults, and the PORTICO_… environment overrides.
//
// It must never import catalog/ingest, web, host or any store: those are
// configured from a *Config, not the other way round.
//
// Decoding is strict: an unknown key is an error naming the key and its line.
// Sections that later issues define (plugins)
// are accepted today as raw maps (map[string]any), so a config file written for
// a newer Portico does not fail; each becomes a typed struct, decoded strictly,
// when its owner lands.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults used when neither the file, the environment nor a flag sets a value.
const (
	DefaultListen             = "127.0.0.1:7007"
	DefaultData               = "./portico-data"
	DefaultProcessingInterval = 2 * time.Minute
	DefaultOrphanStrategy     = "delete"
)

// DefaultAllowedLocationTypes are the location types the API may register
// (catalog.allowedLocationTypes). Backstage's default is [url]; Portico also
// allows file so that `portico catalog import ./dir --server …` works on a
// laptop. Set [url] to forbid registering server-side paths over the API.
var DefaultAllowedLocationTypes = []string{"url", "file"}

// Config is the whole configuration file.
type Config struct {
	Server   Server   `yaml:"server"`
	Database Database `yaml:"database"`
	Catalog  Catalog  `yaml:"catalog"`
	Search   Search   `yaml:"search"`

	// Sections owned by later issues; accepted, not yet interpreted.
	Auth       Auth           `yaml:"auth"`
	Plugins    map[string]any `yaml:"plugins"`
	Trust      Trust          `yaml:"trust"`
	Permission Permission     `yaml:"permission"`

	// Path is the absolute path of the file loaded ("" when none); Dir is the
	// directory relative paths in it were resolved against.
	Path string `yaml:"-"`
	Dir  string `yaml:"-"`
}

// Server is the HTTP server and the data directory.
type Server struct {
	Listen string `yaml:"listen"`
	// Data is the data directory (embedded store, caches). A relative value in
	// the file is relative to the file's directory.
	Data string `yaml:"data"`
}

// Database selects the store: empty URL = embedded SQLite in the data
// directory; postgres://… or postgresql://… = PostgreSQL.
type Database struct {
	URL string `yaml:"url"`
}

// IsPostgres reports whether the URL names a PostgreSQL server.
func (d Database) IsPostgres() bool {
	return strings.HasPrefix(d.URL, "postgres://") || strings.HasPrefix(d.URL, "postgresql://")
}

// Catalog is the catalog section (Backstage's catalog.* where it exists).
type Catalog struct {
	Locations []Location `yaml:"locations"`
	// Rules are the global catalog rules. Nil means Portico's default: every
	// built-in kind and every registered custom kind is allowed.
	Rules []Rule `yaml:"rules"`
	// OrphanStrategy is keep or delete (default delete, as Backstage 4.0).
	OrphanStrategy string `yaml:"orphanStrategy"`
	// ProcessingInterval is how often locations are refreshed.
	ProcessingInterval Interval `yaml:"processingInterval"`
	// Kinds registers custom kinds by JSON Schema.
	Kinds []Kind `yaml:"kinds"`
	// Readonly refuses location changes through the API.
	Readonly bool `yaml:"readonly"`
	// AllowedLocationTypes limits what POST /locations may register.
	AllowedLocationTypes []string `yaml:"allowedLocationTypes"`
}

// Location is one catalog.locations entry. A file target is made absolute
// against the config file's directory.
type Location struct {
	Type   string `yaml:"type"`
	Target string `yaml:"target"`
	Rules  []Rule `yaml:"rules"`
	Line   int    `yaml:"-"`
}

// Rule is one catalog rule: the kinds it allows and, for global rules, the
// locations it is limited to (Backstage's catalog.rules[].locations).
type Rule struct {
	Allow     []string       `yaml:"allow"`
	Locations []RuleLocation `yaml:"locations"`
}

// RuleLocation limits a global rule to root locations of Type whose target
// is Exact (Target is accepted as a synonym) or matches the glob Pattern, as
// Backstage's catalog.rules[].locations.
type RuleLocation struct {
	Type    string `yaml:"type"`
	Exact   string `yaml:"exact"`
	Target  string `yaml:"target"`
	Pattern string `yaml:"pattern"`
}

// Trust is the plugin publishers this portal trusts (host/registry checks
// plugin signatures against it):
//
//	trust:
//	  require: true        # refuse unsigned plugins and unknown signers
//	  keys:
//	    - {name: acme, publicKey: BASE64}   # `portico plugin keygen` writes KEY.pub
type Trust struct {
	Require bool       `yaml:"require"`
	Keys    []TrustKey `yaml:"keys"`
}

// TrustKey is one publisher's ed25519 public key: standard base64 of its 32
// bytes (an "ed25519:" prefix is accepted).
type TrustKey struct {
	Name      string `yaml:"name"`
	PublicKey string `yaml:"publicKey"`
}

// PublicKeyBytes decodes PublicKey (finish has validated it).
func (k TrustKey) PublicKeyBytes() ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(k.PublicKey), "ed25519:"))
	if err != nil {
		return nil, err
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("%d bytes, want 32", len(b))
	}
	return b, nil
}

func (t Trust) validate() error {
	seen := map[string]bool{}
	for i, k := range t.Keys {
		if k.Name == "" {
			return fmt.Errorf("trust.keys[%d].name is required", i)
		}
		if seen[k.Name] {
			return fmt.Errorf("trust.keys[%d]: duplicate name %q", i, k.Name)
		}
		seen[k.Name] = true
		if _, err := k.PublicKeyBytes(); err != nil {
			return fmt.Errorf("trust.keys[%d] (%s).publicKey: want base64 of an ed25519 public key: %v", i, k.Name, err)
		}
	}
	if t.Require && len(t.Keys) == 0 {
		return errors.New("trust.require is true but trust.keys is empty: no plugin could be installed")
	}
	return nil
}

// Kind registers a custom kind; Schema is a JSON Schema path, relative to the
// config file's directory.
type Kind struct {
	Schema string `yaml:"schema"`
}

// AllowedKinds flattens rules to their allowed kinds (in order, without duplicates).
func AllowedKinds(rules []Rule) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rules {
		for _, k := range r.Allow {
			if !seen[strings.ToLower(k)] {
				seen[strings.ToLower(k)] = true
				out = append(out, k)
			}
		}
	}
	return out
}

// Load reads the config file at path (none when path is ""), applies defaults
// and then the environment overrides from env (KEY=VALUE strings, as
// os.Environ). Relative paths in the file are resolved against its directory.
func Load(path string, env []string) (*Config, error) {
	c := &Config{}
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if err := decode(data, c); err != nil {
			return nil, fmt.Errorf("config %s: %w", abs, err)
		}
		c.Path, c.Dir = abs, filepath.Dir(abs)
		// Only the file's own value is relative to the file; an environment
		// or flag value is relative to the working directory.
		if c.Server.Data != "" && !filepath.IsAbs(c.Server.Data) {
			c.Server.Data = filepath.Join(c.Dir, c.Server.Data)
		}
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		c.Dir = wd
	}
	if err := applyEnv(c, env); err != nil {
		return nil, err
	}
	if err := c.Auth.expandSecrets(env); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.finish(); err != nil {
		if c.Path != "" {
			return nil, fmt.Errorf("config %s: %w", c.Path, err)
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// decode is strict: unknown keys and a second document are errors.
func decode(data []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: all defaults
		}
		return cleanYAMLError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fmt.Errorf("line %d: a config file holds one YAML document", extra.Line)
	}
	if err := checkKeys(&root); err != nil {
		return err
	}
	if err := root.Decode(c); err != nil {
		return cleanYAMLError(err)
	}
	setLines(&root, c)
	return nil
}

// cleanYAMLError rewrites yaml.v3's "field x not found in type config.y" into
// words a user knows.
func cleanYAMLError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n  ")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	for {
		i := strings.Index(msg, " not found in type ")
		if i < 0 {
			break
		}
		j := i + len(" not found in type ")
		k := j
		for k < len(msg) && msg[k] != ';' && msg[k] != '\n' {
			k++
		}
		msg = msg[:i] + ": unknown key" + msg[k:]
	}
	msg = strings.ReplaceAll(msg, ": field ", ": ")
	return errors.New(msg)
}

// checkKeys reports unknown keys with their dotted path and line, before the
// struct decode does, so the message names the section.
func checkKeys(root *yaml.Node) error {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return nil
	}
	if doc.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: the config file must be a mapping of sections", doc.Line)
	}
	return walkKeys(doc, "", schema)
}

// schema lists the known keys; a nil child means "any value" (raw sections,
// free-form values); a *keySet child is a nested mapping or a list of them.
type keySet struct {
	keys map[string]*keySet
	any  bool // accept anything under this key
}

var anyKeys = &keySet{any: true}

func ks(m map[string]*keySet) *keySet { return &keySet{keys: m} }

var ruleKeys = ks(map[string]*keySet{
	"allow":     nil,
	"locations": ks(map[string]*keySet{"type": nil, "target": nil, "exact": nil, "pattern": nil}),
})

var schema = ks(map[string]*keySet{
	"server":   ks(map[string]*keySet{"listen": nil, "data": nil}),
	"database": ks(map[string]*keySet{"url": nil}),
	"catalog": ks(map[string]*keySet{
		"locations":            ks(map[string]*keySet{"type": nil, "target": nil, "rules": ruleKeys}),
		"rules":                ruleKeys,
		"orphanStrategy":       nil,
		"processingInterval":   anyKeys,
		"kinds":                ks(map[string]*keySet{"schema": nil}),
		"readonly":             nil,
		"allowedLocationTypes": nil,
	}),
	"auth":    authKeys,
	"plugins": anyKeys,
	"search": ks(map[string]*keySet{
		"meilisearch": ks(map[string]*keySet{"url": nil, "index": nil}),
	}),
	"trust": ks(map[string]*keySet{
		"require": nil,
		"keys":    ks(map[string]*keySet{"name": nil, "publicKey": nil}),
	}),
	"permission": permissionKeys,
})

func walkKeys(n *yaml.Node, path string, set *keySet) error {
	if set == nil || set.any {
		return nil
	}
	switch n.Kind {
	case yaml.SequenceNode:
		for i, item := range n.Content {
			if err := walkKeys(item, fmt.Sprintf("%s[%d]", path, i), set); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			child, ok := set.keys[k.Value]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			if !ok {
				return fmt.Errorf("line %d: unknown key %q", k.Line, p)
			}
			if err := walkKeys(v, p, child); err != nil {
				return err
			}
		}
	}
	return nil
}

// setLines records each catalog.locations entry's line for error messages.
func setLines(root *yaml.Node, c *Config) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	cat := mapValue(doc, "catalog")
	locs := mapValue(cat, "locations")
	if locs == nil || locs.Kind != yaml.SequenceNode {
		return
	}
	for i, item := range locs.Content {
		if i < len(c.Catalog.Locations) {
			c.Catalog.Locations[i].Line = item.Line
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// finish applies defaults, resolves relative paths and validates values.
func (c *Config) finish() error {
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if err := c.Trust.validate(); err != nil {
		return err
	}
	if err := c.Permission.finish(c.Dir); err != nil {
		return err
	}
	if err := c.Auth.finish(c.Server.Listen); err != nil {
		return err
	}
	cat := &c.Catalog
	switch cat.OrphanStrategy {
	case "":
		cat.OrphanStrategy = DefaultOrphanStrategy
	case "keep", "delete":
	default:
		return fmt.Errorf("catalog.orphanStrategy: expected keep or delete but found %q", cat.OrphanStrategy)
	}
	if !cat.ProcessingInterval.set {
		cat.ProcessingInterval = Interval{Duration: DefaultProcessingInterval, set: true}
	}
	if cat.AllowedLocationTypes == nil {
		cat.AllowedLocationTypes = append([]string(nil), DefaultAllowedLocationTypes...)
	}
	for _, t := range cat.AllowedLocationTypes {
		if t != "url" && t != "file" {
			return fmt.Errorf("catalog.allowedLocationTypes: unknown location type %q (expected url or file)", t)
		}
	}
	for i := range cat.Locations {
		l := &cat.Locations[i]
		where := fmt.Sprintf("catalog.locations[%d]", i)
		if l.Line > 0 {
			where = fmt.Sprintf("line %d: %s", l.Line, where)
		}
		switch l.Type {
		case "file":
			if l.Target == "" {
				return fmt.Errorf("%s.target must have a value", where)
			}
			if !filepath.IsAbs(l.Target) {
				l.Target = filepath.Join(c.Dir, l.Target)
			}
			l.Target = filepath.Clean(l.Target)
		case "url":
			if !strings.HasPrefix(l.Target, "http://") && !strings.HasPrefix(l.Target, "https://") {
				return fmt.Errorf("%s.target: expected an http or https URL but found %q", where, l.Target)
			}
		default:
			return fmt.Errorf("%s.type: expected file or url but found %q", where, l.Type)
		}
		if err := checkRules(l.Rules, where+".rules"); err != nil {
			return err
		}
	}
	if err := checkRules(cat.Rules, "catalog.rules"); err != nil {
		return err
	}
	for i := range cat.Rules {
		for j := range cat.Rules[i].Locations {
			rl := &cat.Rules[i].Locations[j]
			if rl.Exact == "" {
				rl.Exact, rl.Target = rl.Target, ""
			} else if rl.Target != "" {
				return fmt.Errorf("catalog.rules[%d].locations[%d]: give exact or target, not both", i, j)
			}
			if rl.Type == "" {
				return fmt.Errorf("catalog.rules[%d].locations[%d].type must have a value", i, j)
			}
			if rl.Type == "file" {
				if rl.Exact != "" && !filepath.IsAbs(rl.Exact) {
					rl.Exact = filepath.Clean(filepath.Join(c.Dir, rl.Exact))
				}
				if rl.Pattern != "" && !filepath.IsAbs(rl.Pattern) {
					rl.Pattern = filepath.Join(c.Dir, rl.Pattern)
				}
			}
		}
	}
	for i := range cat.Kinds {
		k := &cat.Kinds[i]
		if k.Schema == "" {
			return fmt.Errorf("catalog.kinds[%d].schema must have a value", i)
		}
		if !filepath.IsAbs(k.Schema) {
			k.Schema = filepath.Join(c.Dir, k.Schema)
		}
	}
	return nil
}

func checkRules(rules []Rule, where string) error {
	for i, r := range rules {
		if len(r.Allow) == 0 {
			return fmt.Errorf("%s[%d].allow must list at least one kind", where, i)
		}
		for _, k := range r.Allow {
			if strings.TrimSpace(k) == "" {
				return fmt.Errorf("%s[%d].allow: empty kind", where, i)
			}
		}
	}
	return nil
}

// Search is the search section: the embedded index in the data directory by
// default, Meilisearch when meilisearch.url is set.
type Search struct {
	Meilisearch Meilisearch `yaml:"meilisearch"`
}

// Meilisearch selects a Meilisearch server. The API key comes only from the
// environment (PORTICO_SEARCH_MEILISEARCH_KEY), never from the file.
type Meilisearch struct {
	URL   string `yaml:"url"`
	Index string `yaml:"index"` // default DefaultMeilisearchIndex
	Key   string `yaml:"-"`
}

// DefaultMeilisearchIndex is the index uid used when search.meilisearch.index is unset.
const DefaultMeilisearchIndex = "portico"

// Enabled reports whether Meilisearch is configured.
func (m Meilisearch) Enabled() bool { return m.URL != "" }

// IndexName returns the configured index uid or the default.
func (m Meilisearch) IndexName() string {
	if m.Index == "" {
		return DefaultMeilisearchIndex
	}
	return m.Index
}

func init() {
	envVars["PORTICO_SEARCH_MEILISEARCH_URL"] = func(c *Config, v string) error { c.Search.Meilisearch.URL = v; return nil }
	envVars["PORTICO_SEARCH_MEILISEARCH_INDEX"] = func(c *Config, v string) error { c.Search.Meilisearch.Index = v; return nil }
	envVars["PORTICO_SEARCH_MEILISEARCH_KEY"] = func(c *Config, v string) error { c.Search.Meilisearch.Key = v; return nil }
}
