package storetest

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// streamOf streams ps in parts of size n, then ends with errs and keep.
func streamOf(ps []catalog.Processed, n int, end catalog.StreamEnd) catalog.EntityStream {
	return func(emit func([]catalog.Processed) error) (catalog.StreamEnd, error) {
		for i := 0; i < len(ps); i += n {
			if err := emit(ps[i:min(i+n, len(ps))]); err != nil {
				return catalog.StreamEnd{}, err
			}
		}
		return end, nil
	}
}

// streamWorld is a small organisation whose relations cross part boundaries
// both ways: groups come first, so the components, systems and users that
// point at them (ownerOf, hasMember, hasPart rows with a group or system as
// source) arrive in later parts than the entities those rows stitch onto.
func streamWorld(owners map[int]int) []catalog.Processed {
	src := "url:https://example.com/stream.yaml"
	var ps []catalog.Processed
	for g := 0; g < 4; g++ {
		ps = append(ps, catalog.Processed{Entity: withSource(E("Group", "", "team-"+itoa(g), "type", "team"), src)})
	}
	for u := 0; u < 10; u++ {
		e := withSource(E("User", "", "user-"+itoa(u)), src)
		r, grp := ref(e), "group:default/team-"+itoa(u%4)
		ps = append(ps, catalog.Processed{Entity: e, Relations: []catalog.RelationRow{
			{Source: r, Type: "memberOf", Target: grp}, {Source: grp, Type: "hasMember", Target: r}}})
	}
	for c := 0; c < 25; c++ {
		owner := c % 4
		if o, ok := owners[c]; ok {
			owner = o
		}
		e := withSource(E("Component", "", "svc-"+itoa(c), "type", "service"), src)
		p := owned(e, "group:default/team-"+itoa(owner))
		sys := "system:default/sys-" + itoa(c%3)
		p.Relations = append(p.Relations, catalog.RelationRow{Source: ref(e), Type: "partOf", Target: sys},
			catalog.RelationRow{Source: sys, Type: "hasPart", Target: ref(e)})
		ps = append(ps, p)
	}
	for y := 0; y < 3; y++ {
		ps = append(ps, owned(withSource(E("System", "", "sys-"+itoa(y)), src), "group:default/team-"+itoa(y)))
	}
	return ps
}

// expectRelations is what stitching must give each ref of ps: every row whose
// source it is, sorted and deduplicated.
func expectRelations(ps []catalog.Processed) map[string][]string {
	out := map[string][]string{}
	var rows []catalog.RelationRow
	for _, p := range ps {
		rows = append(rows, catalog.CanonicalRelations(p.Relations)...)
	}
	for _, p := range ps {
		r := strings.ToLower(ref(p.Entity))
		var rs []string
		for _, rel := range catalog.StitchRelations(r, rows) {
			rs = append(rs, rel.Type+">"+rel.TargetRef)
		}
		out[r] = rs
	}
	return out
}

func checkRelations(t *testing.T, s catalog.Store, want map[string][]string) {
	t.Helper()
	for r, rs := range want {
		e := get(t, s, r)
		if got := relStrings(e); !eqStrings(got, sortedCopy(rs)) {
			t.Fatalf("%s relations:\n got %v\nwant %v", r, got, rs)
		}
	}
}

func testStreamedApply(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/stream.yaml")
	world := streamWorld(nil)
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Stream: streamOf(world, 5, catalog.StreamEnd{})})
	if res.Added != len(world) {
		t.Fatalf("streamed apply: %+v, want %d added", res, len(world))
	}
	checkRelations(t, s, expectRelations(world))

	// The same input in one part changes nothing: streaming is not a
	// different result.
	before := snapshot(t, s)
	res = apply(t, s, catalog.Apply{LocationID: l.ID, Entities: streamWorld(nil)})
	if res.Added+res.Updated+res.Orphaned+res.Deleted != 0 || res.Unchanged != len(world) {
		t.Fatalf("identical apply after a streamed one: %+v", res)
	}
	if after := snapshot(t, s); !maps.Equal(before, after) {
		t.Fatal("identical apply rewrote entities of a streamed apply")
	}

	// Owners move (rows of a late part change groups stitched in the first),
	// one system and a component go (deleted at the end), errors arrive at
	// the end of the stream.
	moved := streamWorld(map[int]int{0: 3, 5: 2, 24: 1})
	var next []catalog.Processed
	for _, p := range moved {
		if n := p.Entity.Metadata.Name; n != "sys-2" && n != "svc-7" {
			next = append(next, p)
		}
	}
	locErr := catalog.ProcessingError{Source: "url:https://example.com/other.yaml", Doc: -1, Name: "InputError", Message: "broken"}
	res = apply(t, s, catalog.Apply{LocationID: l.ID, OrphanStrategy: catalog.OrphanDelete,
		Stream: streamOf(next, 4, catalog.StreamEnd{Errors: []catalog.ProcessingError{locErr}})})
	if res.Updated != 3 || res.Deleted != 2 || res.Added != 0 {
		t.Fatalf("streamed update: %+v", res)
	}
	checkRelations(t, s, expectRelations(next))
	loc, err := s.Location(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(loc.Errors) != 1 || loc.Errors[0].Message != "broken" {
		t.Fatalf("location errors from the stream's end: %+v", loc.Errors)
	}

	// A stream that fails half-way, and a part the planner refuses, leave
	// everything as it was.
	before = snapshot(t, s)
	boom := errors.New("source unreadable")
	failing := func(emit func([]catalog.Processed) error) (catalog.StreamEnd, error) {
		if err := emit(streamWorld(map[int]int{1: 0})[:20]); err != nil {
			return catalog.StreamEnd{}, err
		}
		return catalog.StreamEnd{}, boom
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Stream: failing}); !errors.Is(err, boom) {
		t.Fatalf("failing stream: err = %v, want %v", err, boom)
	}
	bad := append(streamWorld(map[int]int{2: 1}), catalog.Processed{Entity: E("Component", "", "")})
	_, err = s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Stream: streamOf(bad, 6, catalog.StreamEnd{})})
	var ie *catalog.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("entity without a name in a late part: err = %v, want an InputError", err)
	}
	if after := snapshot(t, s); !maps.Equal(before, after) {
		t.Fatal("a failed streamed apply changed stored entities")
	}
}
