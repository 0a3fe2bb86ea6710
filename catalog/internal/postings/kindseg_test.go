package postings

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// Walks by ref skip the runs of kinds a match has nothing of: pages,
// cursors both ways and HasMore/HasPrev must be what a walk over every
// entity gives — also when an entity's ref disagrees with its kind, which
// must keep that kind from being skipped.
func TestRefWalkSkipsKinds(t *testing.T) {
	for _, liar := range []bool{false, true} {
		t.Run(fmt.Sprintf("mismatched ref %v", liar), func(t *testing.T) { testRefWalkSkipsKinds(t, liar) })
	}
}

func testRefWalkSkipsKinds(t *testing.T, liar bool) {
	rng := rand.New(rand.NewSource(3))
	kinds := []string{"api", "component", "group", "resource", "user"}
	types := []string{"service", "website", "library", ""}
	type tdoc struct{ ref, kind, typ string }
	docs, seen := map[uint32]tdoc{}, map[string]bool{}
	var puts []Doc
	for i := uint32(1); i <= 600; i++ {
		d := tdoc{kind: kinds[rng.Intn(len(kinds))], typ: types[rng.Intn(len(types))]}
		d.ref = fmt.Sprintf("%s:default/e%04d", d.kind, rng.Intn(10000))
		switch { // with liar, a component and an API whose refs name each other's kind
		case liar && i == 97:
			d.kind, d.ref = "component", "api:default/liar"
		case liar && i == 89:
			d.kind, d.ref = "api", "component:default/liar"
		}
		if seen[d.ref] {
			continue
		}
		seen[d.ref] = true
		docs[i] = d
		ts := catalog.TokenSet{"kind": {d.kind}}
		if d.typ != "" {
			ts["spec.type"] = []string{d.typ}
		}
		puts = append(puts, Doc{ID: i, Ref: d.ref, Tokens: catalog.Flatten(ts)})
	}
	ix := New()
	ix.Apply(puts, nil)
	// One write more, so the segments of an older generation are not reused.
	ix.Apply(puts[:10], []uint32{puts[10].ID})
	delete(docs, puts[10].ID)

	type filter struct {
		f    catalog.Filter
		keep func(tdoc) bool
	}
	pick := func() filter {
		k1, k2, ty := kinds[rng.Intn(len(kinds))], kinds[rng.Intn(len(kinds))], types[rng.Intn(3)]
		switch rng.Intn(4) {
		case 0:
			return filter{catalog.Eq("kind", k1), func(d tdoc) bool { return d.kind == k1 }}
		case 1:
			return filter{catalog.AnyOf(catalog.Eq("kind", k1), catalog.Eq("kind", k2)), func(d tdoc) bool { return d.kind == k1 || d.kind == k2 }}
		case 2:
			return filter{catalog.AllOf(catalog.Eq("kind", k1), catalog.Eq("spec.type", ty)), func(d tdoc) bool { return d.kind == k1 && d.typ == ty }}
		}
		return filter{catalog.Eq("spec.type", ty), func(d tdoc) bool { return d.typ == ty }}
	}
	for trial := 0; trial < 400; trial++ {
		f := pick()
		var all []string
		for _, d := range docs {
			if f.keep(d) {
				all = append(all, d.ref)
			}
		}
		sort.Strings(all)
		var p *catalog.Position
		if rng.Intn(4) > 0 {
			p = &catalog.Position{Ref: fmt.Sprintf("%s:default/e%04d", append(kinds, "domain", "a", "zz")[rng.Intn(len(kinds)+3)], rng.Intn(10000))}
		}
		for _, fwd := range []bool{true, false} {
			var want []string
			for _, r := range all {
				if p == nil || fwd && r > p.Ref || !fwd && r < p.Ref {
					want = append(want, r)
				}
			}
			exp := want[:min(7, len(want))]
			if !fwd {
				exp = want[max(0, len(want)-7):]
			}
			req := PageRequest{Limit: 7}
			if fwd {
				req.After = p
			} else {
				req.Before = p
				if p == nil {
					req.Before = &catalog.Position{Ref: "~"} // after every ref
				}
			}
			ix.RLock()
			req.Match = ix.Filter(f.f)
			res := ix.Page(req)
			ix.RUnlock()
			var got []string
			for _, id := range res.IDs {
				got = append(got, docs[id].ref)
			}
			if fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("trial %d, filter %+v, fwd %v, from %+v:\n got %v\nwant %v", trial, f.f, fwd, p, got, exp)
			}
			more := len(want) > 7
			if fwd && res.HasMore != more || !fwd && res.HasPrev != more {
				t.Fatalf("trial %d, filter %+v, fwd %v, from %+v: HasMore %v HasPrev %v, %d beyond", trial, f.f, fwd, p, res.HasMore, res.HasPrev, len(want))
			}
			if len(got) > 0 {
				before := all[0] < got[0]
				if fwd && res.HasPrev != before {
					t.Fatalf("trial %d, filter %+v, from %+v: HasPrev %v, want %v", trial, f.f, p, res.HasPrev, before)
				}
			}
		}
	}
	ix.RLock()
	segs := ix.kindSegments()
	ix.RUnlock()
	if want := map[bool]int{false: len(kinds), true: 0}[liar]; len(segs) != want {
		t.Fatalf("%d kind segments, want %d", len(segs), want)
	}
	if liar { // once the liars are gone, the runs are back
		ix.Apply(nil, []uint32{89, 97})
		ix.RLock()
		segs = ix.kindSegments()
		ix.RUnlock()
		if len(segs) != len(kinds) {
			t.Fatalf("%d kind segments after the liars left, want %d", len(segs), len(kinds))
		}
	}
}
