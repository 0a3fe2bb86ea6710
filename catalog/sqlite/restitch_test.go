package sqlite

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// TestPatchedRestitchKeepsIndex: the store ends with the final JSON and
// the index that stitching and indexing each whole entity give when groups
// are held prepared until the end of the apply (catalog.Prepare) and the
// entities stitched again, because later parts or other locations pointed
// at them, are patched (relations and etag replaced in the stored final
// JSON, only those tokens restaged) — those this apply staged and those
// committed before. The index equals the one rebuilt from the stored
// finals when the store opens again, and every etag finds its entity only.
func TestPatchedRestitchKeepsIndex(t *testing.T) {
	ctx := context.Background()
	defer func(n int) { applyChunk = n }(applyChunk)
	applyChunk = 4
	rng := rand.New(rand.NewSource(3))
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close() }()
	var first []*catalog.Entity
	for i := 0; i < 120; i++ {
		deps := []any{fmt.Sprintf("component:c%d", rng.Intn(120)), fmt.Sprintf("component:c%d", rng.Intn(120))}
		first = append(first, testComponent(fmt.Sprintf("c%d", i), fmt.Sprintf("g%d", rng.Intn(5)), deps...))
	}
	for i := 0; i < 5; i++ {
		g := testGroup(fmt.Sprintf("g%d", i), "a team")
		if i > 0 {
			g.Spec["parent"] = "g0"
		}
		first = append(first, g)
	}
	rng.Shuffle(len(first), func(i, j int) { first[i], first[j] = first[j], first[i] })
	var second []*catalog.Entity
	for i := 0; i < 30; i++ {
		second = append(second, testComponent(fmt.Sprintf("d%d", i), "g1", fmt.Sprintf("component:c%d", rng.Intn(120))))
	}
	apply := func(target string, es []*catalog.Entity) {
		t.Helper()
		if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: urlLocation(t, s, target), Entities: processedOf(t, es...)}); err != nil {
			t.Fatal(err)
		}
	}
	apply("https://example.com/first.yaml", first)
	inApply := s.patched.Load()
	if inApply == 0 {
		t.Fatal("no re-stitch of an entity staged by the same apply was patched")
	}
	apply("https://example.com/second.yaml", second) // points at committed entities
	if s.patched.Load() == inApply {
		t.Fatal("no re-stitch of a committed entity was patched")
	}
	if s.prepared.Load() != 5 {
		t.Fatalf("%d groups held prepared until the end of the apply, want 5", s.prepared.Load())
	}

	keys := []string{"relations.dependencyof", "relations.dependson", "relations.ownedby", "relations.ownerof", "relations.parentof", "relations.childof",
		"metadata.etag", "metadata.uid", "metadata.name", "metadata.description", "spec.owner", "spec.type", "kind"}
	state := func(s *Store) string {
		t.Helper()
		p, err := s.QueryEntities(ctx, catalog.Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != len(first)+len(second) {
			t.Fatalf("%d entities stored", len(p.Items))
		}
		out := ""
		for _, rec := range p.Items {
			e, err := rec.Entity()
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.QueryEntities(ctx, catalog.Query{Filter: catalog.Eq("metadata.etag", e.Metadata.Etag), Limit: 10})
			if err != nil || len(got.Items) != 1 || got.Items[0].Ref != rec.Ref {
				t.Fatalf("etag of %s finds %d entities (%v)", rec.Ref, len(got.Items), err)
			}
			out += string(rec.JSON) + "\n"
		}
		f, err := s.Facets(ctx, catalog.Filter{}, keys)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			out += fmt.Sprint(k, f[k]) + "\n"
		}
		return out
	}
	live := state(s)
	s = reopen(t, s, dir)
	if rebuilt := state(s); rebuilt != live {
		t.Fatalf("the index after the applies differs from the one rebuilt from the stored entities:\n%s\nrebuilt:\n%s", live, rebuilt)
	}
}

// A deferred entity that cannot be prepared (extra metadata keys) is held
// decoded and stitched at the end like the prepared ones.
func TestDeferredUnprepared(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	plain, extra := testGroup("plain", "a team"), testGroup("extra", "another team")
	extra.Metadata.Extra = map[string]any{"customKey": "kept"}
	ps := processedOf(t, plain, extra, testComponent("a", "plain"), testComponent("b", "extra"))
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: urlLocation(t, s, "https://example.com/groups.yaml"), Entities: ps}); err != nil {
		t.Fatal(err)
	}
	if n := s.prepared.Load(); n != 1 {
		t.Fatalf("%d groups held prepared, want 1", n)
	}
	for ref, owns := range map[string]string{"group:default/plain": "component:default/a", "group:default/extra": "component:default/b"} {
		rec, err := s.EntityByRef(ctx, ref, catalog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		e, err := rec.Entity()
		if err != nil {
			t.Fatal(err)
		}
		if len(e.Relations) != 1 || e.Relations[0].Type != "ownerOf" || e.Relations[0].TargetRef != owns {
			t.Fatalf("%s relations %v", ref, e.Relations)
		}
		if ref == "group:default/extra" && e.Metadata.Extra["customKey"] != "kept" {
			t.Fatalf("%s lost its extra metadata: %v", ref, e.Metadata.Extra)
		}
	}
}
