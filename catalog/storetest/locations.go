package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
)

func testLocations(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/loc.yaml")
	if l.EntityRef != catalog.GeneratedLocationRef("url", "https://example.com/loc.yaml") {
		t.Fatalf("entity ref: %s", l.EntityRef)
	}
	_, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/loc.yaml"})
	var ce *catalog.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("duplicate location: want ConflictError, got %v", err)
	}
	l2, err := s.AddLocation(ctx, catalog.Location{Type: "file", Target: "/tmp/x.yaml", Origin: "config", Rules: []string{"Component", "API"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Location(ctx, l2.ID)
	if err != nil || got.Type != "file" || got.Target != "/tmp/x.yaml" || got.Origin != "config" || len(got.Rules) != 2 {
		t.Fatalf("Location: %+v %v", got, err)
	}
	all, err := s.Locations(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("Locations: %+v %v", all, err)
	}
	// Update to a clashing type+target is a conflict; to a new one works.
	got.Type, got.Target = "url", "https://example.com/loc.yaml"
	if _, err := s.UpdateLocation(ctx, got); !errors.As(err, &ce) {
		t.Fatalf("update to duplicate: want ConflictError, got %v", err)
	}
	got.Type, got.Target = "url", "https://example.com/other.yaml"
	up, err := s.UpdateLocation(ctx, got)
	if err != nil || up.Target != "https://example.com/other.yaml" || up.EntityRef != catalog.GeneratedLocationRef("url", "https://example.com/other.yaml") {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := s.UpdateLocation(ctx, catalog.Location{ID: "00000000-0000-0000-0000-000000000000", Type: "url", Target: "x"}); err == nil {
		t.Fatalf("update of missing location succeeded")
	} else {
		mustNotFound(t, err, "update missing location")
	}
	_, err = s.Location(ctx, "00000000-0000-0000-0000-000000000000")
	mustNotFound(t, err, "missing location")

	// LocationByEntity.
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "x"))})
	byEnt, err := s.LocationByEntity(ctx, "Component:default/X")
	if err != nil || byEnt.ID != l.ID {
		t.Fatalf("LocationByEntity: %+v %v", byEnt, err)
	}
	_, err = s.LocationByEntity(ctx, "component:default/none")
	mustNotFound(t, err, "LocationByEntity missing")
}

