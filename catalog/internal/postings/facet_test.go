package postings

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// TestFacetPaths checks both ways of counting a filtered facet (one
// AND-cardinality per value, and the entity → value column used when values
// are many) and the cached unfiltered facet against a naive count, before and
// after a change to the index.
func TestFacetPaths(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	ix := New()
	owners := map[uint32]string{}
	kinds := map[uint32]string{}
	put := func(id uint32) Doc {
		o := fmt.Sprintf("Team-%d", rng.Intn(40))
		if rng.Intn(10) == 0 {
			o = fmt.Sprintf("Solo-%d", id) // many single-entity values
		}
		k := []string{"component", "api", "group"}[rng.Intn(3)]
		owners[id], kinds[id] = o, k
		lo := []string{lower(o)}
		return Doc{ID: id, Ref: fmt.Sprintf("%s:default/e%d", k, id),
			Tokens: catalog.Flatten(catalog.TokenSet{"kind": {k}, "spec.owner": lo}),
			Orig:   catalog.Originals{{Key: "spec.owner", Value: lo[0], Orig: o}}}
	}
	var docs []Doc
	for id := uint32(1); id <= 2000; id++ {
		docs = append(docs, put(id))
	}
	ix.Apply(docs, nil)

	naive := func(match func(id uint32) bool) []catalog.FacetCount {
		counts := map[string]int{}
		for id, o := range owners {
			if match(id) {
				counts[o]++
			}
		}
		var out []catalog.FacetCount
		for v, n := range counts {
			out = append(out, catalog.FacetCount{Value: v, Count: n})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Count != out[j].Count {
				return out[i].Count > out[j].Count
			}
			return lower(out[i].Value) < lower(out[j].Value)
		})
		return out
	}
	check := func(stage string) {
		t.Helper()
		ix.RLock()
		defer ix.RUnlock()
		if got, want := ix.Facet(nil, "spec.owner"), naive(func(uint32) bool { return true }); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: unfiltered facet differs:\n got %v\nwant %v", stage, got, want)
		}
		// A small match takes the column path (fewer ids than 60 per value);
		// a match of everything with few values takes the AND path.
		small := roaring.New()
		for id := uint32(1); id <= 2000; id += 7 {
			if _, ok := owners[id]; ok {
				small.Add(id)
			}
		}
		if got, want := ix.Facet(small, "spec.owner"), naive(small.Contains); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: column-path facet differs:\n got %v\nwant %v", stage, got, want)
		}
		comps := ix.Filter(catalog.Eq("kind", "component"))
		if got, want := ix.Facet(comps, "kind"), []catalog.FacetCount{{Value: "component", Count: int(comps.GetCardinality())}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: AND-path facet = %v, want %v", stage, got, want)
		}
		if got, want := ix.Facet(comps, "spec.owner"), naive(func(id uint32) bool { return kinds[id] == "component" }); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: filtered facet differs:\n got %v\nwant %v", stage, got, want)
		}
	}
	check("initial")
	// Change owners of some entities and delete others: the caches must follow.
	var changed []Doc
	for id := uint32(1); id <= 300; id++ {
		changed = append(changed, put(id))
	}
	var deleted []uint32
	for id := uint32(1900); id <= 2000; id++ {
		deleted = append(deleted, id)
		delete(owners, id)
		delete(kinds, id)
	}
	ix.Apply(changed, deleted)
	check("after a change")
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TestFacetsCache checks the per-generation cache of filtered facets: the
// same answers as counting afresh, distinct filters kept apart (an empty
// disjunction matches nothing, the zero filter everything), callers free to
// append to what they get, and a write starting over.
func TestFacetsCache(t *testing.T) {
	ix := New()
	doc := func(id uint32, kind, owner string) Doc {
		return Doc{ID: id, Ref: fmt.Sprintf("%s:default/e%d", kind, id),
			Tokens: catalog.Flatten(catalog.TokenSet{"kind": {kind}, "spec.owner": {owner}})}
	}
	ix.Apply([]Doc{doc(1, "component", "a"), doc(2, "component", "b"), doc(3, "api", "a")}, nil)
	ask := func(f catalog.Filter) string {
		ix.RLock()
		defer ix.RUnlock()
		got := ix.Facets(f, []string{"kind", "spec.owner"})
		s := fmt.Sprint(got["kind"], got["spec.owner"])
		got["kind"] = append(got["kind"], catalog.FacetCount{Value: "appended", Count: 99})
		return s
	}
	owner := catalog.Eq("spec.owner", "a")
	for range 2 { // the second round answers from the cache
		if got := ask(owner); got != "[{api 1} {component 1}] [{a 2}]" {
			t.Fatalf("owner a: %s", got)
		}
		if got := ask(catalog.Filter{}); got != "[{component 2} {api 1}] [{a 2} {b 1}]" {
			t.Fatalf("everything: %s", got)
		}
		if got := ask(catalog.AnyOf()); got != "[] []" {
			t.Fatalf("nothing: %s", got)
		}
		if got := ask(catalog.NotOf(owner)); got != "[{component 1}] [{b 1}]" {
			t.Fatalf("not owner a: %s", got)
		}
	}
	ix.Apply([]Doc{doc(4, "api", "a")}, nil)
	if got := ask(owner); got != "[{api 2} {component 1}] [{a 3}]" {
		t.Fatalf("owner a after a write: %s", got)
	}
}

