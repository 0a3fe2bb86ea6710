package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

func testApplyAndRead(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/a.yaml")
	c := withSource(E("Component", "", "Svc-A", "type", "service", "owner", "team-a"), "url:https://example.com/a.yaml")
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(c, "group:default/team-a")}})
	if res.Added != 1 || res.Updated != 0 {
		t.Fatalf("first apply: %+v", res)
	}
	e := get(t, s, "component:default/svc-a")
	if e.Metadata.Name != "Svc-A" || e.Metadata.UID == "" || e.Metadata.Etag == "" {
		t.Fatalf("stored entity: %+v", e.Metadata)
	}
	if got := relStrings(e); !eqStrings(got, []string{"ownedBy>group:default/team-a"}) {
		t.Fatalf("relations: %v", got)
	}
	// Case-insensitive by ref, by uid, and the record's location.
	rec, err := s.EntityByRef(ctx, "Component:Default/SVC-a", catalog.Filter{})
	if err != nil || rec.UID != e.Metadata.UID || rec.LocationID != l.ID {
		t.Fatalf("by mixed-case ref: %+v %v", rec, err)
	}
	byUID, err := s.EntityByUID(ctx, e.Metadata.UID, catalog.Filter{})
	if err != nil || byUID.Ref != "component:default/svc-a" {
		t.Fatalf("by uid: %+v %v", byUID, err)
	}
	_, err = s.EntityByUID(ctx, "no-such-uid", catalog.Filter{})
	mustNotFound(t, err, "EntityByUID missing")
	_, err = s.EntityByRef(ctx, "component:default/nope", catalog.Filter{})
	mustNotFound(t, err, "EntityByRef missing")

	// An update keeps the uid and changes the etag.
	c2 := withSource(E("Component", "", "Svc-A", "type", "website", "owner", "team-a"), "url:https://example.com/a.yaml")
	res = apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(c2, "group:default/team-a")}})
	if res.Updated != 1 || res.Added != 0 {
		t.Fatalf("update apply: %+v", res)
	}
	e2 := get(t, s, "component:default/svc-a")
	if e2.Metadata.UID != e.Metadata.UID {
		t.Fatalf("uid changed on update: %s -> %s", e.Metadata.UID, e2.Metadata.UID)
	}
	if e2.Metadata.Etag == e.Metadata.Etag {
		t.Fatalf("etag unchanged on update")
	}
	if e2.SpecString("type") != "website" {
		t.Fatalf("spec not updated: %v", e2.Spec)
	}
	// Apply to a location that does not exist.
	_, err = s.ApplyLocation(ctx, catalog.Apply{LocationID: "00000000-0000-0000-0000-000000000000"})
	mustNotFound(t, err, "apply to missing location")
	// Bad input loses nothing.
	_, err = s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{{Entity: nil}}})
	var ie *catalog.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("apply with nil entity: want InputError, got %v", err)
	}
	get(t, s, "component:default/svc-a")
}

