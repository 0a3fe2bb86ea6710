package storetest

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

func testFilterOracle(t *testing.T, s catalog.Store) {
	o := seedOracleStore(t, s, 300)
	if len(o.refs) < 280 {
		t.Fatalf("seeded %d entities", len(o.refs))
	}
	for name, f := range oracleFilters() {
		want := itemRefs(o.query(catalog.Query{Filter: f}))
		p, err := s.QueryEntities(ctx, catalog.Query{Filter: f, CountTotal: true})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := refsOf(p.Items); !eqStrings(got, want) {
			t.Errorf("filter %s (%+v):\n got %s\nwant %s", name, f, fmtRefs(got), fmtRefs(want))
		}
		if p.TotalItems != len(want) {
			t.Errorf("filter %s: total %d want %d", name, p.TotalItems, len(want))
		}
	}
}

type pagingCase struct {
	name string
	q    catalog.Query
}

func pagingCases() []pagingCase {
	kind := catalog.Eq("kind", "component")
	return []pagingCase{
		{"default-order", catalog.Query{}},
		{"default-order-filtered", catalog.Query{Filter: kind}},
		{"name-asc", catalog.Query{Order: []catalog.Order{{Field: "metadata.name"}}}},
		{"name-desc-filtered", catalog.Query{Filter: kind, Order: []catalog.Order{{Field: "metadata.name", Desc: true}}}},
		{"type-asc-missing-last", catalog.Query{Order: []catalog.Order{{Field: "spec.type"}}}},
		{"type-desc-missing-last", catalog.Query{Order: []catalog.Order{{Field: "spec.type", Desc: true}}}},
		{"type-asc-exclude-missing", catalog.Query{Order: []catalog.Order{{Field: "spec.type"}}, ExcludeMissingOrder: true}},
		{"lifecycle-desc-exclude", catalog.Query{Filter: kind, Order: []catalog.Order{{Field: "Spec.Lifecycle", Desc: true}}, ExcludeMissingOrder: true}},
		{"tags-multivalued-asc", catalog.Query{Order: []catalog.Order{{Field: "metadata.tags"}}}},
		{"tags-multivalued-desc", catalog.Query{Order: []catalog.Order{{Field: "metadata.tags", Desc: true}}}},
		{"fulltext-ordered", catalog.Query{FullText: &catalog.FullText{Term: "SVC"}, Order: []catalog.Order{{Field: "metadata.name"}}}},
		{"empty-result", catalog.Query{Filter: catalog.Eq("kind", "nope")}},
		{"no-such-order-field", catalog.Query{Order: []catalog.Order{{Field: "spec.nope"}}}},
	}
}

