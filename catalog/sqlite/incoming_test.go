package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// processedOf is es as processing produces them, with their relations.
func processedOf(t *testing.T, es ...*catalog.Entity) []catalog.Processed {
	t.Helper()
	var ps []catalog.Processed
	for _, e := range es {
		rows, errs := catalog.EmitRelations(e)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		ps = append(ps, catalog.Processed{Entity: e, Relations: rows})
	}
	return ps
}

// relationsOf lists the stitched relations of ref's entity, sorted.
func relationsOf(t *testing.T, s *Store, ref string) string {
	t.Helper()
	rec, err := s.EntityByRef(context.Background(), ref, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var e catalog.Entity
	if err := json.Unmarshal(rec.JSON, &e); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range e.Relations {
		out = append(out, r.Type+" "+r.TargetRef)
	}
	sort.Strings(out)
	return fmt.Sprint(out)
}

func urlLocation(t *testing.T, s *Store, target string) string {
	t.Helper()
	l, err := s.AddLocation(context.Background(), catalog.Location{Type: "url", Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// openStore opens a store in a fresh directory, closed when the test ends.
func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reopen closes s and opens the store in dir again, as a restart does.
func reopen(t *testing.T, s *Store, dir string) *Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testComponent(name, owner string, dependsOn ...any) *catalog.Entity {
	spec := map[string]any{"type": "service", "lifecycle": "production", "owner": owner}
	if len(dependsOn) > 0 {
		spec["dependsOn"] = dependsOn
	}
	return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component", Metadata: catalog.Metadata{Name: name}, Spec: spec}
}

func testGroup(name, description string) *catalog.Entity {
	return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Group", Metadata: catalog.Metadata{Name: name, Description: description},
		Spec: map[string]any{"type": "team"}}
}

// An entity is stitched with the rows others stored towards it before the
// store was opened, and with those written by earlier applies since: the
// writer's set of relation targets (loadTargets) starts from the stored
// rows and grows with every insert.
func TestIncomingRowsFromEarlierApplies(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	apply := func(s *Store, target string, es ...*catalog.Entity) {
		t.Helper()
		if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: urlLocation(t, s, target), Entities: processedOf(t, es...)}); err != nil {
			t.Fatal(err)
		}
	}
	apply(s, "https://example.com/first.yaml", testComponent("a", "team", "component:b"))
	s = reopen(t, s, dir)
	defer s.Close()
	// b and the group arrive after a restart, each from its own location.
	apply(s, "https://example.com/second.yaml", testComponent("b", "team"),
		testGroup("team", ""))
	if got := relationsOf(t, s, "component:default/b"); got != "[dependencyOf component:default/a ownedBy group:default/team]" {
		t.Fatalf("b after a restart: %s", got)
	}
	if got := relationsOf(t, s, "group:default/team"); got != "[ownerOf component:default/a ownerOf component:default/b]" {
		t.Fatalf("team after a restart: %s", got)
	}
	// c depends on d in one apply; d arrives in a later one, as no one's
	// target when the store was opened.
	apply(s, "https://example.com/third.yaml", testComponent("c", "team", "component:d"))
	apply(s, "https://example.com/fourth.yaml", testComponent("d", "team"))
	if got := relationsOf(t, s, "component:default/d"); got != "[dependencyOf component:default/c ownedBy group:default/team]" {
		t.Fatalf("d: %s", got)
	}
}

// Links of replaced relation rows die; once they outnumber the live ones
// they are read again from the table, and the rows towards a ref are found
// as before.
func TestIncomingLinksCompacted(t *testing.T) {
	defer func(n int) { compactAfter = n }(compactAfter)
	compactAfter = 10
	ctx := context.Background()
	s := openStore(t)
	l := urlLocation(t, s, "https://example.com/owners.yaml")
	const n = 20
	apply := func(owner string) {
		t.Helper()
		var es []*catalog.Entity
		for i := range n {
			e := testComponent(fmt.Sprintf("c%d", i), owner)
			e.Spec["system"] = "s"
			es = append(es, e)
		}
		if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l, Entities: processedOf(t, es...)}); err != nil {
			t.Fatal(err)
		}
	}
	towards := func(ref string) int {
		t.Helper()
		rows, err := s.Relations(ctx, []string{ref})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	links := func() (int, int) {
		s.in.mu.RLock()
		defer s.in.mu.RUnlock()
		return len(s.in.links), s.in.dead
	}
	apply("a") // 2n rows: owner and system
	if got, dead := links(); got != 2*n || dead != 0 {
		t.Fatalf("after the first apply: %d links, %d dead; want %d, 0", got, dead, 2*n)
	}
	apply("b") // every row replaced: half the links dead, not more
	if got, dead := links(); got != 4*n || dead != 2*n {
		t.Fatalf("after the second apply: %d links, %d dead; want %d, %d", got, dead, 4*n, 2*n)
	}
	apply("c") // two thirds dead: read again
	if got, dead := links(); got != 2*n || dead != 0 {
		t.Fatalf("after the third apply: %d links, %d dead; want %d, 0", got, dead, 2*n)
	}
	// Both directions of each row: c ownerOf and ownedBy, s hasPart and partOf.
	if a, b, c, sys := towards("group:default/a"), towards("group:default/b"), towards("group:default/c"), towards("system:default/s"); a != 0 || b != 0 || c != 2*n || sys != 2*n {
		t.Fatalf("relations of a, b, c, s: %d, %d, %d, %d; want 0, 0, %d, %d", a, b, c, sys, 2*n, 2*n)
	}
}