func testStitchPeers(t *testing.T, s catalog.Store) {
	l1 := addLoc(t, s, "https://example.com/org.yaml")
	l2 := addLoc(t, s, "https://example.com/comp.yaml")
	ga := E("Group", "", "team-a", "type", "team")
	gb := E("Group", "", "team-b", "type", "team")
	apply(t, s, catalog.Apply{LocationID: l1.ID, Entities: plain(ga, gb)})
	etagA := get(t, s, "group:default/team-a").Metadata.Etag

	c := E("Component", "", "svc", "type", "service", "owner", "team-a")
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: []catalog.Processed{owned(c, "group:default/team-a")}})
	a := get(t, s, "group:default/team-a")
	if got := relStrings(a); !eqStrings(got, []string{"ownerOf>component:default/svc"}) {
		t.Fatalf("team-a not re-stitched with ownerOf: %v", got)
	}
	if a.Metadata.Etag == etagA {
		t.Fatalf("team-a etag unchanged after re-stitch")
	}
	// The index follows the re-stitch.
	if got := allRefs(t, s, catalog.Eq("relations.ownerof", "component:default/svc")); !eqStrings(got, []string{"group:default/team-a"}) {
		t.Fatalf("filter relations.ownerof after re-stitch: %v", got)
	}
	// Owner moves to team-b: team-a loses, team-b gains.
	c2 := E("Component", "", "svc", "type", "service", "owner", "team-b")
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: []catalog.Processed{owned(c2, "group:default/team-b")}})
	if got := relStrings(get(t, s, "group:default/team-a")); len(got) != 0 {
		t.Fatalf("team-a still has relations: %v", got)
	}
	if got := relStrings(get(t, s, "group:default/team-b")); !eqStrings(got, []string{"ownerOf>component:default/svc"}) {
		t.Fatalf("team-b relations: %v", got)
	}
	if got := allRefs(t, s, catalog.Eq("relations.ownerof", "component:default/svc")); !eqStrings(got, []string{"group:default/team-b"}) {
		t.Fatalf("filter relations.ownerof after move: %v", got)
	}
	// Relations are sorted by type then target and deduplicated.
	multi := E("Component", "", "multi")
	r := ref(multi)
	apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: []catalog.Processed{{Entity: multi, Relations: []catalog.RelationRow{
		{Source: r, Type: "partOf", Target: "system:default/z"},
		{Source: r, Type: "ownedBy", Target: "group:default/team-b"},
		{Source: r, Type: "partOf", Target: "system:default/a"},
		{Source: r, Type: "partOf", Target: "system:default/a"},
	}}}})
	want := []string{"ownedBy>group:default/team-b", "partOf>system:default/a", "partOf>system:default/z"}
	if got := relStrings(get(t, s, r)); !eqStrings(got, want) {
		t.Fatalf("sorted relations: %v want %v", got, want)
	}
	// svc is gone from l2 now (orphan keep by default): team-b keeps ownerOf from the orphan.
	if !isOrphan(get(t, s, "component:default/svc")) {
		t.Fatalf("svc should be an orphan")
	}
}

func isOrphan(e *catalog.Entity) bool {
	return e.Metadata.Annotations[catalog.AnnotationOrphan] == "true"
}

func testStatusFromErrors(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/s.yaml")
	c := E("Component", "", "broken-ish", "type", "service")
	pe := catalog.ProcessingError{Source: "url:https://example.com/s.yaml", Doc: 0, Name: "InputError", Message: "spec.owner is missing", Entity: ref(c)}
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{{Entity: c, Errors: []catalog.ProcessingError{pe}}}})
	e := get(t, s, ref(c))
	if e.Status == nil || len(e.Status.Items) != 1 {
		t.Fatalf("status: %+v", e.Status)
	}
	it := e.Status.Items[0]
	if it.Type != catalog.StatusTypeProcessing || it.Level != "error" || it.Error == nil || it.Error.Name != "InputError" ||
		!strings.Contains(it.Message, "spec.owner is missing") {
		t.Fatalf("status item: %+v", it)
	}
	// Errors cleared on a clean apply.
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "broken-ish", "type", "service"))})
	if e := get(t, s, ref(c)); e.Status != nil && len(e.Status.Items) > 0 {
		t.Fatalf("status not cleared: %+v", e.Status)
	}
}

func testZeroWrites(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/z.yaml")
	build := func() catalog.Apply {
		var ps []catalog.Processed
		for i := 0; i < 30; i++ {
			c := withSource(E("Component", "", "c"+itoa(i), "type", "service"), "url:https://example.com/z.yaml")
			ps = append(ps, owned(c, "group:default/g"+itoa(i%3)))
		}
		for i := 0; i < 3; i++ {
			ps = append(ps, catalog.Processed{Entity: E("Group", "", "g"+itoa(i), "type", "team")})
		}
		return catalog.Apply{LocationID: l.ID, Entities: ps}
	}
	res := apply(t, s, build())
	if res.Added != 33 {
		t.Fatalf("first apply: %+v", res)
	}
	before := snapshot(t, s)
	res = apply(t, s, build())
	if res.Added != 0 || res.Updated != 0 || res.Unchanged != 33 || res.Orphaned != 0 || res.Deleted != 0 {
		t.Fatalf("identical apply changed things: %+v", res)
	}
	after := snapshot(t, s)
	for r, js := range before {
		if after[r] != js {
			t.Fatalf("identical apply rewrote %s", r)
		}
	}
}

