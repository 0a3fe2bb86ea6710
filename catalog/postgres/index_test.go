package postgres

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// names lists the names of the components a store's index answers with.
func names(t *testing.T, s *Store) string {
	t.Helper()
	p, err := s.QueryEntities(context.Background(), catalog.Query{Filter: catalog.Eq("kind", "component"),
		Order: []catalog.Order{{Field: "metadata.name"}}, CountTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range p.Items {
		out = append(out, strings.TrimPrefix(r.Ref, "component:default/"))
	}
	return fmt.Sprintf("%d %v", p.TotalItems, out)
}

// replicas opens two stores on one schema.
func replicas(t *testing.T) (*Store, *Store) {
	t.Helper()
	a := openTest(t)
	b, err := Open(context.Background(), testURL(), WithSchema(a.Schema()), WithLogger(quietLog))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return a, b
}

// deaf stops s following the change feed.
func deaf(s *Store) {
	s.idx.cancel()
	<-s.idx.done
}

// facet is a store's unfiltered facet of key.
func facet(t *testing.T, s *Store, key string) string {
	t.Helper()
	f, err := s.Facets(context.Background(), catalog.Filter{}, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(f[key])
}

// Each replica answers lists and facets from its own index: a write on one
// is seen by the next read on the other, deletes included, and the other's
// index follows the change feed without being read.
func TestIndexFollowsOtherReplicas(t *testing.T) {
	ctx := context.Background()
	a, b := replicas(t)
	l := addLocation(t, a, "https://example.com/replicas.yaml")
	apply := func(ns ...string) {
		t.Helper()
		var ps []catalog.Processed
		for _, n := range ns {
			ps = append(ps, component(n))
		}
		if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps, OrphanStrategy: catalog.OrphanDelete}); err != nil {
			t.Fatal(err)
		}
	}
	apply("x", "y", "z")
	if got := names(t, b); got != "3 [x y z]" {
		t.Fatalf("other replica after an apply: %s", got)
	}
	apply("x", "w") // y and z leave the location: deleted
	if got := names(t, b); got != "2 [w x]" {
		t.Fatalf("other replica after deletes: %s", got)
	}
	if got := facet(t, b, "metadata.name"); got != "[{w 1} {x 1}]" {
		t.Fatalf("other replica's facets: %s", got)
	}

	// Without a read: the change feed catches b up.
	apply("x", "v")
	var want int64
	if err := a.pool.QueryRow(ctx, `SELECT v FROM catalog_version`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for b.idx.applied.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("other replica's index at version %d, the catalog at %d: the change feed did not catch it up", b.idx.applied.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := a.DeleteEntityByUID(ctx, uidOf(t, a, "component:default/v")); err != nil {
		t.Fatal(err)
	}
	if got := names(t, b); got != "1 [x]" {
		t.Fatalf("other replica after a delete by uid: %s", got)
	}
}

func uidOf(t *testing.T, s *Store, ref string) string {
	t.Helper()
	r, err := s.EntityByRef(context.Background(), ref, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return r.UID
}

// A replica whose index is older than the trimmed part of the deletion log
// reloads it whole instead of missing a delete.
func TestIndexReloadsPastTrimmedDeletions(t *testing.T) {
	ctx := context.Background()
	a, b := replicas(t)
	deaf(b) // b learns of writes only when it reads
	l := addLocation(t, a, "https://example.com/trim.yaml")
	for _, ns := range [][]string{{"p", "q"}, {"q"}} {
		var ps []catalog.Processed
		for _, n := range ns {
			ps = append(ps, component(n))
		}
		if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps, OrphanStrategy: catalog.OrphanDelete}); err != nil {
			t.Fatal(err)
		}
		if len(ns) == 2 {
			if got := names(t, b); got != "2 [p q]" {
				t.Fatalf("before the delete: %s", got)
			}
		}
	}
	// The log of p's deletion is gone, as after an hour.
	if _, err := a.pool.Exec(ctx, `DELETE FROM entity_deletions`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pool.Exec(ctx, `UPDATE catalog_version SET trimmed = v`); err != nil {
		t.Fatal(err)
	}
	if got := names(t, b); got != "1 [q]" {
		t.Fatalf("after a trimmed delete: %s", got)
	}
}

// A write to entities outside a versioned transaction fails instead of
// going unseen by the replicas' indexes.
func TestUnversionedWriteFails(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	l := addLocation(t, s, "https://example.com/unversioned.yaml")
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{component("u")}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE entities SET errors = 'x'`, `DELETE FROM entities`} {
		if _, err := s.pool.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "portico.version") {
			t.Fatalf("%s without a catalog version: err = %v", q, err)
		}
	}
	if got := names(t, s); got != "1 [u]" {
		t.Fatalf("after the refused writes: %s", got)
	}
}

// The applying replica publishes what it staged while writing, without
// reading it back — also when its index was behind when the apply began —
// and a failed apply leaves its index as it was.
func TestApplyPublishesStagedRows(t *testing.T) {
	ctx := context.Background()
	a, b := replicas(t)
	deaf(a) // a learns of b's writes only when it reads or writes
	la := addLocation(t, a, "https://example.com/staged-a.yaml")
	lb := addLocation(t, b, "https://example.com/staged-b.yaml")
	if _, err := b.ApplyLocation(ctx, catalog.Apply{LocationID: lb.ID, Entities: []catalog.Processed{component("from-b")}}); err != nil {
		t.Fatal(err)
	}
	direct := a.idx.direct.Load()
	if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: la.ID, Entities: []catalog.Processed{component("a1"), component("a2")}}); err != nil {
		t.Fatal(err)
	}
	if got := a.idx.direct.Load() - direct; got != 1 {
		t.Fatalf("%d applies published from staged rows, want 1", got)
	}
	if got := names(t, a); got != "3 [a1 a2 from-b]" {
		t.Fatalf("applying replica: %s", got)
	}
	if got := names(t, b); got != "3 [a1 a2 from-b]" {
		t.Fatalf("other replica: %s", got)
	}

	// A failed apply: nothing it staged shows, and the next one publishes.
	failed := fmt.Errorf("disk full")
	a.beforeCommit = func() error { return failed }
	bad := component("a3")
	bad.Entity.Spec["type"] = "website"
	_, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: la.ID, Entities: []catalog.Processed{component("a1"), bad}, OrphanStrategy: catalog.OrphanDelete})
	a.beforeCommit = nil
	if err != failed {
		t.Fatalf("apply with a failing commit: %v", err)
	}
	if got := names(t, a); got != "3 [a1 a2 from-b]" {
		t.Fatalf("after a failed apply: %s", got)
	}
	if got := facet(t, a, "spec.type"); got != "[{service 3}]" {
		t.Fatalf("facets after a failed apply: %s", got)
	}
	direct = a.idx.direct.Load()
	if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: la.ID, Entities: []catalog.Processed{component("a1"), bad}, OrphanStrategy: catalog.OrphanDelete}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, a); got != "3 [a1 a3 from-b]" || a.idx.direct.Load() != direct+1 {
		t.Fatalf("after the retry: %s (published directly: %v)", got, a.idx.direct.Load() == direct+1)
	}
	if got := facet(t, a, "spec.type"); got != "[{service 2} {website 1}]" {
		t.Fatalf("facets after the retry: %s", got)
	}

	// Rows staged while the index was behind (its catch-up at the start of
	// the apply failed) are not published directly even if a catch-up
	// brought it to the version before the apply's in the meantime: that
	// catch-up may have swept values only the staged rows used.
	v := a.idx.applied.Load()
	direct = a.idx.direct.Load()
	a.publish(ctx, &stager{ix: a.idx.ix, version: v + 1, reloads: a.idx.reloads.Load(), base: v - 1})
	if a.idx.direct.Load() != direct || a.idx.applied.Load() != v {
		t.Fatalf("rows staged behind the index were published directly (applied %d, was %d)", a.idx.applied.Load(), v)
	}
}
