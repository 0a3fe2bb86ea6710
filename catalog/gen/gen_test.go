package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/portico-dev/portico/catalog"
)

func TestCountsFor(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 6, 7, 8, 50, 99, 1000, 2000, 12345, 1_000_000} {
		c := CountsFor(n)
		if c.Total() != n {
			t.Errorf("CountsFor(%d) totals %d: %+v", n, c.Total(), c)
		}
		if n >= 7 && (c.Groups == 0 || c.Users == 0 || c.Domains == 0 || c.Systems == 0 || c.Components == 0 || c.APIs == 0 || c.Resources == 0) {
			t.Errorf("CountsFor(%d) leaves a kind empty: %+v", n, c)
		}
		if n > 0 && c.Groups == 0 {
			t.Errorf("CountsFor(%d) has no group to own anything", n)
		}
	}
	c := CountsFor(1_000_000)
	if c.Components < 490_000 || c.Users < 140_000 || c.APIs < 140_000 || c.Groups < 19_000 {
		t.Errorf("distribution off: %+v", c)
	}
}

// A generated organisation of 2,000 passes the same checks as the demo, and
// the catalog's own parser and validator.
func TestWriteDir2000(t *testing.T) {
	dir := t.TempDir()
	s, err := WriteDir(dir, 2000, 42)
	if err != nil {
		t.Fatal(err)
	}
	docs := loadTree(t, s.Root)
	counts := checkSet(t, docs)
	want := CountsFor(2000)
	got := Counts{Groups: counts["Group"], Users: counts["User"], Domains: counts["Domain"], Systems: counts["System"],
		Components: counts["Component"], APIs: counts["API"], Resources: counts["Resource"]}
	if got != want || counts["Location"] != 1 {
		t.Errorf("counts %+v (+%d locations), want %+v (+1)", got, counts["Location"], want)
	}
	if n := checkWithCatalog(t, filesOf(docs)); n != 2001 {
		t.Errorf("catalog parsed %d documents, want 2001", n)
	}
	types := map[string]int{}
	for _, d := range docs {
		if d.v["kind"] == "API" {
			spec := d.v["spec"].(map[string]any)
			types[str(spec, "type")]++
			checkDefinition(t, d.String(), str(spec, "type"), []byte(str(spec, "definition")))
		}
		if d.v["kind"] == "Component" {
			types["component:"+str(d.v["spec"].(map[string]any), "type")]++
		}
	}
	for _, k := range []string{"openapi", "asyncapi", "grpc", "graphql", "component:service", "component:website", "component:library"} {
		if types[k] == 0 {
			t.Errorf("no %s in 2000 entities: %v", k, types)
		}
	}
}

// Every relation kind appears, and every API is provided by some component.
func TestRelationsCovered(t *testing.T) {
	provided := map[string]bool{}
	fields := map[string]int{}
	apis := 0
	for e := range Organisation(3000, 7) {
		for k, v := range e.Spec {
			if v != nil {
				fields[e.Kind+"."+k]++
			}
		}
		for _, a := range e.SpecStrings("providesApis") {
			provided[a] = true
		}
		if e.Kind == "API" {
			apis++
		}
	}
	if len(provided) != apis {
		t.Errorf("%d APIs provided, %d exist", len(provided), apis)
	}
	for _, f := range []string{"Group.parent", "Group.children", "User.memberOf", "Domain.owner", "Domain.subdomainOf",
		"System.domain", "Component.system", "Component.providesApis", "Component.consumesApis", "Component.dependsOn",
		"Component.subcomponentOf", "Resource.dependsOn", "API.system"} {
		if fields[f] == 0 {
			t.Errorf("no entity sets %s", f)
		}
	}
}

// Tiny organisations still only reference what exists.
func TestSmallOrganisations(t *testing.T) {
	for n := 0; n <= 40; n++ {
		var docs []doc
		var buf bytes.Buffer
		if _, err := WriteYAML(&buf, n, int64(n)); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "org.yaml")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			docs = parseFile(t, path)
		}
		if len(docs) != n {
			t.Fatalf("n=%d: %d documents", n, len(docs))
		}
		checkSet(t, docs)
	}
}

func TestDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	const n = 25_000 // three files
	for _, dir := range []string{a, b} {
		if _, err := WriteDir(dir, n, 99); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := WriteDir(c, n, 100); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(a, "*.yaml"))
	if len(files) != 4 {
		t.Fatalf("%d files, want 3 entity files and all.yaml", len(files))
	}
	differs := 0
	for _, f := range files {
		x, _ := os.ReadFile(f)
		y, err := os.ReadFile(filepath.Join(b, filepath.Base(f)))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with the same seed", filepath.Base(f))
		}
		z, _ := os.ReadFile(filepath.Join(c, filepath.Base(f)))
		if !bytes.Equal(x, z) {
			differs++
		}
	}
	if differs == 0 {
		t.Error("seeds 99 and 100 gave identical files")
	}
}