// The writer's links follow its own transaction exactly: a failed apply
// leaves the rows towards each entity as they were (links it killed live
// again, links it added die), and an id reused after its entity was
// deleted anchors its rows at the new entity's ref.
func TestIncomingLinksFollowTransactions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	comps, groups := urlLocation(t, s, "https://example.com/components.yaml"), urlLocation(t, s, "https://example.com/groups.yaml")
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: comps, Entities: processedOf(t, testComponent("a", "g"), testComponent("b", "g"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: groups, Entities: processedOf(t, testGroup("g", ""), testGroup("h", ""))}); err != nil {
		t.Fatal(err)
	}
	if got := relationsOf(t, s, "group:default/g"); got != "[ownerOf component:default/a ownerOf component:default/b]" {
		t.Fatalf("g: %s", got)
	}

	// a moves to h in an apply whose stream then fails.
	broken := errors.New("disk unplugged")
	_, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: comps, Stream: func(emit func([]catalog.Processed) error) (catalog.StreamEnd, error) {
		if err := emit(processedOf(t, testComponent("a", "h"), testComponent("b", "g"))); err != nil {
			return catalog.StreamEnd{}, err
		}
		return catalog.StreamEnd{}, broken
	}})
	if !errors.Is(err, broken) {
		t.Fatalf("apply with a failing stream: %v", err)
	}
	// Stitching the groups again reads the rows towards them from the links.
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: groups, Entities: processedOf(t, testGroup("g", "again"), testGroup("h", "again"))}); err != nil {
		t.Fatal(err)
	}
	if g, h := relationsOf(t, s, "group:default/g"), relationsOf(t, s, "group:default/h"); g != "[ownerOf component:default/a ownerOf component:default/b]" || h != "[]" {
		t.Fatalf("after a failed apply: g %s, h %s", g, h)
	}

	// d, the entity with the largest id, goes; c takes its id.
	more := urlLocation(t, s, "https://example.com/more.yaml")
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: more, Entities: processedOf(t, testComponent("d", "g"))}); err != nil {
		t.Fatal(err)
	}
	id := func(ref string) (id int64) {
		t.Helper()
		if err := s.w.QueryRowContext(ctx, "SELECT id FROM entities WHERE ref = ?", ref).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var maxID int64
	if err := s.w.QueryRowContext(ctx, "SELECT max(id) FROM entities").Scan(&maxID); err != nil {
		t.Fatal(err)
	}
	dID := id("component:default/d")
	if dID != maxID {
		t.Fatalf("d has id %d, not the largest (%d)", dID, maxID)
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: more, OrphanStrategy: catalog.OrphanDelete}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: urlLocation(t, s, "https://example.com/last.yaml"), Entities: processedOf(t, testComponent("c", "h"))}); err != nil {
		t.Fatal(err)
	}
	if cID := id("component:default/c"); cID != dID {
		t.Fatalf("c has id %d, not d's %d", cID, dID)
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: groups, Entities: processedOf(t, testGroup("g", "third"), testGroup("h", "third"))}); err != nil {
		t.Fatal(err)
	}
	if g, h := relationsOf(t, s, "group:default/g"), relationsOf(t, s, "group:default/h"); g != "[ownerOf component:default/a ownerOf component:default/b]" || h != "[ownerOf component:default/c]" {
		t.Fatalf("after d went and c took its id: g %s, h %s", g, h)
	}
}