// snapshot maps ref -> final JSON of every entity.
func snapshot(t *testing.T, s catalog.Store) map[string]string {
	t.Helper()
	p, err := s.QueryEntities(ctx, catalog.Query{})
	if err != nil {
		t.Fatalf("QueryEntities: %v", err)
	}
	m := map[string]string{}
	for _, r := range p.Items {
		m[r.Ref] = string(r.JSON)
	}
	return m
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func testOrphanKeep(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/o.yaml")
	a, b := E("Component", "", "a"), E("Component", "", "b")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(a, "group:default/g"), {Entity: b}, {Entity: E("Group", "", "g")}}})
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "b"), E("Group", "", "g")), OrphanStrategy: catalog.OrphanKeep})
	if res.Orphaned != 1 {
		t.Fatalf("orphaned: %+v", res)
	}
	ea := get(t, s, "component:default/a")
	if !isOrphan(ea) {
		t.Fatalf("a not annotated orphan: %v", ea.Metadata.Annotations)
	}
	if got := allRefs(t, s, catalog.Eq("metadata.annotations.backstage.io/orphan", "true")); !eqStrings(got, []string{"component:default/a"}) {
		t.Fatalf("orphan filter: %v", got)
	}
	// Relations of an orphan stay.
	if got := relStrings(get(t, s, "group:default/g")); !eqStrings(got, []string{"ownerOf>component:default/a"}) {
		t.Fatalf("group relations with orphan child: %v", got)
	}
	// Applying again does not re-orphan (zero changes).
	res = apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "b"), E("Group", "", "g"))})
	if res.Orphaned != 0 || res.Updated != 0 || res.Added != 0 {
		t.Fatalf("second orphaning apply: %+v", res)
	}
	// It comes back: orphan annotation removed, uid kept.
	res = apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "a"), E("Component", "", "b"), E("Group", "", "g"))})
	back := get(t, s, "component:default/a")
	if isOrphan(back) || back.Metadata.UID != ea.Metadata.UID {
		t.Fatalf("un-orphaned: %+v (res %+v)", back.Metadata, res)
	}
}

func testOrphanDelete(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/d.yaml")
	a := E("Component", "", "a")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(a, "group:default/g"), {Entity: E("Group", "", "g")}}})
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Group", "", "g")), OrphanStrategy: catalog.OrphanDelete})
	if res.Deleted != 1 {
		t.Fatalf("deleted: %+v", res)
	}
	_, err := s.EntityByRef(ctx, "component:default/a", catalog.Filter{})
	mustNotFound(t, err, "deleted entity")
	if got := relStrings(get(t, s, "group:default/g")); len(got) != 0 {
		t.Fatalf("peer not re-stitched after delete: %v", got)
	}
}

func testKeepSources(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/k.yaml")
	a := withSource(E("Component", "", "a"), "url:https://example.com/a.yaml")
	b := withSource(E("Component", "", "b"), "url:https://example.com/b.yaml")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(a, b)})
	before := snapshot(t, s)
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: nil, KeepSources: []string{"url:https://example.com/a.yaml"},
		Errors: []catalog.ProcessingError{{Source: "url:https://example.com/a.yaml", Doc: -1, Name: "NotFoundError", Message: "unreadable"}}})
	if res.Orphaned != 1 {
		t.Fatalf("res: %+v", res)
	}
	if after := snapshot(t, s); after["component:default/a"] != before["component:default/a"] {
		t.Fatalf("kept source entity changed:\n%s\n%s", before["component:default/a"], after["component:default/a"])
	}
	if !isOrphan(get(t, s, "component:default/b")) {
		t.Fatalf("b should be orphaned")
	}
	loc, err := s.Location(ctx, l.ID)
	if err != nil || len(loc.Errors) != 1 || loc.Errors[0].Message != "unreadable" {
		t.Fatalf("location errors: %+v %v", loc.Errors, err)
	}
}