// Answers come from the cache itself; two callers appending to the same
// answer must not write into each other's (or the cache's) storage.
func TestFacetsAppendsDoNotShare(t *testing.T) {
	ix := New()
	var docs []Doc
	for i, kind := range []string{"api", "group", "group", "user", "user", "user"} {
		docs = append(docs, Doc{ID: uint32(i + 1), Ref: fmt.Sprintf("%s:default/e%d", kind, i),
			Tokens: catalog.Flatten(catalog.TokenSet{"kind": {kind}, "spec.owner": {"team"}})})
	}
	ix.Apply(docs, nil)
	f := catalog.Eq("spec.owner", "team")
	ix.RLock()
	defer ix.RUnlock()
	first := ix.Facets(f, []string{"kind"})["kind"]
	second := ix.Facets(f, []string{"kind"})["kind"] // from the cache
	a := append(first, catalog.FacetCount{Value: "a", Count: 1})
	b := append(second, catalog.FacetCount{Value: "b", Count: 2})
	if a[len(a)-1].Value != "a" || b[len(b)-1].Value != "b" {
		t.Fatalf("two callers' appends share storage: %v / %v", a, b)
	}
	if got := fmt.Sprint(ix.Facets(f, []string{"kind"})["kind"]); got != "[{user 3} {group 2} {api 1}]" {
		t.Fatalf("cached answer after the appends: %s", got)
	}
}

// A commit that changes nothing (a refresh of unchanged input) keeps the
// generation, so the caches built on it stay valid; one that changes
// something starts a new one.
func TestEmptyCommitKeepsCaches(t *testing.T) {
	ix := New()
	ix.Apply([]Doc{{ID: 1, Ref: "component:default/a", Tokens: catalog.Flatten(catalog.TokenSet{"kind": {"component"}})}}, nil)
	gen := ix.gen
	ix.Commit(nil, nil)
	if ix.gen != gen {
		t.Fatalf("an empty commit moved the generation %d -> %d", gen, ix.gen)
	}
	ix.Apply([]Doc{{ID: 2, Ref: "api:default/b", Tokens: catalog.Flatten(catalog.TokenSet{"kind": {"api"}})}}, nil)
	if ix.gen == gen {
		t.Fatal("a commit with a new entity kept the generation")
	}
	ix.RLock()
	defer ix.RUnlock()
	if got := fmt.Sprint(ix.Facets(catalog.Filter{}, []string{"kind"})["kind"]); got != "[{api 1} {component 1}]" {
		t.Fatalf("facets after the second commit: %s", got)
	}
}