func testLocationsDue(t *testing.T, s catalog.Store) {
	a := addLoc(t, s, "https://example.com/due-a.yaml")
	b := addLoc(t, s, "https://example.com/due-b.yaml")
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.ScheduleRefresh(ctx, a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.ScheduleRefresh(ctx, b.ID, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	due, err := s.LocationsDue(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].ID != b.ID {
		t.Fatalf("due at t0: %+v %v", due, err)
	}
	due, err = s.LocationsDue(ctx, t0.Add(2*time.Hour), 10)
	if err != nil || len(due) != 2 || due[0].ID != b.ID {
		t.Fatalf("due later (oldest first): %+v %v", due, err)
	}
	due, err = s.LocationsDue(ctx, t0.Add(2*time.Hour), 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("due with limit: %+v %v", due, err)
	}
	mustNotFound(t, s.ScheduleRefresh(ctx, "00000000-0000-0000-0000-000000000000", t0), "schedule missing")
}

func testKV(t *testing.T, s catalog.Store) {
	if err := s.KVSet(ctx, "plugin-a", "k1", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.KVSet(ctx, "plugin-a", "k2", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := s.KVSet(ctx, "plugin-a", "other", []byte("o")); err != nil {
		t.Fatal(err)
	}
	if err := s.KVSet(ctx, "plugin-b", "k1", []byte("b1")); err != nil {
		t.Fatal(err)
	}
	v, ok, err := s.KVGet(ctx, "plugin-a", "k1")
	if err != nil || !ok || string(v) != "v1" {
		t.Fatalf("get a/k1: %q %v %v", v, ok, err)
	}
	v, ok, err = s.KVGet(ctx, "plugin-b", "k1")
	if err != nil || !ok || string(v) != "b1" {
		t.Fatalf("get b/k1: %q %v %v", v, ok, err)
	}
	if _, ok, _ := s.KVGet(ctx, "plugin-b", "k2"); ok {
		t.Fatalf("namespace leak: plugin-b sees k2")
	}
	if err := s.KVSet(ctx, "plugin-a", "k1", []byte("v1b")); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := s.KVGet(ctx, "plugin-a", "k1"); string(v) != "v1b" {
		t.Fatalf("overwrite: %q", v)
	}
	keys, err := s.KVList(ctx, "plugin-a", "k", 0)
	if err != nil || !eqStrings(keys, []string{"k1", "k2"}) {
		t.Fatalf("list a/k: %v %v", keys, err)
	}
	keys, _ = s.KVList(ctx, "plugin-a", "", 2)
	if !eqStrings(keys, []string{"k1", "k2"}) {
		t.Fatalf("list a limit 2: %v", keys)
	}
	keys, _ = s.KVList(ctx, "plugin-a", "%", 0)
	if len(keys) != 0 {
		t.Fatalf("prefix must be literal, got %v", keys)
	}
	if err := s.KVDelete(ctx, "plugin-a", "k1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.KVGet(ctx, "plugin-a", "k1"); ok {
		t.Fatalf("deleted key still there")
	}
	if _, ok, _ := s.KVGet(ctx, "plugin-b", "k1"); !ok {
		t.Fatalf("delete crossed namespaces")
	}
}

func testHealth(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/h.yaml")
	addLoc(t, s, "https://example.com/ok.yaml")
	pe := catalog.ProcessingError{Name: "InputError", Message: "bad"}
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{
		{Entity: E("Component", "", "a"), Errors: []catalog.ProcessingError{pe}},
		{Entity: E("Component", "", "b")}, {Entity: E("Component", "", "c")},
	}})
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{
		{Entity: E("Component", "", "a"), Errors: []catalog.ProcessingError{pe}}, {Entity: E("Component", "", "b")},
	}, Errors: []catalog.ProcessingError{{Source: "url:x", Doc: -1, Name: "InputError", Message: "broken yaml"}}})
	h, err := s.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := catalog.Health{Entities: 3, WithErrors: 1, Orphans: 1, LocationsFailing: 1}
	if h != want {
		t.Fatalf("health %+v want %+v", h, want)
	}
}

func testConcurrency(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/conc.yaml")
	gen := Generate(1, 200)
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: gen})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errc := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				p, err := s.QueryEntities(ctx, catalog.Query{Filter: catalog.Eq("kind", "component"), Limit: 20, CountTotal: true})
				if err != nil {
					errc <- err
					return
				}
				for _, it := range p.Items {
					if _, err := it.Entity(); err != nil {
						errc <- err
						return
					}
				}
				if _, err := s.Facets(ctx, catalog.Filter{}, []string{"kind"}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		ps := Generate(int64(2+i), 200)
		if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps, OrphanStrategy: catalog.OrphanDelete}); err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errc:
		t.Fatalf("reader: %v", err)
	default:
	}
}

func testLargeApply(t *testing.T, s catalog.Store) {
	n := 40000
	if testing.Short() {
		n = 5000
	}
	l := addLoc(t, s, "https://example.com/large.yaml")
	ps := make([]catalog.Processed, 0, n)
	for i := 0; i < n; i++ {
		c := E("Component", "", "big-"+itoa(i), "type", "service", "owner", "team-"+itoa(i%50))
		ps = append(ps, owned(c, "group:default/team-"+itoa(i%50)))
	}
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: ps})
	if res.Added != n {
		t.Fatalf("large apply: %+v", res)
	}
	p, err := s.QueryEntities(ctx, catalog.Query{Filter: catalog.Eq("relations.ownedby", "group:default/team-7"), CountTotal: true, Limit: 5})
	if err != nil || p.TotalItems != n/50 || len(p.Items) != 5 {
		t.Fatalf("query after large apply: total %d items %d %v", p.TotalItems, len(p.Items), err)
	}
	res = apply(t, s, catalog.Apply{LocationID: l.ID, Entities: ps[:n/2], OrphanStrategy: catalog.OrphanDelete})
	if res.Deleted != n-n/2 || res.Unchanged != n/2 {
		t.Fatalf("large shrink: %+v", res)
	}
}