func testConflicts(t *testing.T, s catalog.Store) {
	l1 := addLoc(t, s, "https://example.com/first.yaml")
	l2 := addLoc(t, s, "https://example.com/second.yaml")
	apply(t, s, catalog.Apply{LocationID: l1.ID, Entities: plain(E("Component", "", "shared", "type", "first"))})
	res := apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: plain(E("Component", "", "Shared", "type", "second"), E("Component", "", "own"))})
	if len(res.Conflicts) != 1 || res.Added != 1 {
		t.Fatalf("conflict result: %+v", res)
	}
	c := res.Conflicts[0]
	if c.Name != "ConflictError" || c.Entity != "component:default/shared" ||
		!strings.Contains(c.Message, "first.yaml") || !strings.Contains(c.Message, "second.yaml") {
		t.Fatalf("conflict error should name both locations: %+v", c)
	}
	if e := get(t, s, "component:default/shared"); e.SpecString("type") != "first" {
		t.Fatalf("first location lost the entity: %v", e.Spec)
	}
	rec, _ := s.EntityByRef(ctx, "component:default/shared", catalog.Filter{})
	if rec.LocationID != l1.ID {
		t.Fatalf("owner changed: %s", rec.LocationID)
	}
	loc2, err := s.Location(ctx, l2.ID)
	if err != nil || len(loc2.Errors) != 1 || loc2.Errors[0].Name != "ConflictError" {
		t.Fatalf("conflict not stored on the second location: %+v %v", loc2.Errors, err)
	}
	// After the first location is deleted (orphans kept), the second may take it over.
	if err := s.DeleteLocation(ctx, l1.ID, catalog.OrphanKeep); err != nil {
		t.Fatal(err)
	}
	res = apply(t, s, catalog.Apply{LocationID: l2.ID, Entities: plain(E("Component", "", "Shared", "type", "second"), E("Component", "", "own"))})
	if len(res.Conflicts) != 0 {
		t.Fatalf("conflict after owner deleted: %+v", res)
	}
	e := get(t, s, "component:default/shared")
	if e.SpecString("type") != "second" || isOrphan(e) {
		t.Fatalf("take-over failed: %v %v", e.Spec, e.Metadata.Annotations)
	}
}

func testKeepPrevious(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/kp.yaml")
	c := E("Component", "", "c", "type", "service")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(c, "group:default/g")}})
	pe := catalog.ProcessingError{Doc: 0, Name: "InputError", Message: "metadata.name is invalid", Entity: "component:default/c"}
	bad := E("Component", "", "c", "type", "WRONG")
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{
		{Entity: bad, KeepPrevious: true, Errors: []catalog.ProcessingError{pe}},
		{Entity: E("Component", "", "never-stored"), KeepPrevious: true, Errors: []catalog.ProcessingError{pe}},
	}})
	if res.Orphaned != 0 {
		t.Fatalf("keep-previous orphaned: %+v", res)
	}
	e := get(t, s, "component:default/c")
	if e.SpecString("type") != "service" {
		t.Fatalf("body not kept: %v", e.Spec)
	}
	if got := relStrings(e); !eqStrings(got, []string{"ownedBy>group:default/g"}) {
		t.Fatalf("relations not kept: %v", got)
	}
	if e.Status == nil || len(e.Status.Items) != 1 || !strings.Contains(e.Status.Items[0].Message, "metadata.name is invalid") {
		t.Fatalf("status not set: %+v", e.Status)
	}
	_, err := s.EntityByRef(ctx, "component:default/never-stored", catalog.Filter{})
	mustNotFound(t, err, "keep-previous without stored entity")
}

