package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFull(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "conf/portico.yaml", `
server:
  listen: 0.0.0.0:8080
  data: ./data
database:
  url: postgres://u@h/db
catalog:
  rules:
    - allow: [Component, API, Location]
  locations:
    - type: file
      target: ../catalog/all.yaml
    - type: file
      target: /abs/acme.yaml
      rules:
        - allow: [User, Group]
    - type: url
      target: https://example.com/catalog-info.yaml
  orphanStrategy: keep
  processingInterval: {minutes: 5}
  kinds:
    - schema: schemas/AiResource.v1alpha1.schema.json
  readonly: true
auth:
  guest: {enabled: true}
plugins: {}
search: {meilisearch: {url: http://127.0.0.1:7700, index: cat}}
trust: {keys: []}
permission: {enabled: true}
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	confDir := filepath.Join(dir, "conf")
	if c.Server.Listen != "0.0.0.0:8080" || c.Server.Data != filepath.Join(confDir, "data") {
		t.Errorf("server = %+v", c.Server)
	}
	if !c.Database.IsPostgres() {
		t.Errorf("database = %+v", c.Database)
	}
	cat := c.Catalog
	if len(cat.Locations) != 3 || cat.Locations[0].Target != filepath.Join(dir, "catalog", "all.yaml") ||
		cat.Locations[1].Target != "/abs/acme.yaml" || cat.Locations[2].Type != "url" {
		t.Errorf("locations = %+v", cat.Locations)
	}
	if got := AllowedKinds(cat.Locations[1].Rules); strings.Join(got, ",") != "User,Group" {
		t.Errorf("location rules = %v", got)
	}
	if got := AllowedKinds(cat.Rules); len(got) != 3 {
		t.Errorf("rules = %v", got)
	}
	if cat.OrphanStrategy != "keep" || cat.ProcessingInterval.Duration != 5*time.Minute || !cat.Readonly {
		t.Errorf("catalog = %+v", cat)
	}
	if cat.Kinds[0].Schema != filepath.Join(confDir, "schemas", "AiResource.v1alpha1.schema.json") {
		t.Errorf("kinds = %+v", cat.Kinds)
	}
	if !c.Auth.Guest.Enabled || !c.Permission.Enabled {
		t.Errorf("sections not kept: %+v %+v", c.Auth, c.Permission)
	}
	if m := c.Search.Meilisearch; m.URL != "http://127.0.0.1:7700" || m.IndexName() != "cat" || !m.Enabled() {
		t.Errorf("search = %+v", c.Search)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != DefaultListen || c.Server.Data != "" || c.Database.URL != "" ||
		c.Catalog.OrphanStrategy != "delete" || c.Catalog.ProcessingInterval.Duration != DefaultProcessingInterval ||
		c.Catalog.Rules != nil || len(c.Catalog.AllowedLocationTypes) != 2 {
		t.Errorf("defaults = %+v", c)
	}
	p := write(t, t.TempDir(), "empty.yaml", "# nothing yet\n")
	if _, err := Load(p, nil); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

func TestStrictKeys(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"server:\n  listen: x\n  lisen: y\n", `line 3: unknown key "server.lisen"`},
		{"catalog:\n  locations:\n    - type: file\n      target: a.yaml\n      rule: []\n", `line 5: unknown key "catalog.locations[0].rule"`},
		{"catalog:\n  rules:\n    - allow: [A]\n      deny: [B]\n", `line 4: unknown key "catalog.rules[0].deny"`},
		{"databse:\n  url: x\n", `line 1: unknown key "databse"`},
		{"catalog:\n  orphanStrategy: maybe\n", `catalog.orphanStrategy: expected keep or delete but found "maybe"`},
		{"catalog:\n  processingInterval: {minuts: 2}\n", `unknown unit "minuts"`},
		{"catalog:\n  locations:\n    - type: git\n      target: x\n", `line 3: catalog.locations[0].type: expected file or url but found "git"`},
		{"catalog:\n  locations:\n    - type: url\n      target: ./x.yaml\n", `expected an http or https URL`},
		{"server: [1, 2]\n", `line 1`},
		{"a: 1\n---\nb: 2\n", "one YAML document"},
	} {
		p := write(t, t.TempDir(), "c.yaml", c.yaml)
		_, err := Load(p, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%q: error %v, want it to contain %q and the path", c.yaml, err, c.want)
		}
	}
}

func TestProcessingIntervalForms(t *testing.T) {
	for _, c := range []struct {
		v        string
		d        time.Duration
		disabled bool
	}{
		{"{minutes: 2}", 2 * time.Minute, false},
		{"{seconds: 30}", 30 * time.Second, false},
		{"{minutes: 1, seconds: 30}", 90 * time.Second, false},
		{"90s", 90 * time.Second, false},
		{"false", 0, true},
	} {
		p := write(t, t.TempDir(), "c.yaml", "catalog:\n  processingInterval: "+c.v+"\n")
		cfg, err := Load(p, nil)
		if err != nil {
			t.Errorf("%s: %v", c.v, err)
			continue
		}
		iv := cfg.Catalog.ProcessingInterval
		if iv.Duration != c.d || iv.Disabled != c.disabled {
			t.Errorf("%s: got %+v", c.v, iv)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "c.yaml", "server:\n  listen: 1.2.3.4:1\n  data: ./d\ndatabase:\n  url: \"\"\ncatalog:\n  orphanStrategy: keep\n")
	c, err := Load(p, []string{
		"PORTICO_SERVER_LISTEN=127.0.0.1:9999",
		"PORTICO_SERVER_DATA=rel-data",
		"PORTICO_DATABASE_URL=postgres://x@y/z",
		"PORTICO_CATALOG_PROCESSINGINTERVAL=45s",
		"PORTICO_CATALOG_ORPHANSTRATEGY=delete",
		"PORTICO_TEST_PG_URL=ignored",
		"HOME=/root",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != "127.0.0.1:9999" || c.Server.Data != "rel-data" || c.Database.URL != "postgres://x@y/z" ||
		c.Catalog.ProcessingInterval.Duration != 45*time.Second || c.Catalog.OrphanStrategy != "delete" {
		t.Errorf("env not applied: %+v", c)
	}
	if _, err := Load(p, []string{"PORTICO_CATALOG_ORPHANSTRATEGY=sometimes"}); err == nil {
		t.Error("a bad env value was accepted")
	}
	if _, err := Load(p, []string{"PORTICO_SERVER_LISTN=x"}); err == nil || !strings.Contains(err.Error(), "PORTICO_SERVER_LISTN") {
		t.Errorf("unknown env key: %v", err)
	}
	if _, err := Load(p, []string{"PORTICO_CATALOG_PROCESSINGINTERVAL=soon"}); err == nil {
		t.Error("a bad interval was accepted")
	}
}

func TestRuleLocations(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "c.yaml", `catalog:
  rules:
    - allow: [Template]
      locations:
        - type: url
          pattern: https://github.com/org/*/blob/main/template.yaml
        - type: file
          target: ./templates/t.yaml
        - type: file
          pattern: ./templates/**/*.yaml
`)
	c, err := Load(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls := c.Catalog.Rules[0].Locations
	if ls[0].Pattern != "https://github.com/org/*/blob/main/template.yaml" ||
		ls[1].Exact != filepath.Join(dir, "templates", "t.yaml") || ls[1].Target != "" ||
		ls[2].Pattern != filepath.Join(dir, "templates", "**", "*.yaml") {
		t.Errorf("rule locations = %+v", ls)
	}
}

func TestSearchSection(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "portico.yaml")
	if err := os.WriteFile(p, []byte("search: {meilisearch: {url: http://x, key: secret}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p, nil); err == nil || !strings.Contains(err.Error(), "search.meilisearch.key") {
		t.Fatalf("a key in the file must be refused (env only), got %v", err)
	}
	c, err := Load("", []string{"PORTICO_SEARCH_MEILISEARCH_URL=http://m:7700", "PORTICO_SEARCH_MEILISEARCH_KEY=k"})
	if err != nil {
		t.Fatal(err)
	}
	if m := c.Search.Meilisearch; m.URL != "http://m:7700" || m.Key != "k" || m.IndexName() != DefaultMeilisearchIndex {
		t.Errorf("search from env = %+v", m)
	}
	c, err = Load("", nil)
	if err != nil || c.Search.Meilisearch.Enabled() {
		t.Errorf("default search = %+v, %v; want the embedded index", c.Search, err)
	}
}

func TestTrust(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key := "A3Ehk6Xcdd8KQbeWJxKBg2uA3IcHQd9PDzmcXBJE6ZI="
	c, err := Load(write("trust:\n  require: true\n  keys:\n    - {name: acme, publicKey: "+key+"}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Trust.Require || len(c.Trust.Keys) != 1 || c.Trust.Keys[0].Name != "acme" {
		t.Fatalf("trust %+v", c.Trust)
	}
	if b, err := c.Trust.Keys[0].PublicKeyBytes(); err != nil || len(b) != 32 {
		t.Fatalf("key %v %v", b, err)
	}
	for body, want := range map[string]string{
		"trust: {require: true}\n":                                   "trust.keys is empty",
		"trust: {keys: [{name: a, publicKey: abc}]}\n":               "publicKey",
		"trust: {keys: [{publicKey: " + key + "}]}\n":                "name is required",
		"trust: {keys: [{name: a, publicKey: " + key + ", x: 1}]}\n": "x",
		"trust: {signers: []}\n":                                     "signers",
	} {
		_, err := Load(write(body), nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
}
