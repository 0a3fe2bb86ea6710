package postings

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// The table agrees with a map through inserts and deletes, also when every
// key collides into a few home slots (the backward shift of deletion).
func TestTableAgreesWithMap(t *testing.T) {
	for _, hashes := range []uint32{3, 1 << 30} {
		rng := rand.New(rand.NewSource(int64(hashes)))
		var tab table
		model := map[uint32]uint32{} // id → hash
		hashFor := func(id uint32) uint32 { return uint32(rng.Int63()) % hashes }
		for step := 0; step < 20000; step++ {
			id := uint32(rng.Intn(500) + 1)
			if h, ok := model[id]; ok && rng.Intn(2) == 0 {
				tab.remove(h, id)
				delete(model, id)
			} else if !ok {
				h := hashFor(id)
				tab.insert(h, id)
				model[id] = h
			}
			if step%97 == 0 {
				for id, h := range model {
					if got := tab.find(h, func(x uint32) bool { return x == id }); got != id {
						t.Fatalf("hashes %d step %d: find(%d) = %d", hashes, step, id, got)
					}
				}
				seen := map[uint32]bool{}
				tab.each(func(id uint32) { seen[id] = true })
				if len(seen) != len(model) || tab.n != len(model) {
					t.Fatalf("hashes %d step %d: table holds %d (n %d), model %d", hashes, step, len(seen), tab.n, len(model))
				}
				if got := tab.find(hashFor(999), func(x uint32) bool { return x == 999 }); got != 0 {
					t.Fatalf("absent id found: %d", got)
				}
			}
		}
	}
}

