package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// rowVersions returns every entities and relations row's xmin: any write
// (even of identical values) gives a row a new one.
func rowVersions(t *testing.T, s *Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	rows, err := s.pool.Query(context.Background(), `SELECT 'e:' || ref, xmin::text FROM entities
		UNION ALL SELECT 'r:' || originator_id || ':' || source_ref || ':' || type || ':' || target_ref, xmin::text FROM relations`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

func TestIdenticalApplyWritesNoRow(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	l := addLocation(t, s, "https://example.com/zero.yaml")
	org := addLocation(t, s, "https://example.com/org.yaml")
	var ps []catalog.Processed
	for i := range 20 {
		p := component(fmt.Sprintf("svc-%d", i))
		r := p.Entity.Ref().String()
		p.Relations = []catalog.RelationRow{
			{Source: r, Type: "ownedBy", Target: "group:default/team"},
			{Source: "group:default/team", Type: "ownerOf", Target: r},
		}
		ps = append(ps, p)
	}
	team := catalog.Processed{Entity: &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Group",
		Metadata: catalog.Metadata{Name: "team"}, Spec: map[string]any{"type": "team"}}}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: org.ID, Entities: []catalog.Processed{team}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Location(ctx, l.ID); err != nil || got.RefreshedAt.IsZero() {
		t.Fatalf("location after apply: refreshedAt %v, err %v", got.RefreshedAt, err)
	}
	before := rowVersions(t, s)
	for _, a := range []catalog.Apply{{LocationID: l.ID, Entities: ps}, {LocationID: org.ID, Entities: []catalog.Processed{team}}} {
		res, err := s.ApplyLocation(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if res.Unchanged != len(a.Entities) || res.Added+res.Updated+res.Orphaned+res.Deleted != 0 {
			t.Fatalf("identical re-apply: %+v", res)
		}
	}
	after := rowVersions(t, s)
	if len(after) != len(before) {
		t.Fatalf("row count changed: %d -> %d", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Fatalf("row %s was rewritten by an identical apply", k)
		}
	}
	// Changing one entity rewrites it and its relation rows; the group's
	// final does not change (same rows), so it is not rewritten, nor is anything else.
	ps[3].Entity.Spec["type"] = "website"
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps}); err != nil {
		t.Fatal(err)
	}
	changed := rowVersions(t, s)
	for k, v := range before {
		if changed[k] != v && k != "e:component:default/svc-3" && !isRelationOf(k, "component:default/svc-3") {
			t.Errorf("row %s rewritten by an unrelated change", k)
		}
	}
}

func isRelationOf(key, ref string) bool {
	return strings.HasPrefix(key, "r:") && (strings.Contains(key, ":"+ref+":") || strings.HasSuffix(key, ":"+ref))
}

// Filter values are parameters, never SQL: quotes, LIKE wildcards, the
// token separator and backslashes match literally.
func TestFilterValuesAreLiteral(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	l := addLocation(t, s, "https://example.com/literal.yaml")
	odd := []string{`o'brien`, `100%_done`, `back\slash`, `semi;colon--`, "x\x1fy"}
	var ps []catalog.Processed
	for i, v := range odd {
		p := component(fmt.Sprintf("odd-%d", i))
		p.Entity.Spec["tier"] = v
		ps = append(ps, p)
	}
	plain := component("plain")
	plain.Entity.Spec["tier"] = "100 done"
	ps = append(ps, plain)
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps}); err != nil {
		t.Fatal(err)
	}
	count := func(f catalog.Filter) int {
		t.Helper()
		p, err := s.QueryEntities(ctx, catalog.Query{Filter: f, CountTotal: true})
		if err != nil {
			t.Fatalf("query %+v: %v", f, err)
		}
		return p.TotalItems
	}
	for _, v := range odd {
		if n := count(catalog.Eq("spec.tier", v)); n != 1 {
			t.Errorf("Eq(spec.tier, %q) matched %d, want 1", v, n)
		}
	}
	if n := count(catalog.Prefix("spec.tier", "100%")); n != 1 {
		t.Errorf("prefix with %% matched %d, want 1 (LIKE wildcards must be literal)", n)
	}
	if n := count(catalog.Prefix("spec.tier", "x")); n != 1 {
		t.Errorf("prefix x matched %d, want 1", n)
	}
	// The separator inside a value must not fake a key: spec.tier=x\x1fy is
	// one value, not key "spec.tier" with value "x" plus "y".
	if n := count(catalog.Eq("spec.tier", "x")); n != 0 {
		t.Errorf("Eq(spec.tier, x) matched %d, want 0", n)
	}
	p, err := s.QueryEntities(ctx, catalog.Query{FullText: &catalog.FullText{Term: "_DONE", Fields: []string{"spec.tier"}}, CountTotal: true})
	if err != nil || p.TotalItems != 1 {
		t.Errorf("full text with _ matched %d (%v), want 1", p.TotalItems, err)
	}
	if _, err := s.QueryEntities(ctx, catalog.Query{Limit: -1}); err == nil {
		t.Error("a negative limit was accepted")
	} else {
		var ie *catalog.InputError
		if !errors.As(err, &ie) {
			t.Errorf("negative limit: want InputError, got %v", err)
		}
	}
}

// Facets count entities with several values for a key like the others, and
// report each value in one spelling: the index keeps the first it saw.
func TestFacetsMixSingleAndMultiValued(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	l := addLocation(t, s, "https://example.com/facets.yaml")
	mk := func(name string, typ any, owner string) catalog.Processed {
		p := component(name)
		p.Entity.Spec["type"] = typ
		p.Entity.Spec["owner"] = owner
		return p
	}
	ps := []catalog.Processed{
		mk("a", "Service", "team-a"),
		mk("b", "service", "team-a"),
		mk("c", []any{"Website", "service"}, "Team-B"),
		mk("d", "website", "team-b"),
		mk("e", []any{"library"}, "team-a"),
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Facets(ctx, catalog.Filter{}, []string{"spec.type", "Spec.Owner", "metadata.name"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"spec.type":     "[{Service 3} {Website 2} {library 1}]",
		"Spec.Owner":    "[{team-a 3} {Team-B 2}]",
		"metadata.name": "[{a 1} {b 1} {c 1} {d 1} {e 1}]",
	}
	for k, w := range want {
		if g := fmt.Sprint(got[k]); g != w {
			t.Errorf("facet %s = %s, want %s", k, g, w)
		}
	}
	// Under a filter (the spelling stays the value's, not the filtered
	// entities'), and descending order on a multi-valued key uses its
	// largest value.
	got, err = s.Facets(ctx, catalog.Eq("spec.owner", "team-b"), []string{"spec.type"})
	if err != nil {
		t.Fatal(err)
	}
	if g := fmt.Sprint(got["spec.type"]); g != "[{Website 2} {Service 1}]" {
		t.Errorf("filtered facet = %s", g)
	}
	p, err := s.QueryEntities(ctx, catalog.Query{Order: []catalog.Order{{Field: "spec.type", Desc: true}}})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range p.Items {
		order = append(order, r.Ref[len("component:default/"):])
	}
	if g := fmt.Sprint(order); g != "[c d a b e]" {
		t.Errorf("desc order by spec.type = %s, want [c d a b e]", g)
	}
}
