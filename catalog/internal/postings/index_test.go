package postings

import (
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

type tdoc struct {
	ref  string
	vals []string // sorted; empty = missing
}

// less orders a before b under the walk order of (desc).
func before(desc bool, am bool, av, ar string, bm bool, bv, br string) bool {
	if am != bm {
		return !am
	}
	if av != bv {
		if desc {
			return av > bv
		}
		return av < bv
	}
	return ar < br
}

func TestCursorsAtAnyPosition(t *testing.T) {
	for _, mode := range []struct {
		name string
		mode int
	}{{"auto", walkAuto}, {"groups", walkGroups}, {"sorted", walkSort}} {
		t.Run(mode.name, func(t *testing.T) {
			walkMode = mode.mode
			defer func() { walkMode = walkAuto }()
			testCursorsAtAnyPosition(t)
		})
	}
}

func testCursorsAtAnyPosition(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	ix := New()
	var docs []tdoc
	var puts []Doc
	for i := 0; i < 300; i++ {
		d := tdoc{ref: fmt.Sprintf("component:default/e%03d", rng.Intn(1000)*1000+i)}
		ts := catalog.TokenSet{"kind": {"component"}}
		switch n := rng.Intn(4); n {
		case 0:
		default:
			for j := 0; j < n; j++ {
				d.vals = append(d.vals, fmt.Sprintf("v%02d", rng.Intn(40)*2)) // even values only
			}
			sort.Strings(d.vals)
			ts["k"] = d.vals
		}
		docs = append(docs, d)
		puts = append(puts, Doc{ID: uint32(i + 1), Ref: d.ref, Tokens: catalog.Flatten(ts)})
	}
	ix.Apply(puts, nil)
	match := ix.Filter(catalog.Filter{})
	for _, desc := range []bool{false, true} {
		key := func(d tdoc) (bool, string) {
			if len(d.vals) == 0 {
				return true, ""
			}
			if desc {
				return false, d.vals[len(d.vals)-1]
			}
			return false, d.vals[0]
		}
		// Positions at odd values (absent), present values, missing, and random refs.
		for trial := 0; trial < 200; trial++ {
			p := catalog.Position{Value: fmt.Sprintf("v%02d", rng.Intn(82)), Ref: fmt.Sprintf("component:default/e%06d", rng.Intn(1000000))}
			if rng.Intn(6) == 0 {
				p = catalog.Position{Missing: true, Ref: p.Ref}
			}
			for _, fwd := range []bool{true, false} {
				var want []string
				for _, d := range docs {
					m, v := key(d)
					if fwd && before(desc, p.Missing, p.Value, p.Ref, m, v, d.ref) ||
						!fwd && before(desc, m, v, d.ref, p.Missing, p.Value, p.Ref) {
						want = append(want, d.ref)
					}
				}
				sort.Slice(want, func(i, j int) bool {
					a, b := docs[indexOf(docs, want[i])], docs[indexOf(docs, want[j])]
					am, av := key(a)
					bm, bv := key(b)
					return before(desc, am, av, a.ref, bm, bv, b.ref)
				})
				req := PageRequest{Match: match, OrderKey: "k", Desc: desc, Limit: 7}
				if fwd {
					req.After = &p
				} else {
					req.Before = &p
				}
				ix.RLock()
				res := ix.Page(req)
				ix.RUnlock()
				var exp []string
				if fwd {
					exp = want[:min(7, len(want))]
				} else {
					exp = want[max(0, len(want)-7):]
				}
				var got []string
				for _, id := range res.IDs {
					got = append(got, docs[id-1].ref)
				}
				if fmt.Sprint(got) != fmt.Sprint(exp) {
					t.Fatalf("desc=%v fwd=%v pos=%+v:\n got %v\nwant %v", desc, fwd, p, got, exp)
				}
				if fwd && res.HasMore != (len(want) > 7) || !fwd && res.HasPrev != (len(want) > 7) {
					t.Fatalf("desc=%v fwd=%v pos=%+v: HasMore %v HasPrev %v with %d beyond", desc, fwd, p, res.HasMore, res.HasPrev, len(want))
				}
			}
		}
	}
}

func indexOf(docs []tdoc, ref string) int {
	for i, d := range docs {
		if d.ref == ref {
			return i
		}
	}
	return -1
}

func TestAbortDropsStagedValues(t *testing.T) {
	ix := New()
	ix.Apply([]Doc{{ID: 1, Ref: "a", Tokens: catalog.Flatten(catalog.TokenSet{"kind": {"component"}})}}, nil)
	st := ix.Stage([]Doc{{ID: 2, Ref: "b", Tokens: catalog.Flatten(catalog.TokenSet{"kind": {"api"}, "spec.new": {"x"}})}})
	ix.Abort(st)
	ix.RLock()
	defer ix.RUnlock()
	if f := ix.Facet(nil, "kind"); len(f) != 1 || f[0].Value != "component" {
		t.Fatalf("kind facet after abort: %v", f)
	}
	if _, ok := ix.keys["spec.new"]; ok {
		t.Fatalf("aborted key still in the dictionary")
	}
	if _, ok := ix.Lookup("b"); ok || ix.Len() != 1 {
		t.Fatalf("aborted doc visible")
	}
	if !ix.Filter(catalog.Eq("kind", "api")).IsEmpty() {
		t.Fatalf("aborted value matches")
	}
}

func TestUpdateKeepsOriginalsAndCounts(t *testing.T) {
	ix := New()
	ix.Apply([]Doc{
		{ID: 1, Ref: "a", Tokens: catalog.Flatten(catalog.TokenSet{"spec.type": {"service"}}), Orig: catalog.Originals{{Key: "spec.type", Value: "service", Orig: "Service"}}},
		{ID: 2, Ref: "b", Tokens: catalog.Flatten(catalog.TokenSet{"spec.type": {"service"}})},
	}, nil)
	ix.Apply([]Doc{{ID: 1, Ref: "a", Tokens: catalog.Flatten(catalog.TokenSet{"spec.type": {"website"}})}}, []uint32{})
	ix.RLock()
	f := ix.Facet(nil, "Spec.Type")
	ix.RUnlock()
	if fmt.Sprint(f) != "[{Service 1} {website 1}]" {
		t.Fatalf("facet after update: %v", f)
	}
	ix.Apply(nil, []uint32{2})
	ix.RLock()
	defer ix.RUnlock()
	if f := ix.Facet(nil, "spec.type"); fmt.Sprint(f) != "[{website 1}]" {
		t.Fatalf("facet after delete: %v", f)
	}
	if ix.Len() != 1 {
		t.Fatalf("len %d", ix.Len())
	}
}

// CommitWith publishes with a successful store commit; after a failed one
// the index is what rebuild returns (what the store holds), or empty.
func TestCommitWith(t *testing.T) {
	doc := func(id uint32, kind string) Doc {
		return Doc{ID: id, Ref: fmt.Sprintf("%s:default/e%d", kind, id), Tokens: catalog.Flatten(catalog.TokenSet{"kind": {kind}})}
	}
	kinds := func(ix *Index) string {
		ix.RLock()
		defer ix.RUnlock()
		return fmt.Sprint(ix.Len(), ix.Facet(nil, "kind"))
	}
	ix := New()
	ix.Apply([]Doc{doc(1, "component"), doc(2, "api")}, nil)
	ok := func() error { return nil }
	noRebuild := func() (*Index, error) { t.Fatal("rebuild after a successful commit"); return nil, nil }
	if err := ix.CommitWith(ix.Stage([]Doc{doc(3, "api")}), []uint32{1}, ok, noRebuild); err != nil {
		t.Fatal(err)
	}
	if got := kinds(ix); got != "2 [{api 2}]" {
		t.Fatalf("after a commit: %s", got)
	}
	// The store's commit fails: the index must not show doc 4 nor lose doc 2.
	failed := errors.New("disk full")
	rebuild := func() (*Index, error) {
		fresh := New()
		fresh.Apply([]Doc{doc(2, "api"), doc(3, "api")}, nil)
		return fresh, nil
	}
	err := ix.CommitWith(ix.Stage([]Doc{doc(4, "group")}), []uint32{2}, func() error { return failed }, rebuild)
	if !errors.Is(err, failed) {
		t.Fatalf("error %v, want the commit's", err)
	}
	if got := kinds(ix); got != "2 [{api 2}]" {
		t.Fatalf("after a failed commit: %s", got)
	}
	if _, ok := ix.Lookup("group:default/e4"); ok {
		t.Fatal("the failed commit's doc is visible")
	}
	// The rebuild fails too: nothing the store may not hold stays visible.
	err = ix.CommitWith(ix.Stage([]Doc{doc(5, "group")}), nil, func() error { return failed },
		func() (*Index, error) { return nil, errors.New("read error") })
	if !errors.Is(err, failed) || kinds(ix) != "0 []" {
		t.Fatalf("after a failed rebuild: %v, %s", err, kinds(ix))
	}
}