// testKeepPreviousOfOrphan: an orphan that comes back invalid keeps its
// stored body, without the orphan annotation the stitch added, and with an
// orphan annotation its own body carried.
func testKeepPreviousOfOrphan(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/kpo.yaml")
	plainC := E("Component", "", "plain", "type", "service")
	plainC.Metadata.Annotations = map[string]string{"team": "x"}
	own := E("Component", "", "own", "type", "library")
	own.Metadata.Annotations = map[string]string{catalog.AnnotationOrphan: "false"}
	g := E("Group", "", "g")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(plainC, "group:default/g"), owned(own, "group:default/g"), {Entity: g}}})
	res := apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Group", "", "g")), OrphanStrategy: catalog.OrphanKeep})
	if res.Orphaned != 2 || !isOrphan(get(t, s, "component:default/plain")) || !isOrphan(get(t, s, "component:default/own")) {
		t.Fatalf("orphaning: %+v", res)
	}
	pe := func(ref string) []catalog.ProcessingError {
		return []catalog.ProcessingError{{Doc: 0, Name: "InputError", Message: "spec.type is invalid", Entity: ref}}
	}
	apply(t, s, catalog.Apply{LocationID: l.ID, OrphanStrategy: catalog.OrphanKeep, Entities: []catalog.Processed{
		{Entity: E("Component", "", "plain", "type", "WRONG"), KeepPrevious: true, Errors: pe("component:default/plain")},
		{Entity: E("Component", "", "own", "type", "WRONG"), KeepPrevious: true, Errors: pe("component:default/own")},
		{Entity: E("Group", "", "g")},
	}})
	for ref, want := range map[string]struct {
		typ string
		ann map[string]string
	}{
		"component:default/plain": {"service", map[string]string{"team": "x"}},
		"component:default/own":   {"library", map[string]string{catalog.AnnotationOrphan: "false"}},
	} {
		e := get(t, s, ref)
		if e.SpecString("type") != want.typ || fmt.Sprint(e.Metadata.Annotations) != fmt.Sprint(want.ann) {
			t.Fatalf("%s: body not kept as it was: spec %v, annotations %v", ref, e.Spec, e.Metadata.Annotations)
		}
		if got := relStrings(e); !eqStrings(got, []string{"ownedBy>group:default/g"}) {
			t.Fatalf("%s: relations not kept: %v", ref, got)
		}
		if e.Status == nil || len(e.Status.Items) != 1 {
			t.Fatalf("%s: status not set: %+v", ref, e.Status)
		}
	}
}

// testRelationOnNeitherSide: a relation row that has its entity as neither
// source nor target fails the apply with an InputError and writes nothing.
func testRelationOnNeitherSide(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/neither.yaml")
	good := owned(E("Component", "", "good"), "group:default/g")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{good}})
	bad := catalog.Processed{Entity: E("Component", "", "bad"), Relations: []catalog.RelationRow{
		{Source: "component:default/x", Type: "ownedBy", Target: "group:default/g"}}}
	_, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{bad}, OrphanStrategy: catalog.OrphanDelete})
	var ie *catalog.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "neither source nor target") {
		t.Fatalf("want an InputError naming the row, got %v", err)
	}
	_, err = s.EntityByRef(ctx, "component:default/bad", catalog.Filter{})
	mustNotFound(t, err, "entity of a refused apply")
	if got := relStrings(get(t, s, "component:default/good")); !eqStrings(got, []string{"ownedBy>group:default/g"}) {
		t.Fatalf("a refused apply changed what was stored: %v", got)
	}
}

func testDeleteByUID(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/del.yaml")
	c := E("Component", "", "c")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(c, "group:default/g"), {Entity: E("Group", "", "g")}}})
	e := get(t, s, "component:default/c")
	if err := s.DeleteEntityByUID(ctx, e.Metadata.UID); err != nil {
		t.Fatal(err)
	}
	_, err := s.EntityByUID(ctx, e.Metadata.UID, catalog.Filter{})
	mustNotFound(t, err, "deleted by uid")
	if got := relStrings(get(t, s, "group:default/g")); len(got) != 0 {
		t.Fatalf("peer not re-stitched: %v", got)
	}
	if got := allRefs(t, s, catalog.Eq("kind", "component")); len(got) != 0 {
		t.Fatalf("deleted entity still in index: %v", got)
	}
	mustNotFound(t, s.DeleteEntityByUID(ctx, e.Metadata.UID), "delete twice")
	// It comes back on the next apply, with a new uid.
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(E("Component", "", "c"), "group:default/g"), {Entity: E("Group", "", "g")}}})
	back := get(t, s, "component:default/c")
	if back.Metadata.UID == e.Metadata.UID {
		t.Fatalf("re-created entity reused the deleted uid")
	}
}