// The index answers as a naive model does while values move between their
// forms (one entity, a block, a bitmap and back), refs move between ids,
// entities are deleted, and both pools are compacted after every commit.
func TestIndexMatchesModel(t *testing.T) {
	defer func(s, p int) { compactStrings, compactPosts = s, p }(compactStrings, compactPosts)
	compactStrings, compactPosts = 1, 1 // compact whenever more is dead than live

	rng := rand.New(rand.NewSource(3))
	type mdoc struct {
		ref  string
		vals []string // of key "k", sorted, distinct
		name string
		rare string // a key few entities have (keys come and go)
	}
	model := map[uint32]mdoc{}
	ix := New()
	vocab := func() string {
		// Skewed: v0 is held by many, v1..v4 by a few, v5..v40 by one or two.
		switch r := rng.Intn(10); {
		case r < 3:
			return "v0"
		case r < 6:
			return fmt.Sprintf("v%d", 1+rng.Intn(4))
		default:
			return fmt.Sprintf("v%d", 5+rng.Intn(36))
		}
	}
	for round := 0; round < 60; round++ {
		var puts []Doc
		var dels []uint32
		touched := map[uint32]bool{}
		for i := 0; i < 1+rng.Intn(40); i++ {
			id := uint32(rng.Intn(120) + 1)
			if touched[id] {
				continue
			}
			touched[id] = true
			if _, ok := model[id]; ok && rng.Intn(4) == 0 {
				dels = append(dels, id)
				delete(model, id)
				continue
			}
			d := mdoc{ref: fmt.Sprintf("component:default/e%d", id), name: fmt.Sprintf("name-%d-%d", id, rng.Intn(3))}
			if rng.Intn(5) == 0 { // a ref of its own, unlike its id's previous one
				d.ref = fmt.Sprintf("api:default/r%d-%d", id, round)
			}
			set := map[string]bool{}
			for j := rng.Intn(4); j > 0; j-- {
				set[vocab()] = true
			}
			for v := range set {
				d.vals = append(d.vals, v)
			}
			sort.Strings(d.vals)
			ts := catalog.TokenSet{"kind": {"component"}, "metadata.name": {d.name}}
			if rng.Intn(3) == 0 {
				d.rare = fmt.Sprintf("spec.dependson.component:c%d", rng.Intn(60))
				ts[d.rare] = []string{"true"}
			}
			var orig catalog.Originals
			if len(d.vals) > 0 || rng.Intn(2) == 0 {
				ts["k"] = d.vals
				for _, v := range d.vals { // sorted
					orig = append(orig, catalog.Original{Key: "k", Value: v, Orig: strings.ToUpper(v)})
				}
			}
			model[id] = d
			puts = append(puts, Doc{ID: id, Ref: d.ref, Tokens: catalog.Flatten(ts), Orig: orig})
		}
		ix.Apply(puts, dels)
		if ix.strs.dead > ix.strs.live || ix.posts.dead > ix.posts.live {
			t.Fatalf("round %d: a pool was left more dead than live", round)
		}
		if round%2 == 0 { // compaction also when it would not pay
			ix.mu.Lock()
			ix.compactStrings()
			ix.compactPosts()
			ix.mu.Unlock()
			live := 0
			for _, d := range model {
				live += len(d.ref)
			}
			for _, k := range ix.keyByID {
				if k != nil {
					k.values.each(func(vid uint32) {
						live += len(ix.valStr(vid))
						if v := ix.val(vid); v.ownOrig {
							live += len(ix.origStr(vid))
						}
					})
				}
			}
			if ix.strs.dead != 0 || ix.strs.live != live {
				t.Fatalf("round %d: string pool counts %d live, %d dead; holds %d", round, ix.strs.live, ix.strs.dead, live)
			}
		}

		ix.RLock()
		if ix.Len() != len(model) {
			t.Fatalf("round %d: len %d, want %d", round, ix.Len(), len(model))
		}
		for id, d := range model {
			if got, ok := ix.Lookup(d.ref); !ok || got != id {
				t.Fatalf("round %d: Lookup(%s) = %d %v, want %d", round, d.ref, got, ok, id)
			}
			if ix.Ref(id) != d.ref {
				t.Fatalf("round %d: Ref(%d) = %q, want %q", round, id, ix.Ref(id), d.ref)
			}
		}
		for _, id := range dels {
			if _, ok := ix.Lookup(fmt.Sprintf("component:default/e%d", id)); ok {
				t.Fatalf("round %d: deleted %d still found", round, id)
			}
		}
		for i := 0; i <= 40; i++ {
			v := fmt.Sprintf("v%d", i)
			var want []uint32
			for id, d := range model {
				if contains(d.vals, v) {
					want = append(want, id)
				}
			}
			sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
			if got := ix.Filter(catalog.Eq("k", v)).ToArray(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d: k=%s matches %v, want %v", round, v, got, want)
			}
		}
		for i := 0; i < 60; i++ {
			key := fmt.Sprintf("spec.dependson.component:c%d", i)
			var want []uint32
			for id, d := range model {
				if d.rare == key {
					want = append(want, id)
				}
			}
			sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
			got := ix.Filter(catalog.Filter{Key: key, Op: catalog.OpExists}).ToArray()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("round %d: %s exists for %v, want %v", round, key, got, want)
			}
			if _, ok := ix.keys[key]; ok != (len(want) > 0) {
				t.Fatalf("round %d: key %s in the dictionary: %v, with %d entities", round, key, ok, len(want))
			}
		}
		odd := ix.Filter(catalog.Filter{}).Clone()
		for _, id := range odd.ToArray() {
			if id%2 == 0 {
				odd.Remove(id)
			}
		}
		for _, match := range []func(uint32) bool{nil, func(id uint32) bool { return id%2 == 1 }} {
			counts := map[string]int{}
			for id, d := range model {
				if match == nil || match(id) {
					for _, v := range d.vals {
						counts[strings.ToUpper(v)]++
					}
				}
			}
			var got []catalog.FacetCount
			if match == nil {
				got = ix.Facet(nil, "k")
			} else {
				got = ix.Facet(odd, "k")
			}
			gotM := map[string]int{}
			for _, c := range got {
				gotM[c.Value] = c.Count
			}
			if len(counts) == 0 && len(gotM) == 0 {
				continue
			}
			if !reflect.DeepEqual(gotM, counts) {
				t.Fatalf("round %d (filtered %v): facet %v, want %v", round, match != nil, gotM, counts)
			}
		}
		// The ordered walk: by smallest value, then ref; entities without one last.
		var want []string
		for _, d := range model {
			want = append(want, d.ref)
		}
		first := func(ref string) (bool, string) {
			for _, d := range model {
				if d.ref == ref && len(d.vals) > 0 {
					return false, d.vals[0]
				}
			}
			return true, ""
		}
		sort.Slice(want, func(i, j int) bool {
			am, av := first(want[i])
			bm, bv := first(want[j])
			return before(false, am, av, want[i], bm, bv, want[j])
		})
		res := ix.Page(PageRequest{Match: ix.All(), OrderKey: "k"})
		var got []string
		for _, id := range res.IDs {
			got = append(got, ix.Ref(id))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("round %d: ordered walk\n got %v\nwant %v", round, got, want)
		}
		hits := ix.FullText("name-1", []string{"metadata.name"})
		n := 0
		for id, d := range model {
			if strings.Contains(d.name, "name-1") {
				n++
				if !hits.Contains(id) {
					t.Fatalf("round %d: full text misses %d (%s)", round, id, d.name)
				}
			}
		}
		if int(hits.GetCardinality()) != n {
			t.Fatalf("round %d: full text %d hits, want %d", round, hits.GetCardinality(), n)
		}
		ix.RUnlock()
	}
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}