// Names are unique per kind even far past the word lists' combinations.
func TestNamesUnique(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	seen := make(map[string]bool, n)
	for e := range Organisation(n, 3) {
		k := e.Ref().String()
		if seen[k] {
			t.Fatalf("duplicate %s", k)
		}
		seen[k] = true
		if len(e.Metadata.Name) > 63 || !reName.MatchString(e.Metadata.Name) {
			t.Fatalf("invalid name %q", e.Metadata.Name)
		}
	}
	if len(seen) != n {
		t.Errorf("%d entities, want %d", len(seen), n)
	}
}

// AppendYAML round-trips through yaml.v3 whatever the strings hold.
func TestAppendYAMLRoundTrip(t *testing.T) {
	tricky := []string{"", "true", "No", "null", "~", "1.0", "0x1F", "12", "-dash", "a: b", "a:b", "x #y", "'q'", `"dq"`,
		"trailing ", " leading", "multi\nline\n", "multi\nno newline", "  indented\nblock\n", "two\n\n", "tab\there",
		"ünïcødé", "@at", "*star", "&amp", "!bang", "%pct", "[x]", "{y}", "a, b", "https://example.com/a?b=c#d", "line\r\nbreak",
		"\x00nul", "x\n  y\n", "./rel", "../up", "/abs", ".inf", ".5", "/", "./", ">folded", "|pipe", "?q", "key: |\n  x"}
	spec := map[string]any{
		"type":  "service",
		"list":  []string{},
		"items": []any{"a", map[string]any{"k": "v", "nested": map[string]any{"deep": []string{"x", "y"}}, "text": "l1\nl2\n"}, map[string]any{}},
		"empty": map[string]any{},
		"n":     3, "b": true, "nil": nil,
	}
	for i, s := range tricky {
		spec[fmt.Sprintf("s%02d", i)] = s
	}
	e := &catalog.Entity{
		APIVersion: "backstage.io/v1alpha1",
		Kind:       "Component",
		Metadata: catalog.Metadata{
			Name: "x", Namespace: "ns", Title: "true", Description: "a: b\nc",
			Labels:      map[string]string{"a.b/c": "1", "d": "yes"},
			Annotations: map[string]string{"x/y": "url:https://x/", "z": "multi\nline\n"},
			Tags:        []string{"go", "123"},
			Links:       []catalog.Link{{URL: "https://x.example/a: b", Title: "T: t", Icon: "github"}, {URL: "u\nv"}},
			Extra:       map[string]any{"custom": []any{"q"}},
		},
		Spec: spec,
	}
	out := AppendYAML(nil, e)
	var got map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	wantJSON, _ := json.Marshal(e)
	var want map[string]any
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	norm := func(v any) any { b, _ := json.Marshal(v); var x any; _ = json.Unmarshal(b, &x); return x }
	if !reflect.DeepEqual(norm(got), norm(want)) {
		gb, _ := json.MarshalIndent(norm(got), "", " ")
		wb, _ := json.MarshalIndent(norm(want), "", " ")
		t.Errorf("round trip differs\n--- yaml\n%s\n--- got\n%s\n--- want\n%s", out, gb, wb)
	}
	if !bytes.Equal(out, AppendYAML(nil, e)) {
		t.Error("AppendYAML is not stable")
	}
}

func TestWriteDirErrors(t *testing.T) {
	if _, err := WriteDir(t.TempDir(), -1, 1); err == nil {
		t.Error("negative count accepted")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteDir(filepath.Join(file, "sub"), 10, 1); err == nil || !strings.Contains(err.Error(), "generate") {
		t.Errorf("writing under a file: %v", err)
	}
}

// BenchmarkWriteDir1M writes a million entities to disk (make bench).
func BenchmarkWriteDir1M(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		dir := b.TempDir()
		s, err := WriteDir(dir, n, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(s.Bytes)/(1<<20), "MiB")
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
}

func BenchmarkOrganisation(b *testing.B) {
	var buf []byte
	for b.Loop() {
		for e := range Organisation(10_000, 1) {
			buf = AppendYAML(buf[:0], e)
		}
	}
	b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
}

// compose's uniqueness needs coprime list lengths.
func TestWordListsCoprime(t *testing.T) {
	for _, pair := range [][2][]string{{areas, functions}, {areas, systemNouns}, {areas, componentNouns}, {firstNames, lastNames}} {
		if gcd(len(pair[0]), len(pair[1])) != 1 {
			t.Errorf("lists of %d and %d words are not coprime", len(pair[0]), len(pair[1]))
		}
	}
	all := [][]string{companies, areas, functions, systemNouns, componentNouns, serviceRoles, websiteRoles, libraryRoles, firstNames, lastNames, languages}
	for _, l := range all {
		seen := map[string]bool{}
		for _, w := range l {
			if seen[w] || !regexp.MustCompile(`^[a-z]+$`).MatchString(w) {
				t.Errorf("word %q repeated or not lower-case letters", w)
			}
			seen[w] = true
		}
	}
	for _, f := range functions {
		for _, a := range areas {
			if f == a {
				t.Errorf("%q is both an area and a function", f)
			}
		}
	}
}
