package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/graph"
)

// The fixture: svc-a providesApi api-a, dependsOn db-a, partOf sys-x;
// svc-b consumesApi api-a, dependsOn svc-a; svc-c dependsOn svc-b;
// evil dependsOn svc-a.
func openStore(t *testing.T) catalog.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kinds, _ := catalog.NewKinds(nil)
	abs, _ := filepath.Abs("../ui/testdata/catalog.yaml")
	eng := ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: abs}}})
	if err := eng.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func refs(g *graph.Graph) map[string]int {
	m := map[string]int{}
	for _, n := range g.Nodes {
		m[n.Ref] = n.Distance
	}
	return m
}

func TestBuild(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	cases := []struct {
		name string
		o    graph.Options
		want map[string]int
		edge []string // "source type target"
	}{
		{"down depth 1", graph.Options{Root: "svc-a", Depth: 1, Direction: graph.Down},
			map[string]int{"component:default/svc-a": 0, "api:default/api-a": 1, "resource:default/db-a": 1, "system:default/sys-x": 1},
			[]string{"component:default/svc-a providesApi api:default/api-a", "component:default/svc-a dependsOn resource:default/db-a"}},
		{"up depth 2", graph.Options{Root: "component:default/svc-a", Depth: 2, Direction: graph.Up},
			map[string]int{"component:default/svc-a": 0, "component:default/svc-b": -1, "component:default/evil": -1, "component:default/svc-c": -2},
			[]string{"component:default/svc-c dependsOn component:default/svc-b", "component:default/svc-b dependsOn component:default/svc-a"}},
		{"both, dependsOn only", graph.Options{Root: "svc-b", Depth: 1, Direction: graph.Both, Relations: []string{"dependencyOf"}},
			map[string]int{"component:default/svc-b": 0, "component:default/svc-a": 1, "component:default/svc-c": -1}, nil},
		{"api consumers upstream", graph.Options{Root: "api:api-a", Depth: 1, Direction: graph.Up, Relations: []string{"consumesApi,providesApi"}},
			map[string]int{"api:default/api-a": 0, "component:default/svc-a": -1, "component:default/svc-b": -1},
			[]string{"component:default/svc-b consumesApi api:default/api-a"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := graph.Build(ctx, st, c.o)
			if err != nil {
				t.Fatal(err)
			}
			got := refs(g)
			if len(got) != len(c.want) {
				t.Fatalf("nodes %v, want %v", got, c.want)
			}
			for r, d := range c.want {
				if gd, ok := got[r]; !ok || gd != d {
					t.Fatalf("node %s: distance %d (present %v), want %d; all %v", r, gd, ok, d, got)
				}
			}
			edges := map[string]bool{}
			for _, e := range g.Edges {
				edges[e.Source+" "+e.Type+" "+e.Target] = true
			}
			for _, e := range c.edge {
				if !edges[e] {
					t.Fatalf("missing edge %q in %v", e, edges)
				}
			}
		})
	}
}