func testOrderAndPaging(t *testing.T, s catalog.Store) {
	o := seedOracleStore(t, s, 300)
	for _, pc := range pagingCases() {
		want := o.query(pc.q)
		wantRefs := itemRefs(want)
		// Unpaged.
		p, err := s.QueryEntities(ctx, pc.q)
		if err != nil {
			t.Fatalf("%s: %v", pc.name, err)
		}
		if got := refsOf(p.Items); !eqStrings(got, wantRefs) {
			t.Fatalf("%s unpaged:\n got %s\nwant %s", pc.name, fmtRefs(got), fmtRefs(wantRefs))
		}
		if p.HasMore || p.HasPrev {
			t.Fatalf("%s unpaged: HasMore %v HasPrev %v", pc.name, p.HasMore, p.HasPrev)
		}
		// Forwards with After.
		const limit = 17
		var fwd []string
		var pages []catalog.Page
		q := pc.q
		q.Limit, q.CountTotal = limit, true
		for i := 0; ; i++ {
			p, err := s.QueryEntities(ctx, q)
			if err != nil {
				t.Fatalf("%s page %d: %v", pc.name, i, err)
			}
			if p.TotalItems != len(want) {
				t.Fatalf("%s page %d: total %d want %d", pc.name, i, p.TotalItems, len(want))
			}
			if p.HasPrev != (i > 0) {
				t.Fatalf("%s page %d: HasPrev %v", pc.name, i, p.HasPrev)
			}
			fwd = append(fwd, refsOf(p.Items)...)
			pages = append(pages, p)
			if len(p.Items) > 0 {
				checkPos(t, pc.name, p.First, want[len(fwd)-len(p.Items)])
				checkPos(t, pc.name, p.Last, want[len(fwd)-1])
			}
			if !p.HasMore {
				break
			}
			if len(p.Items) != limit || i > 100 {
				t.Fatalf("%s page %d: %d items with HasMore", pc.name, i, len(p.Items))
			}
			q.After = p.Last
		}
		if !eqStrings(fwd, wantRefs) {
			t.Fatalf("%s forwards:\n got %s\nwant %s", pc.name, fmtRefs(fwd), fmtRefs(wantRefs))
		}
		// Backwards with Before, from the last page.
		last := pages[len(pages)-1]
		if len(pages) > 1 {
			back := refsOf(last.Items)
			q := pc.q
			q.Limit = limit
			q.Before = last.First
			for i := 0; ; i++ {
				p, err := s.QueryEntities(ctx, q)
				if err != nil {
					t.Fatalf("%s back page %d: %v", pc.name, i, err)
				}
				if !p.HasMore {
					t.Fatalf("%s back page %d: HasMore false", pc.name, i)
				}
				back = append(refsOf(p.Items), back...)
				if !p.HasPrev {
					break
				}
				if len(p.Items) != limit || i > 100 {
					t.Fatalf("%s back page %d: %d items with HasPrev", pc.name, i, len(p.Items))
				}
				q.Before = p.First
			}
			if !eqStrings(back, wantRefs) {
				t.Fatalf("%s backwards:\n got %s\nwant %s", pc.name, fmtRefs(back), fmtRefs(wantRefs))
			}
		}
		// Offset.
		for _, off := range []int{0, 5, len(want) - 3, len(want) + 10} {
			if off < 0 {
				continue
			}
			q := pc.q
			q.Offset, q.Limit = off, 10
			p, err := s.QueryEntities(ctx, q)
			if err != nil {
				t.Fatalf("%s offset %d: %v", pc.name, off, err)
			}
			var exp []string
			if off < len(wantRefs) {
				exp = wantRefs[off:min(off+10, len(wantRefs))]
			}
			if got := refsOf(p.Items); !eqStrings(got, exp) {
				t.Fatalf("%s offset %d:\n got %v\nwant %v", pc.name, off, got, exp)
			}
			if p.HasMore != (off+10 < len(wantRefs)) {
				t.Fatalf("%s offset %d: HasMore %v", pc.name, off, p.HasMore)
			}
		}
		// Offset after a cursor skips from the cursor.
		if len(want) > 20 {
			q := pc.q
			q.Limit, q.Offset, q.After = 5, 3, pages[0].First
			p, err := s.QueryEntities(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if got, exp := refsOf(p.Items), wantRefs[4:9]; !eqStrings(got, exp) {
				t.Fatalf("%s after+offset: got %v want %v", pc.name, got, exp)
			}
		}
	}
}

func checkPos(t *testing.T, name string, p *catalog.Position, it item) {
	t.Helper()
	if p == nil || p.Ref != it.ref || p.Missing != it.missing || (!it.missing && p.Value != it.value) {
		t.Fatalf("%s: position %+v want %+v", name, p, it)
	}
}

func testFullText(t *testing.T, s catalog.Store) {
	o := seedOracleStore(t, s, 200)
	cases := []catalog.Query{
		{FullText: &catalog.FullText{Term: "payments"}},
		{FullText: &catalog.FullText{Term: "PAY"}},
		{FullText: &catalog.FullText{Term: "team-b", Fields: []string{"spec.owner"}}},
		{FullText: &catalog.FullText{Term: "mixed", Fields: []string{"Metadata.Name", "metadata.description"}}},
		{FullText: &catalog.FullText{Term: "svc"}, Filter: catalog.Eq("kind", "component")},
		{FullText: &catalog.FullText{Term: "zzz-not-there"}},
		{FullText: &catalog.FullText{Term: ""}},
	}
	for i, q := range cases {
		q.CountTotal = true
		want := itemRefs(o.query(q))
		p, err := s.QueryEntities(ctx, q)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if got := refsOf(p.Items); !eqStrings(got, want) || p.TotalItems != len(want) {
			t.Fatalf("full text %+v:\n got %s (%d)\nwant %s", q.FullText, fmtRefs(got), p.TotalItems, fmtRefs(want))
		}
	}
}

func testFacets(t *testing.T, s catalog.Store) {
	o := seedOracleStore(t, s, 300)
	for _, f := range []catalog.Filter{{}, catalog.Eq("kind", "component"), catalog.AnyOf()} {
		keys := []string{"kind", "Spec.Type", "metadata.tags", "relations.ownedBy", "spec.nope"}
		got, err := s.Facets(ctx, f, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(keys) {
			t.Fatalf("facets keyed %v", got)
		}
		for _, k := range keys {
			counts := map[string]int{}
			for _, r := range o.refs {
				ts := o.tokens[r]
				if !f.MatchTokens(ts) {
					continue
				}
				for _, v := range ts[strings.ToLower(k)] {
					counts[v]++
				}
			}
			var exp []string
			for v, c := range counts {
				exp = append(exp, fmt.Sprintf("%s=%d", v, c))
			}
			sort.Strings(exp)
			var act []string
			fc := got[k]
			for i, c := range fc {
				act = append(act, fmt.Sprintf("%s=%d", strings.ToLower(c.Value), c.Count))
				if i > 0 && (fc[i-1].Count < c.Count || (fc[i-1].Count == c.Count && strings.ToLower(fc[i-1].Value) > strings.ToLower(c.Value))) {
					t.Fatalf("facet %s not sorted by count desc, value asc: %v", k, fc)
				}
			}
			sort.Strings(act)
			if !eqStrings(act, exp) {
				t.Fatalf("facet %s under %+v:\n got %v\nwant %v", k, f, act, exp)
			}
		}
		// Original spelling: kinds are written capitalised.
		for _, c := range got["kind"] {
			if c.Value == strings.ToLower(c.Value) {
				t.Fatalf("facet kind lost the original case: %v", got["kind"])
			}
		}
	}
}

func testFilteredReads(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/fr.yaml")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "a", "type", "service"), E("API", "", "b"))})
	deny := catalog.Eq("kind", "api")
	_, err := s.EntityByRef(ctx, "component:default/a", deny)
	mustNotFound(t, err, "by ref filtered out")
	a := get(t, s, "component:default/a")
	_, err = s.EntityByUID(ctx, a.Metadata.UID, deny)
	mustNotFound(t, err, "by uid filtered out")
	if _, err := s.EntityByRef(ctx, "api:default/b", deny); err != nil {
		t.Fatalf("by ref allowed: %v", err)
	}
	if _, err := s.EntityByRef(ctx, "component:default/a", catalog.AnyOf()); err == nil {
		t.Fatalf("$any: [] must hide everything")
	}
}

// testIndexFollowsWrites queries (so lazily built orderings exist), changes
// the catalog in every way, and checks the answers again.
func testIndexFollowsWrites(t *testing.T, s catalog.Store) {
	l1 := addLoc(t, s, "https://example.com/w1.yaml")
	l2 := addLoc(t, s, "https://example.com/w2.yaml")
	gen := Generate(9, 240)
	apply(t, s, catalog.Apply{LocationID: l1.ID, Entities: gen[:120]})
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: gen[120:]})
	queries := []catalog.Query{
		{Filter: catalog.Prefix("metadata.name", "svc-1")},
		{Filter: catalog.Prefix("spec.type", "s"), Order: []catalog.Order{{Field: "metadata.name", Desc: true}}},
		{Order: []catalog.Order{{Field: "spec.type"}}},
		{Order: []catalog.Order{{Field: "metadata.tags", Desc: true}}, Filter: catalog.Eq("kind", "component")},
		{FullText: &catalog.FullText{Term: "web-"}},
	}
	check := func(stage string) {
		o := loadOracle(t, s)
		for i, q := range queries {
			want := itemRefs(o.query(q))
			p, err := s.QueryEntities(ctx, q)
			if err != nil {
				t.Fatalf("%s query %d: %v", stage, i, err)
			}
			if got := refsOf(p.Items); !eqStrings(got, want) {
				t.Fatalf("%s query %d:\n got %s\nwant %s", stage, i, fmtRefs(got), fmtRefs(want))
			}
		}
	}
	check("initial")
	// Rename-ish churn: drop some, add new names, change types, orphan, delete by uid.
	next := Generate(10, 200)
	apply(t, s, catalog.Apply{LocationID: l1.ID, Entities: next[:90], OrphanStrategy: catalog.OrphanDelete})
	check("after replace")
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: gen[120:200]})
	check("after orphaning")
	rec, err := s.EntityByRef(ctx, ref(gen[150].Entity), catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEntityByUID(ctx, rec.UID); err != nil {
		t.Fatal(err)
	}
	check("after delete by uid")
	if err := s.DeleteLocation(ctx, l2.ID, catalog.OrphanDelete); err != nil {
		t.Fatal(err)
	}
	check("after delete location")
}
