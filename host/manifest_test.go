package host

import (
	"strings"
	"testing"
	"time"
)

const goodManifest = `apiVersion: portico.dev/v1
kind: Plugin
metadata: {name: pagerduty, version: 1.3.0, description: On-call, publisher: acme}
spec:
  abi: 1
  module: {path: pd.wasm, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}
  provides:
    - card: {id: oncall, title: On-call, when: {annotation: pagerduty.com/service-id}}
    - provider: {every: 15m}
    - action: {id: "pagerduty:service:create"}
    - check: {id: has-oncall}
    - route: {path: /status}
  permissions:
    http: [api.pagerduty.com, "*.pagerduty.com", 10.0.0.7]
    catalog: read
    kv: true
    secrets: [token]
  limits: {memoryMiB: 32, timeout: 2s}
  config: {type: object, properties: {region: {type: string}}}
`

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest([]byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.Metadata.Name != "pagerduty" || m.Spec.ABI != 1 || m.Spec.Module.Path != "pd.wasm" {
		t.Fatalf("decoded %+v", m)
	}
	if len(m.Spec.Provides) != 5 || m.Spec.Provides[0].Card.When.Annotation != "pagerduty.com/service-id" {
		t.Fatalf("provides %+v", m.Spec.Provides)
	}
	if m.Spec.Provides[1].Provider.Every.D() != 15*time.Minute {
		t.Fatalf("every = %v", m.Spec.Provides[1].Provider.Every.D())
	}
	lim := m.Spec.Limits.withDefaults()
	if lim.MemoryMiB != 32 || lim.Timeout.D() != 2*time.Second || lim.Instances != DefaultLimits.Instances || lim.OutputKiB != DefaultLimits.OutputKiB {
		t.Fatalf("limits %+v", lim)
	}
	if !m.Spec.Permissions.CatalogRead() || !m.Spec.Permissions.HasSecret("token") || m.Spec.Permissions.HasSecret("other") {
		t.Fatalf("permissions %+v", m.Spec.Permissions)
	}
}

func TestParseManifestRejects(t *testing.T) {
	for _, c := range []struct{ name, edit, from, want string }{
		{"unknown top field", "spec:", "spec:\n  bogus: 1", "field bogus not found"},
		{"unknown nested field", "limits: {memoryMiB: 32", "limits: {memoryMB: 32", "field memoryMB not found"},
		{"unknown extension point", "    - route: {path: /status}", "    - widget: {id: x}", "field widget not found"},
		{"two points in one item", "    - route: {path: /status}", "    - {route: {path: /status}, check: {id: y}}", "exactly one"},
		{"bad kind", "kind: Plugin", "kind: Component", `kind must be "Plugin"`},
		{"bad name", "name: pagerduty", "name: Pager_Duty", "metadata.name"},
		{"no abi", "  abi: 1\n", "", "spec.abi"},
		{"bad sha", "sha256: 0123", "sha256: XYZ0123", "sha256"},
		{"escaping module path", "path: pd.wasm", "path: ../pd.wasm", "relative path"},
		{"bad timeout", "timeout: 2s", "timeout: soon", "invalid duration"},
		{"timeout over cap", "timeout: 2s", "timeout: 10m", "timeout out of range"},
		{"bad http host", "api.pagerduty.com,", "https://api.pagerduty.com/x,", "http host"},
		{"bad catalog", "catalog: read", "catalog: write", "catalog must be read or none"},
		{"provider too often", "every: 15m", "every: 1s", "at least 1m"},
		{"card cacheTTL over cap", "title: On-call,", "title: On-call, cacheTTL: 48h,", "cacheTTL must be between"},
		{"card cacheTTL not a duration", "title: On-call,", "title: On-call, cacheTTL: often,", "invalid duration"},
		{"collate too often", "    - route: {path: /status}", "    - route: {path: /status}\n    - collate: {every: 1m}", "collate.every must be at least 5m"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := goodManifest
			if c.edit != "" {
				if !strings.Contains(src, c.edit) {
					t.Fatalf("test setup: %q not in manifest", c.edit)
				}
				src = strings.Replace(src, c.edit, c.from, 1)
			}
			_, err := ParseManifest([]byte(src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestParseManifestCollate(t *testing.T) {
	m, err := ParseManifest([]byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.CollateEvery() != DefaultCollateEvery || m.Spec.Permissions.Collate {
		t.Fatalf("without collate: every %v, grant %v", m.CollateEvery(), m.Spec.Permissions.Collate)
	}
	src := strings.Replace(goodManifest, "    - route: {path: /status}", "    - route: {path: /status}\n    - collate: {every: 20m}", 1)
	src = strings.Replace(src, "    kv: true", "    kv: true\n    collate: true", 1)
	if m, err = ParseManifest([]byte(src)); err != nil {
		t.Fatal(err)
	}
	if m.CollateEvery() != 20*time.Minute || !m.Spec.Permissions.Collate {
		t.Fatalf("with collate: every %v, grant %v", m.CollateEvery(), m.Spec.Permissions.Collate)
	}
}

func TestParseManifestCardCacheTTL(t *testing.T) {
	src := strings.Replace(goodManifest, "title: On-call,", "title: On-call, cacheTTL: 90s,", 1)
	m, err := ParseManifest([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Spec.Provides[0].Card.CacheTTL.D(); got != 90*time.Second {
		t.Fatalf("cacheTTL = %v, want 90s", got)
	}
}

func TestParseManifestSecondDocument(t *testing.T) {
	if _, err := ParseManifest([]byte(goodManifest + "---\nkind: Plugin\n")); err == nil || !strings.Contains(err.Error(), "more than one") {
		t.Fatalf("err = %v", err)
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{"Hello_World": "hello-world", "__": "plugin", "a.b": "a-b"} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateConfig(t *testing.T) {
	m, err := ParseManifest([]byte(strings.Replace(goodManifest, "config: {type: object, properties: {region: {type: string}}}",
		"config: {type: object, properties: {region: {type: string, enum: [eu, us]}}, required: [region], additionalProperties: false}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateConfig([]byte(`{"region":"eu"}`)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{}`, `{"region":"mars"}`, `{"region":"eu","x":1}`, `[]`, `nope`} {
		if err := m.ValidateConfig([]byte(bad)); err == nil {
			t.Errorf("config %s accepted", bad)
		}
	}
	bare := bareManifest("x")
	if err := bare.ValidateConfig(nil); err != nil {
		t.Fatal(err)
	}
}

func TestParseManifestRequires(t *testing.T) {
	m, err := ParseManifest([]byte(goodManifest + "  requires: {portico: \">=0.1.0 <1.0.0\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Spec.Requires == nil || m.Spec.Requires.Portico != ">=0.1.0 <1.0.0" {
		t.Fatalf("requires %+v", m.Spec.Requires)
	}
	if _, err := ParseManifest([]byte(goodManifest + "  requires: {kubernetes: \"1\"}\n")); err == nil {
		t.Fatal("unknown requires key accepted")
	}
}