func testDeleteLocation(t *testing.T, s catalog.Store) {
	for _, strat := range []catalog.OrphanStrategy{catalog.OrphanKeep, catalog.OrphanDelete} {
		l := addLoc(t, s, "https://example.com/dl-"+string(strat)+".yaml")
		locEnt := E("Location", "", strings.TrimPrefix(l.EntityRef, "location:default/"), "type", "url", "target", l.Target)
		child := E("Component", "", "child-"+string(strat))
		apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{{Entity: locEnt}, {Entity: child, Parent: l.EntityRef}}})
		if err := s.DeleteLocation(ctx, l.ID, strat); err != nil {
			t.Fatal(err)
		}
		_, err := s.Location(ctx, l.ID)
		mustNotFound(t, err, "deleted location")
		_, err = s.EntityByRef(ctx, l.EntityRef, catalog.Filter{})
		mustNotFound(t, err, "generated location entity after DeleteLocation")
		rec, err := s.EntityByRef(ctx, ref(child), catalog.Filter{})
		if strat == catalog.OrphanDelete {
			mustNotFound(t, err, "child after delete strategy")
			continue
		}
		if err != nil {
			t.Fatalf("child after keep strategy: %v", err)
		}
		e, _ := rec.Entity()
		if !isOrphan(e) {
			t.Fatalf("child not orphaned")
		}
	}
	mustNotFound(t, s.DeleteLocation(ctx, "00000000-0000-0000-0000-000000000000", catalog.OrphanKeep), "delete missing location")
}

func testAncestry(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/root.yaml")
	root := E("Location", "", strings.TrimPrefix(l.EntityRef, "location:default/"), "type", "url", "target", l.Target)
	mid := E("Location", "", "nested", "type", "url", "targets", []any{"./x.yaml"})
	leaf := E("Component", "", "leaf")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{
		{Entity: root}, {Entity: mid, Parent: l.EntityRef}, {Entity: leaf, Parent: "location:default/nested"},
	}})
	items, err := s.Ancestry(ctx, "component:default/LEAF")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Record.Ref+"<"+strings.Join(it.ParentEntityRefs, ","))
	}
	want := []string{"component:default/leaf<location:default/nested", "location:default/nested<" + l.EntityRef, l.EntityRef + "<"}
	if !eqStrings(got, want) {
		t.Fatalf("ancestry:\n got %v\nwant %v", got, want)
	}
	_, err = s.Ancestry(ctx, "component:default/none")
	mustNotFound(t, err, "ancestry of missing entity")
}

func testByRefs(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/br.yaml")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: plain(E("Component", "", "a"), E("API", "", "b"), E("Component", "", "c"))})
	recs, err := s.EntitiesByRefs(ctx, []string{"component:default/c", "component:default/missing", "API:default/B", "component:default/a", "component:default/c"}, catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		if r == nil {
			got = append(got, "nil")
		} else {
			got = append(got, r.Ref)
		}
	}
	want := []string{"component:default/c", "nil", "api:default/b", "component:default/a", "component:default/c"}
	if !eqStrings(got, want) {
		t.Fatalf("by refs: %v", got)
	}
	recs, err = s.EntitiesByRefs(ctx, []string{"component:default/a", "api:default/b"}, catalog.Eq("kind", "api"))
	if err != nil || recs[0] != nil || recs[1] == nil {
		t.Fatalf("by refs with filter: %v %v", recs, err)
	}
	if recs, err := s.EntitiesByRefs(ctx, nil, catalog.Filter{}); err != nil || len(recs) != 0 {
		t.Fatalf("by no refs: %v %v", recs, err)
	}
}

func testRelationRows(t *testing.T, s catalog.Store) {
	l := addLoc(t, s, "https://example.com/rel.yaml")
	c := E("Component", "", "c")
	apply(t, s, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{owned(c, "group:default/g")}})
	rows, err := s.Relations(ctx, []string{"group:default/g"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, r.Source+" "+r.Type+" "+r.Target)
	}
	got = sortedCopy(got)
	want := []string{"component:default/c ownedBy group:default/g", "group:default/g ownerOf component:default/c"}
	if !eqStrings(got, want) {
		t.Fatalf("relations: %v", got)
	}
}
