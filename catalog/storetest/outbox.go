package storetest

import (
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// pending reads the whole outbox as ref → deleted, failing on a ref listed twice.
func pending(t *testing.T, s catalog.Store) (map[string]bool, []catalog.SearchChange) {
	t.Helper()
	cs, err := s.SearchOutbox(ctx, 0, 0)
	if err != nil {
		t.Fatalf("SearchOutbox: %v", err)
	}
	out := map[string]bool{}
	var last int64
	for _, c := range cs {
		if _, dup := out[c.Ref]; dup {
			t.Fatalf("outbox lists %s twice: %v", c.Ref, cs)
		}
		if c.Seq <= last {
			t.Fatalf("outbox not in seq order: %v", cs)
		}
		last = c.Seq
		out[c.Ref] = c.Deleted
	}
	return out, cs
}

func ack(t *testing.T, s catalog.Store, cs []catalog.SearchChange) {
	t.Helper()
	seqs := make([]int64, len(cs))
	for i, c := range cs {
		seqs[i] = c.Seq
	}
	if err := s.AckSearchOutbox(ctx, seqs); err != nil {
		t.Fatalf("AckSearchOutbox: %v", err)
	}
}

// testSearchOutbox: every final-JSON change and delete lands in the outbox,
// coalesced per ref; acking removes exactly what was acked; an identical
// apply records nothing.
func testSearchOutbox(t *testing.T, s catalog.Store) {
	if cs, err := s.SearchOutbox(ctx, 0, 10); err != nil || len(cs) != 0 {
		t.Fatalf("fresh store outbox = %v, %v; want empty", cs, err)
	}
	l := addLoc(t, s, "https://example.com/outbox.yaml")
	a := catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{
		owned(E("Component", "", "svc", "type", "service"), "group:default/team"),
		{Entity: E("Group", "", "team")},
		{Entity: E("API", "", "api")},
	}}
	apply(t, s, a)
	got, cs := pending(t, s)
	for _, r := range []string{"component:default/svc", "group:default/team", "api:default/api"} {
		if del, ok := got[r]; !ok || del {
			t.Fatalf("after apply: outbox %v lacks a write of %s", cs, r)
		}
	}
	// Paging with after and limit.
	page, err := s.SearchOutbox(ctx, cs[0].Seq, 1)
	if err != nil || len(page) != 1 || page[0] != cs[1] {
		t.Fatalf("SearchOutbox(after=%d, 1) = %v, %v; want [%v]", cs[0].Seq, page, err, cs[1])
	}
	ack(t, s, cs)
	if got, _ := pending(t, s); len(got) != 0 {
		t.Fatalf("after ack: outbox %v, want empty", got)
	}

	// An identical apply changes no final JSON: nothing to index.
	apply(t, s, a)
	if got, cs := pending(t, s); len(got) != 0 {
		t.Fatalf("identical apply recorded %v", cs)
	}

	// A change of one entity records it and the peers whose relations change.
	a.Entities[0] = owned(E("Component", "", "svc", "type", "website"), "group:default/team")
	apply(t, s, a)
	got, cs = pending(t, s)
	if del, ok := got["component:default/svc"]; !ok || del {
		t.Fatalf("after update: outbox %v lacks component:default/svc", cs)
	}
	if _, ok := got["api:default/api"]; ok {
		t.Fatalf("after update: unchanged api recorded: %v", cs)
	}
	// A later change of the same ref replaces the pending one: an ack of the
	// old seq must not drop the new change.
	old := cs
	e := get(t, s, "api:default/api")
	if err := s.DeleteEntityByUID(ctx, e.Metadata.UID); err != nil {
		t.Fatal(err)
	}
	a.Entities = append(a.Entities[:2:2], catalog.Processed{Entity: E("API", "", "api", "type", "openapi")})
	apply(t, s, a)
	a.Entities[0] = owned(E("Component", "", "svc", "type", "library"), "group:default/team")
	apply(t, s, a)
	ack(t, s, old)
	got, cs = pending(t, s)
	if del, ok := got["component:default/svc"]; !ok || del {
		t.Fatalf("re-changed ref lost by acking its older seq: outbox %v", cs)
	}
	if del, ok := got["api:default/api"]; !ok || del {
		t.Fatalf("re-created api: outbox %v, want a write", cs)
	}
	ack(t, s, cs)

	// Deletes are recorded as deletes: by uid, by orphan-delete apply.
	e = get(t, s, "api:default/api")
	if err := s.DeleteEntityByUID(ctx, e.Metadata.UID); err != nil {
		t.Fatal(err)
	}
	if got, cs := pending(t, s); !got["api:default/api"] {
		t.Fatalf("after DeleteEntityByUID: outbox %v, want api:default/api deleted", cs)
	}
	apply(t, s, catalog.Apply{LocationID: l.ID, OrphanStrategy: catalog.OrphanDelete,
		Entities: []catalog.Processed{{Entity: E("Group", "", "team")}}})
	got, cs = pending(t, s)
	if !got["component:default/svc"] {
		t.Fatalf("after orphan delete: outbox %v, want component:default/svc deleted", cs)
	}
	if del, ok := got["group:default/team"]; !ok || del {
		t.Fatalf("after orphan delete: outbox %v, want group re-stitched (relations gone)", cs)
	}
	ack(t, s, cs)
	if err := s.AckSearchOutbox(ctx, nil); err != nil {
		t.Fatalf("empty ack: %v", err)
	}
}