func TestBlast(t *testing.T) {
	st := openStore(t)
	b, err := graph.Blast(context.Background(), st, "component:default/svc-a", catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	via := map[string]string{}
	for _, d := range b.Dependents {
		got = append(got, d.Ref)
		via[d.Ref] = d.Via
	}
	sort.Strings(got)
	want := []string{"api:default/api-a", "component:default/evil", "component:default/svc-b", "component:default/svc-c"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("dependents %v, want %v", got, want)
	}
	if via["api:default/api-a"] != "apiProvidedBy" || via["component:default/svc-c"] != "dependsOn" {
		t.Fatalf("via %v", via)
	}
	if strings.Join(b.Owners, " ") != "group:default/team-a group:default/team-b user:default/jane" {
		t.Fatalf("owners %v", b.Owners)
	}
	for _, d := range b.Dependents {
		if d.Ref == "component:default/svc-c" && len(d.Path) != 2 {
			t.Fatalf("svc-c path %v, want 2 steps", d.Path)
		}
	}
	// a leaf has no dependents
	leaf, err := graph.Blast(context.Background(), st, "component:default/svc-c", catalog.Filter{})
	if err != nil || len(leaf.Dependents) != 0 {
		t.Fatalf("leaf: %v %v", leaf, err)
	}
	// the reader's filter hides what they may not see
	hidden, err := graph.Blast(context.Background(), st, "component:default/svc-a", catalog.NotOf(catalog.Eq("metadata.name", "evil")))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range hidden.Dependents {
		if d.Name == "evil" {
			t.Fatal("filtered entity listed")
		}
	}
}

func TestAPI(t *testing.T) {
	st := openStore(t)
	app := web.New(web.Options{Store: st, Areas: []web.Area{&graph.API{Store: st}}})
	get := func(path string) (int, string) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st1, body := get("/api/catalog/graph?root=component:default/svc-a&depth=1&direction=both&relations=dependsOn")
	if st1 != 200 {
		t.Fatalf("graph: %d %s", st1, body)
	}
	var g graph.Graph
	if err := json.Unmarshal([]byte(body), &g); err != nil {
		t.Fatal(err)
	}
	if g.Root != "component:default/svc-a" || len(g.Nodes) != 4 || len(g.Edges) != 3 || g.Direction != graph.Both {
		t.Fatalf("graph %+v", g)
	}
	st2, body := get("/api/catalog/blast-radius?root=svc-a")
	if st2 != 200 || !strings.Contains(body, `"owners":["group:default/team-a"`) {
		t.Fatalf("blast: %d %s", st2, body)
	}
	for path, want := range map[string]int{
		"/api/catalog/graph":                             400,
		"/api/catalog/graph?root=svc-a&depth=0":          400,
		"/api/catalog/graph?root=svc-a&depth=x":          400,
		"/api/catalog/graph?root=svc-a&direction=around": 400,
		"/api/catalog/graph?root=svc-a&relations=likes":  400,
		"/api/catalog/graph?root=nope":                   404,
		"/api/catalog/blast-radius":                      400,
		"/api/catalog/blast-radius?root=nope":            404,
	} {
		st, body := get(path)
		if st != want || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s, want %d with an error body", path, st, body, want)
		}
	}
}

func TestSVGEscapes(t *testing.T) {
	g := &graph.Graph{Root: "component:default/a", Direction: graph.Both, Depth: 1,
		Nodes: []graph.Node{{Ref: "component:default/a", Kind: "Component", Namespace: "default", Name: "a", Title: "<script>x</script>"},
			{Ref: "component:default/b", Kind: "Component", Namespace: "default", Name: "b", Distance: -1}},
		Edges: []graph.Edge{{Source: "component:default/b", Target: "component:default/a", Type: "dependsOn"}}}
	svg, err := graph.SVG(g, graph.SVGOptions{Highlight: map[string]bool{"component:default/b": true}, Href: func(n graph.Node) string { return "/x/" + n.Name }})
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	if strings.Contains(s, "<script>") || !strings.Contains(s, "&lt;script&gt;") {
		t.Fatalf("title not escaped: %s", s)
	}
	if !strings.Contains(s, `class="node hl"`) || !strings.Contains(s, `class="node root"`) || !strings.Contains(s, `href="/x/b"`) || !strings.Contains(s, "<path class=\"edge dependsOn hl\"") {
		t.Fatalf("svg: %s", s)
	}
}

// The graph page draws the blast radius: dependents reached through an API
// the root provides appear upstream with their path's edges.
func TestMergeBlast(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	b, err := graph.Blast(ctx, st, "component:default/svc-a", catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := graph.Build(ctx, st, graph.Options{Root: "component:default/svc-a", Depth: 1, Direction: graph.Up, Relations: []string{"partOf"}})
	if err != nil {
		t.Fatal(err)
	}
	graph.MergeBlast(g2, b, 2)
	got := refs(g2)
	for r, d := range map[string]int{"api:default/api-a": -1, "component:default/svc-b": -1, "component:default/evil": -1, "component:default/svc-c": -2} {
		if got[r] != d {
			t.Fatalf("%s at %d, want %d (%v)", r, got[r], d, got)
		}
	}
	edges := map[string]bool{}
	for _, e := range g2.Edges {
		edges[e.Source+" "+e.Type+" "+e.Target] = true
	}
	for _, e := range []string{"component:default/svc-a providesApi api:default/api-a", "component:default/svc-c dependsOn component:default/svc-b"} {
		if !edges[e] {
			t.Fatalf("missing %s in %v", e, edges)
		}
	}
}
