package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// testRecentlyChanged: newest change first; a write that leaves an entity's
// final JSON as it was does not move it; the health restrictions, the filter
// and the limit apply.
func testRecentlyChanged(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/recent.yaml")
	a := func() *catalog.Entity {
		e := E("Component", "", "alpha", "type", "service")
		e.Metadata.Title = "Alpha"
		return e
	}
	b := func(desc string) *catalog.Entity {
		e := E("API", "", "beta", "type", "openapi")
		e.Metadata.Description = desc
		return e
	}
	c := func() *catalog.Entity { return E("Component", "", "gamma") }
	recent := func(q catalog.RecentQuery) []catalog.RecentChange {
		t.Helper()
		rs, err := s.RecentlyChanged(ctx, q)
		if err != nil {
			t.Fatalf("RecentlyChanged %+v: %v", q, err)
		}
		return rs
	}
	refs := func(rs []catalog.RecentChange) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = r.Ref
		}
		return out
	}
	// Each step waits a little so that change times differ (stores keep
	// milliseconds); nothing is asserted about durations.
	step := func(hash string, es ...catalog.Processed) {
		t.Helper()
		time.Sleep(5 * time.Millisecond)
		for i := range es {
			es[i].Hash = hash + es[i].Entity.Metadata.Name
		}
		apply(t, s, catalog.Apply{LocationID: l.ID, Entities: es})
	}
	if rs := recent(catalog.RecentQuery{}); len(rs) != 0 {
		t.Fatalf("empty store lists %v", refs(rs))
	}

	step("1", catalog.Processed{Entity: c()})
	step("1", catalog.Processed{Entity: c()}, catalog.Processed{Entity: b("first")}, catalog.Processed{Entity: a()})
	first := recent(catalog.RecentQuery{})
	if got := refs(first); !eqStrings(got, []string{"component:default/alpha", "api:default/beta", "component:default/gamma"}) &&
		!eqStrings(got, []string{"api:default/beta", "component:default/alpha", "component:default/gamma"}) {
		t.Fatalf("after two applies: %v (gamma must be oldest)", got)
	}
	for _, r := range first {
		if r.ChangedAt.IsZero() {
			t.Fatalf("%s has no change time", r.Ref)
		}
		switch r.Ref {
		case "component:default/alpha":
			if r.Title != "Alpha" || r.Kind != "Component" {
				t.Fatalf("alpha listed as %+v", r)
			}
		case "api:default/beta":
			if r.Title != "" || r.Kind != "API" {
				t.Fatalf("beta listed as %+v", r)
			}
		}
	}
	at := map[string]time.Time{}
	for _, r := range first {
		at[r.Ref] = r.ChangedAt
	}
	unchanged := func(what string, rs []catalog.RecentChange, except ...string) {
		t.Helper()
		skip := map[string]bool{}
		for _, e := range except {
			skip[e] = true
		}
		for _, r := range rs {
			if !skip[r.Ref] && !r.ChangedAt.Equal(at[r.Ref]) {
				t.Fatalf("%s: %s moved from %s to %s although its JSON did not change", what, r.Ref, at[r.Ref], r.ChangedAt)
			}
		}
	}

	// The same entities again, also with new input hashes: nothing moves.
	step("1", catalog.Processed{Entity: c()}, catalog.Processed{Entity: b("first")}, catalog.Processed{Entity: a()})
	unchanged("identical apply", recent(catalog.RecentQuery{}))
	step("2", catalog.Processed{Entity: c()}, catalog.Processed{Entity: b("first")}, catalog.Processed{Entity: a()})
	unchanged("new hashes, same entities", recent(catalog.RecentQuery{}))

	// gamma changes: it comes first, the others keep their times.
	step("3", catalog.Processed{Entity: func() *catalog.Entity { e := c(); e.Metadata.Description = "now described"; return e }()},
		catalog.Processed{Entity: b("first")}, catalog.Processed{Entity: a()})
	rs := recent(catalog.RecentQuery{})
	if rs[0].Ref != "component:default/gamma" || !rs[0].ChangedAt.After(at["component:default/alpha"]) {
		t.Fatalf("changed gamma is not first: %v", refs(rs))
	}
	unchanged("one entity changed", rs, "component:default/gamma")
	gammaDescribed := func() *catalog.Entity { e := c(); e.Metadata.Description = "now described"; return e }

	// alpha gets a processing error (its status changes); beta is dropped
	// and becomes an orphan.
	pe := catalog.ProcessingError{Name: "InputError", Message: "bad owner"}
	step("4", catalog.Processed{Entity: gammaDescribed()}, catalog.Processed{Entity: a(), Errors: []catalog.ProcessingError{pe}})
	rs = recent(catalog.RecentQuery{})
	if len(rs) != 3 || rs[2].Ref != "component:default/gamma" {
		t.Fatalf("after errors and orphaning: %v", refs(rs))
	}
	errs := recent(catalog.RecentQuery{Only: catalog.RecentWithErrors})
	if got := refs(errs); !eqStrings(got, []string{"component:default/alpha"}) {
		t.Fatalf("with errors: %v", got)
	}
	if len(errs[0].Errors) != 1 || errs[0].Errors[0].Message != "bad owner" || errs[0].Orphan {
		t.Fatalf("alpha's errors: %+v", errs[0])
	}
	orphans := recent(catalog.RecentQuery{Only: catalog.RecentOrphans})
	if got := refs(orphans); !eqStrings(got, []string{"api:default/beta"}) || !orphans[0].Orphan || len(orphans[0].Errors) != 0 {
		t.Fatalf("orphans: %+v", orphans)
	}

	// The filter and the limit.
	if got := refs(recent(catalog.RecentQuery{Filter: catalog.Eq("kind", "component")})); len(got) != 2 || got[1] != "component:default/gamma" {
		t.Fatalf("kind=component: %v", got)
	}
	if got := refs(recent(catalog.RecentQuery{Filter: catalog.Eq("kind", "api"), Only: catalog.RecentWithErrors})); len(got) != 0 {
		t.Fatalf("kind=api with errors: %v", got)
	}
	if got := refs(recent(catalog.RecentQuery{Filter: catalog.Eq("kind", "nothing")})); len(got) != 0 {
		t.Fatalf("kind=nothing: %v", got)
	}
	if got := recent(catalog.RecentQuery{Limit: 1}); len(got) != 1 || got[0].Ref != rs[0].Ref {
		t.Fatalf("limit 1: %v, want %s", refs(got), rs[0].Ref)
	}
	for _, bad := range []catalog.RecentQuery{{Limit: -1}, {Limit: catalog.MaxRecentLimit + 1}, {Only: 9}} {
		_, err := s.RecentlyChanged(ctx, bad)
		var in *catalog.InputError
		if !errors.As(err, &in) {
			t.Fatalf("RecentlyChanged %+v: want InputError, got %v", bad, err)
		}
	}
}