// TestColumnFollowsCommits checks the facet column commits keep up to date
// against a map model, over rounds of small writes (patched in place),
// pipelined and aborted stages, values that appear and vanish, an entity
// with two owners (the column is dropped, then rebuilt when it goes) and a
// large write (dropped and rebuilt), with compactions in between.
func TestColumnFollowsCommits(t *testing.T) {
	defer func(s, p int) { compactStrings, compactPosts = s, p }(compactStrings, compactPosts)
	compactStrings, compactPosts = 1, 1

	rng := rand.New(rand.NewSource(11))
	ix := New()
	owners := map[uint32][]string{} // original spellings; two for a multi-owner entity
	doc := func(id uint32, os ...string) Doc {
		ts := catalog.TokenSet{"kind": {"component"}}
		var orig catalog.Originals
		if len(os) > 0 {
			var lo []string
			for _, o := range os {
				lo = append(lo, lower(o))
				orig = append(orig, catalog.Original{Key: "spec.owner", Value: lower(o), Orig: o})
			}
			sort.Strings(lo)
			sort.Slice(orig, func(i, j int) bool { return orig[i].Value < orig[j].Value })
			ts["spec.owner"] = lo
		}
		return Doc{ID: id, Ref: fmt.Sprintf("component:default/e%d", id), Tokens: catalog.Flatten(ts), Orig: orig}
	}
	owner := func() []string {
		switch r := rng.Intn(10); {
		case r == 0:
			return nil // no owner
		case r < 6:
			return []string{fmt.Sprintf("Team-%d", rng.Intn(30))}
		default: // values that come and go
			return []string{fmt.Sprintf("Solo-%d", rng.Intn(400))}
		}
	}
	var first []Doc
	for id := uint32(1); id <= 3000; id++ {
		owners[id] = owner()
		first = append(first, doc(id, owners[id]...))
	}
	ix.Apply(first, nil)

	naive := func(match *roaring.Bitmap) map[string]int {
		counts := map[string]int{}
		for id, os := range owners {
			if match.Contains(id) {
				for _, o := range os {
					counts[o]++
				}
			}
		}
		return counts
	}
	check := func(round int, wantKept bool, prev int) int {
		t.Helper()
		ix.RLock()
		defer ix.RUnlock()
		match := roaring.New()
		for id := uint32(1); id <= 3200; id++ {
			if id%3 != 0 {
				match.Add(id)
			}
		}
		got := map[string]int{}
		facet := ix.Facet(match, "spec.owner")
		for i, c := range facet {
			got[c.Value] = c.Count
			if i > 0 && (facet[i-1].Count < c.Count || facet[i-1].Count == c.Count && lower(facet[i-1].Value) > lower(c.Value)) {
				t.Fatalf("round %d: facet out of order at %d: %v", round, i, facet)
			}
		}
		if want := naive(match); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: facet\n got %v\nwant %v", round, got, want)
		}
		k := ix.keys["spec.owner"]
		if k == nil || !k.m().facets.maintained() {
			return 0
		}
		if wantKept && k.m().facets.builds != prev {
			t.Fatalf("round %d: the column was rebuilt after a small write", round)
		}
		return k.m().facets.builds
	}
	col := check(-1, false, 0)
	if col == 0 {
		t.Fatal("no column for a single-valued key")
	}
	for round := 0; round < 80; round++ {
		kept := true
		var puts []Doc
		var dels []uint32
		seen := map[uint32]bool{}
		n := 1 + rng.Intn(60)
		if round == 40 {
			n, kept = 2500, false // more than a sixteenth: dropped, rebuilt on use
		}
		for i := 0; i < n; i++ {
			id := uint32(1 + rng.Intn(3200))
			if seen[id] {
				continue
			}
			seen[id] = true
			if _, ok := owners[id]; ok && rng.Intn(5) == 0 {
				dels = append(dels, id)
				delete(owners, id)
				continue
			}
			owners[id] = owner()
			puts = append(puts, doc(id, owners[id]...))
		}
		switch {
		case round == 20: // an entity with two owners: no column while it lasts
			owners[7] = []string{"Team-1", "Team-2"}
			puts, kept = append(puts, doc(7, owners[7]...)), false
		case round == 21:
			owners[7] = []string{"Team-3"}
			puts, kept = append(puts, doc(7, owners[7]...)), false
		}
		if round%5 == 0 {
			// Pipelined: another batch staged (creating values) before this
			// one commits, then aborted.
			st := ix.Stage(puts)
			other := ix.Stage([]Doc{doc(3500, "Staged-Only"), doc(3501, "Team-4")})
			ix.Commit(st, dels)
			col = check(round, kept && col != 0, col)
			ix.Abort(other)
			col = check(round, kept && col != 0, col)
		} else {
			ix.Apply(puts, dels)
			col = check(round, kept && col != 0, col)
		}
		if round == 20 && col != 0 {
			t.Fatal("a column was kept for a key with a multi-valued entity")
		}
	}
}
