package gen

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/portico-dev/portico/config"
)

// The demo organisation `make demo` serves (examples/catalog) is checked here,
// next to the generator, with the same checks.

const examplesRoot = "../../examples/catalog/all.yaml"

func loadExamples(t *testing.T) []doc {
	t.Helper()
	root, err := filepath.Abs(examplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	return loadTree(t, root)
}

func TestExamplesCatalog(t *testing.T) {
	docs := loadExamples(t)
	counts := checkSet(t, docs)
	want := map[string]int{"User": 30, "Domain": 3, "System": 6, "Component": 30, "API": 12, "Resource": 6}
	for kind, n := range want {
		if counts[kind] != n {
			t.Errorf("%d %s entities, want %d", counts[kind], kind, n)
		}
	}
	if counts["Group"] < 6 {
		t.Errorf("%d groups, want at least 6", counts["Group"])
	}
	for kind := range counts {
		if _, ok := want[kind]; !ok && kind != "Group" && kind != "Location" {
			t.Errorf("unexpected kind %s", kind)
		}
	}
}

// Every YAML file under examples/catalog (definitions aside) is reached from all.yaml.
func TestExamplesAllFilesReachable(t *testing.T) {
	reached := map[string]bool{}
	for _, f := range filesOf(loadExamples(t)) {
		reached[f] = true
	}
	dir, _ := filepath.Abs(filepath.Dir(examplesRoot))
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(filepath.Dir(path)) == "definitions" || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		if !reached[path] {
			t.Errorf("%s is not reachable from all.yaml", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestExamplesThroughCatalogValidator(t *testing.T) {
	docs := loadExamples(t)
	if n := checkWithCatalog(t, filesOf(docs)); n != len(docs) {
		t.Errorf("catalog parsed %d documents, yaml.v3 %d", n, len(docs))
	}
}

// APIs take real definitions from ./definitions via $text; each parses and has
// the top-level shape of its type.
func TestExamplesAPIDefinitions(t *testing.T) {
	types := map[string]int{}
	for _, d := range loadExamples(t) {
		if d.v["kind"] != "API" {
			continue
		}
		spec := d.v["spec"].(map[string]any)
		typ := str(spec, "type")
		types[typ]++
		ph, ok := spec["definition"].(map[string]any)
		target := str(ph, "$text")
		if !ok || len(ph) != 1 || !strings.HasPrefix(target, "./definitions/") {
			t.Errorf("%s: definition is not {$text: ./definitions/…}: %v", d, spec["definition"])
			continue
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(d.file), target))
		if err != nil {
			t.Errorf("%s: %v", d, err)
			continue
		}
		checkDefinition(t, d.String(), typ, data)
	}
	for _, typ := range []string{"openapi", "asyncapi", "graphql", "grpc"} {
		if types[typ] == 0 {
			t.Errorf("no %s API in the demo", typ)
		}
	}
}

func checkDefinition(t *testing.T, where, typ string, data []byte) {
	t.Helper()
	text := string(data)
	switch typ {
	case "openapi", "asyncapi":
		var v map[string]any
		if err := yaml.Unmarshal(data, &v); err != nil {
			if jerr := json.Unmarshal(data, &v); jerr != nil {
				t.Errorf("%s: %s definition is neither YAML (%v) nor JSON (%v)", where, typ, err, jerr)
				return
			}
		}
		version := str(v, typ)
		keys := []string{"info", "paths", "components"}
		if typ == "asyncapi" {
			keys = []string{"info", "channels"}
			if strings.HasPrefix(version, "3.") {
				keys = append(keys, "operations")
			}
		}
		if !strings.HasPrefix(version, "3.") && !(typ == "asyncapi" && strings.HasPrefix(version, "2.")) {
			t.Errorf("%s: %s version %q", where, typ, version)
		}
		for _, k := range keys {
			if m, _ := v[k].(map[string]any); len(m) == 0 {
				t.Errorf("%s: %s definition has no %s", where, typ, k)
			}
		}
		info, _ := v["info"].(map[string]any)
		if str(info, "title") == "" || str(info, "version") == "" {
			t.Errorf("%s: info needs title and version", where)
		}
		if typ == "openapi" {
			paths, _ := v["paths"].(map[string]any)
			for p, item := range paths {
				ops, _ := item.(map[string]any)
				for method, op := range ops {
					if method == "parameters" {
						continue
					}
					if m, _ := op.(map[string]any); m["responses"] == nil {
						t.Errorf("%s: %s %s has no responses", where, method, p)
					}
				}
			}
		}
	case "graphql":
		if !strings.Contains(text, "type Query {") || strings.Count(text, "{") != strings.Count(text, "}") {
			t.Errorf("%s: GraphQL SDL without a balanced Query type", where)
		}
	case "grpc":
		if !strings.HasPrefix(text, `syntax = "proto3";`) || !strings.Contains(text, "\nservice ") || !strings.Contains(text, "rpc ") ||
			strings.Count(text, "{") != strings.Count(text, "}") {
			t.Errorf("%s: not a proto3 file with a service", where)
		}
	default:
		t.Errorf("%s: unexpected API type %q", where, typ)
	}
}

// The first-party plugins find what they read on the demo's services.
func TestExamplesPluginAnnotations(t *testing.T) {
	seen := map[string]int{}
	for _, d := range loadExamples(t) {
		if d.v["kind"] != "Component" {
			continue
		}
		spec := d.v["spec"].(map[string]any)
		meta := d.v["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		for k := range ann {
			seen[k]++
		}
		typ := str(spec, "type")
		if (typ == "service" || typ == "website") && ann["backstage.io/kubernetes-id"] == nil {
			t.Errorf("%s: %s without backstage.io/kubernetes-id", d, typ)
		}
		if ann["github.com/project-slug"] == nil && ann["gitlab.com/project-slug"] == nil {
			t.Errorf("%s: no CI project slug", d)
		}
		if src := str(toStrMap(ann), "backstage.io/source-location"); !strings.HasPrefix(src, "url:") || !strings.HasSuffix(src, "/") {
			t.Errorf("%s: source-location %q must be a url: folder ending in /", d, src)
		}
		if spec["lifecycle"] == "production" && typ == "service" && ann["pagerduty.com/service-id"] == nil {
			t.Errorf("%s: production service without pagerduty.com/service-id", d)
		}
	}
	for _, k := range []string{"pagerduty.com/service-id", "grafana/dashboard-selector", "grafana/alert-label-selector",
		"backstage.io/kubernetes-id", "backstage.io/kubernetes-namespace", "backstage.io/kubernetes-label-selector",
		"github.com/project-slug", "gitlab.com/project-slug", "backstage.io/techdocs-ref", "backstage.io/view-url", "backstage.io/edit-url"} {
		if seen[k] == 0 {
			t.Errorf("no component carries %s", k)
		}
	}
}

func toStrMap(m map[string]any) map[string]any { return m }

// examples/portico.yaml loads with the one config loader and points at the demo.
func TestExamplesConfig(t *testing.T) {
	c, err := config.Load("../../examples/portico.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs(examplesRoot)
	if len(c.Catalog.Locations) != 1 || c.Catalog.Locations[0].Type != "file" || c.Catalog.Locations[0].Target != root {
		t.Errorf("locations %+v, want the one file location %s", c.Catalog.Locations, root)
	}
	if c.Catalog.OrphanStrategy != "delete" || c.Catalog.ProcessingInterval.Duration != time.Minute {
		t.Errorf("orphanStrategy %q, processingInterval %v", c.Catalog.OrphanStrategy, c.Catalog.ProcessingInterval)
	}
	if c.Database.URL != "" {
		t.Errorf("the demo runs on the embedded store, database.url %q", c.Database.URL)
	}
}
