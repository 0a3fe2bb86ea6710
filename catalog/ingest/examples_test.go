package ingest

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// TestBackstageExamples loads Backstage's two example roots as its own
// app-config registers them (acme-corp.yaml with rules allow [User, Group]).
func TestBackstageExamples(t *testing.T) { testBackstageExamples(t, openStore(t)) }

// TestBackstageExamplesPostgres is the same on the PostgreSQL store.
func TestBackstageExamplesPostgres(t *testing.T) { testBackstageExamples(t, openPG(t)) }

func testBackstageExamples(t *testing.T, st catalog.Store) {
	allYAML, _ := filepath.Abs("testdata/backstage/all.yaml")
	acme, _ := filepath.Abs("testdata/backstage/acme-corp.yaml")
	e := newEngine(t, st, Options{ConfigLocations: []ConfigLocation{
		{Type: "file", Target: allYAML},
		{Type: "file", Target: acme, Rules: []string{"User", "Group"}},
	}})
	if err := e.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	locs, err := st.Locations(ctx)
	if err != nil || len(locs) != 2 {
		t.Fatalf("Locations = %v, %v; want the 2 config locations", locs, err)
	}
	var errs []catalog.ProcessingError
	for _, l := range locs {
		if l.Origin != OriginConfig {
			t.Errorf("location %s origin %q, want config", l.Target, l.Origin)
		}
		r := process(t, e, l)
		errs = append(errs, r.Errors...)
	}

	// The three github.com definitions fail, each naming its URL; nothing else does.
	failing := map[string]string{
		"api:default/spotify":         "https://github.com/APIs-guru/openapi-directory/blob/dab6854d4d599aafb0eb36e6c7ae1fe0c37509b7/APIs/spotify.com/2021.4.2/openapi.yaml",
		"api:default/wayback-archive": "https://github.com/APIs-guru/openapi-directory/blob/main/APIs/archive.org/wayback/1.0.0/openapi.yaml",
		"api:default/wayback-search":  "https://github.com/APIs-guru/openapi-directory/blob/master/APIs/archive.org/search/1.0.0/openapi.yaml",
	}
	if len(errs) != len(failing) {
		for _, pe := range errs {
			t.Log(catalog.FormatProcessingError(pe))
		}
		t.Fatalf("%d processing errors, want exactly %d (the github.com definitions)", len(errs), len(failing))
	}
	for _, pe := range errs {
		url, ok := failing[pe.Entity]
		if !ok || !strings.Contains(pe.Message, url) || pe.Field != "spec.definition" || pe.Line == 0 ||
			!strings.HasPrefix(pe.Source, "file:") || !strings.HasSuffix(pe.Source, ".yaml") {
			t.Errorf("unexpected error: %+v", pe)
		}
		if get(t, st, pe.Entity) != nil {
			t.Errorf("%s stored although its definition could not be read", pe.Entity)
		}
	}

	ents := all(t, st)
	byRef := map[string]*catalog.Entity{}
	count := map[string]int{}
	for _, en := range ents {
		byRef[en.Ref().String()] = en
		count[en.Kind]++
		if items := statusErrors(en); len(items) > 0 {
			t.Errorf("%s has status errors %v", en.Ref(), items)
		}
		if en.Metadata.Annotations[catalog.AnnotationManagedByLocation] == "" ||
			en.Metadata.Annotations[catalog.AnnotationManagedByOriginLocation] == "" {
			t.Errorf("%s lacks the managed-by annotations", en.Ref())
		}
	}
	// REFERENCE.md §3: 67 documents; 7 of the 10 APIs load; +2 generated Locations.
	want := map[string]int{"Location": 9 + 2, "User": 17, "Group": 9, "Component": 13, "API": 7,
		"System": 3, "Domain": 3, "Resource": 1, "AiResource": 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s entities, want %d", count[k], k, n)
		}
	}

	// Every relation of §1.4, on both ends: what EmitRelations derives from
	// each stored entity is on the stitched source of each row.
	rows := 0
	for _, en := range ents {
		emitted, rerrs := catalog.EmitRelations(en)
		if len(rerrs) > 0 {
			t.Errorf("%s: %v", en.Ref(), rerrs)
		}
		for _, r := range emitted {
			rows++
			src := byRef[r.Source]
			if src == nil {
				continue // dangling end (e.g. a failed API, user:guest)
			}
			if !hasRelation(src, r.Type, r.Target) {
				t.Errorf("%s lacks relation %s → %s", r.Source, r.Type, r.Target)
			}
		}
	}
	if rows < 100 {
		t.Errorf("only %d relation rows emitted", rows)
	}
	// Spot checks across files and both directions.
	for _, c := range []struct{ src, typ, dst string }{
		{"group:default/acme-corp", "parentOf", "group:default/infrastructure"},
		{"group:default/infrastructure", "childOf", "group:default/acme-corp"},
		{"component:default/petstore", "providesApi", "api:default/petstore"},
		{"api:default/petstore", "apiProvidedBy", "component:default/petstore"},
		{"system:default/audio-playback", "partOf", "domain:default/playback"},
		{"domain:default/playback", "hasPart", "system:default/audio-playback"},
	} {
		if en := byRef[c.src]; en == nil || !hasRelation(en, c.typ, c.dst) {
			t.Errorf("missing %s %s %s", c.src, c.typ, c.dst)
		}
	}
	// Ancestry: the nested groups' parent is the Location that listed them.
	if en := byRef["group:default/team-a"]; en != nil {
		anc, err := st.Ancestry(ctx, "group:default/team-a")
		if err != nil || len(anc) < 3 {
			t.Errorf("ancestry of team-a = %v, %v; want team-a ← example-groups ← acme-corp ← generated", anc, err)
		}
	}

	// $text relative to the file, and the mcp-server API without definition.
	ws := byRef["api:default/petstore-webhook"]
	if ws == nil || !strings.Contains(ws.SpecString("definition"), "openapi") {
		t.Errorf("petstore-webhook definition not substituted from ./petstore-webhook.oas.yaml: %v", ws)
	}
	if byRef["api:default/backstage-mcp-server"] == nil {
		t.Error("backstage-mcp-server did not load")
	}
	if u := byRef["user:development/guest"]; u == nil || !hasRelation(u, "memberOf", "group:default/team-a") {
		t.Errorf("user development/guest memberOf team-a missing: %v", u)
	}
}
