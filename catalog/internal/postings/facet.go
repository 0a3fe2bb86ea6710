package postings

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// columnScanFactor: a filtered facet counts through the key's column when
// the filter matches fewer than this many entities per distinct value.
// Scanning an id costs a few ns; an AND-cardinality per value costs a few
// hundred, so the column wins as soon as values are numerous.
const columnScanFactor = 60

// facetCache is what makes facets cheap on a large catalog, per key and valid
// for one index generation (Commit bumps it): the unfiltered answer, and for a
// key with at most one value per entity (spec.owner, spec.type, kind…) a
// column entity id → value, so a filtered facet is one pass over the matching
// ids. Both are rebuilt on first use after a change.
type facetCache struct {
	mu sync.Mutex

	allGen uint64
	all    []catalog.FacetCount
	allOK  bool

	colGen uint64
	colOK  bool
	single bool
	col    []uint32 // entity id → 1 + index in vals; 0 = no value
	vals   []uint32 // value ids
}

// unfiltered returns the key's facet over every entity. The slice is shared:
// callers must not modify it. Call under the index's read lock.
func (c *facetCache) unfiltered(ix *Index, k *Key) []catalog.FacetCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.allOK && c.allGen == ix.gen {
		return c.all
	}
	_, ptrs := ix.sortedValuePtrs(k)
	out := make([]catalog.FacetCount, 0, len(ptrs))
	for _, vid := range ptrs {
		if n := ix.val(vid).n; vid != 0 && n > 0 {
			out = append(out, catalog.FacetCount{Value: ix.origStr(vid), Count: int(n)})
		}
	}
	out = byCount(out)
	c.all, c.allGen, c.allOK = out, ix.gen, true
	return out
}

// column returns the key's entity → value column, or false when some entity
// has several values for the key. Call under the index's read lock.
func (c *facetCache) column(ix *Index, k *Key) ([]uint32, []uint32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.colOK && c.colGen == ix.gen {
		return c.col, c.vals, c.single
	}
	c.colGen, c.colOK = ix.gen, true
	c.single = k.multi == 0 || ix.val(k.multi).n == 0
	if !c.single {
		c.col, c.vals = nil, nil
		return nil, nil, false
	}
	col := make([]uint32, len(ix.docs))
	_, ptrs := ix.sortedValuePtrs(k)
	vals := make([]uint32, 0, len(ptrs)) // in value order, so counts come out in it
	buf := make([]uint32, 1024)
	for _, vid := range ptrs {
		if vid == 0 {
			continue
		}
		vals = append(vals, vid)
		slot := uint32(len(vals))
		fill := func(ids []uint32) {
			for _, id := range ids {
				if int(id) < len(col) {
					col[id] = slot
				}
			}
		}
		ids, bm := ix.ids(ix.val(vid))
		if bm == nil {
			fill(ids)
			continue
		}
		// A shared value's bitmap is read in place: copying its ids out
		// was half the cost of building the column.
		it := bm.ManyIterator()
		for n := it.NextMany(buf); n > 0; n = it.NextMany(buf) {
			fill(buf[:n])
		}
	}
	c.col, c.vals = col, vals
	return col, vals, true
}

// countColumn counts the values of the matching entities.
func countColumn(ix *Index, match *roaring.Bitmap, col []uint32, vals []uint32) []catalog.FacetCount {
	counts := make([]int, len(vals)+1)
	it := match.Iterator()
	for it.HasNext() {
		if id := it.Next(); int(id) < len(col) {
			counts[col[id]]++
		}
	}
	var out []catalog.FacetCount
	for i, n := range counts[1:] {
		if n > 0 {
			out = append(out, catalog.FacetCount{Value: ix.origStr(vals[i]), Count: n})
		}
	}
	if out == nil {
		return []catalog.FacetCount{}
	}
	return byCount(out)
}

// byCount orders facet counts given in ascending lower-cased value order by
// count, descending, keeping that order among equal counts — the order
// facets are answered in. A counting sort: a million-entity catalog has
// ~170,000 owners, and comparing their strings took most of a facet.
func byCount(in []catalog.FacetCount) []catalog.FacetCount {
	maxN := 0
	for _, c := range in {
		maxN = max(maxN, c.Count)
	}
	if maxN > 4*len(in)+1024 { // few values with large counts (kind, lifecycle)
		out := append([]catalog.FacetCount(nil), in...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
		return out
	}
	start := make([]int, maxN+2) // start[maxN-n+1]: where count n begins
	for _, c := range in {
		start[maxN-c.Count+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([]catalog.FacetCount, len(in))
	for _, c := range in {
		b := maxN - c.Count
		out[start[b]] = c
		start[b]++
	}
	return out
}

// maxFilteredFacets bounds the filtered-facet cache (entries of one generation).
const maxFilteredFacets = 512

// filteredFacets caches the answers of Facets per (filter, key) for one index
// generation. A portal asks the same few questions again and again between
// writes: the catalog page's facets for a kind, under each team's ownership
// condition. Any write (a new generation) empties it.
type filteredFacets struct {
	mu  sync.Mutex
	gen uint64
	m   map[facetKey][]catalog.FacetCount
}

// facetKey is a filter's canonical form (writeFilterKey) and a facet key.
type facetKey struct{ filter, key string }

func (c *filteredFacets) get(gen uint64, k facetKey) ([]catalog.FacetCount, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m == nil {
		return nil, false
	}
	v, ok := c.m[k]
	return v, ok
}

func (c *filteredFacets) put(gen uint64, k facetKey, v []catalog.FacetCount) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m == nil || len(c.m) >= maxFilteredFacets {
		c.gen, c.m = gen, make(map[facetKey][]catalog.FacetCount)
	}
	c.m[k] = v
}

// Facets counts the values of each key among the entities matching f (the
// zero filter: every entity), as Facet does, answering repeated questions
// from a per-generation cache. The slices may be the cache's own: callers
// may keep them but must not modify them (they are capped at their length,
// so an append copies). Copying them instead cost a million-entity catalog
// an allocation of one entry per spec.owner value on every call — 0.2 to
// 20 ms, depending on what the collector was doing. Call under RLock.
func (ix *Index) Facets(f catalog.Filter, keys []string) map[string][]catalog.FacetCount {
	out := make(map[string][]catalog.FacetCount, len(keys))
	var match *roaring.Bitmap
	var fk string
	if !f.IsZero() {
		var b strings.Builder
		b.Grow(128)
		writeFilterKey(&b, f)
		fk = b.String()
	}
	for _, key := range keys {
		ck := facetKey{fk, key}
		counts, ok := []catalog.FacetCount(nil), false
		if fk != "" {
			counts, ok = ix.filtered.get(ix.gen, ck)
		}
		if !ok {
			if match == nil && fk != "" {
				match = ix.Filter(f)
			}
			counts = ix.Facet(match, key)
			if fk != "" {
				ix.filtered.put(ix.gen, ck, counts)
			}
		}
		out[key] = counts[:len(counts):len(counts)]
	}
	return out
}

// writeFilterKey writes f's canonical form: equal keys for equal filters.
func writeFilterKey(b *strings.Builder, f catalog.Filter) {
	str := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	switch {
	case f.Key != "":
		str(f.Key)
		str(string(f.Op))
		b.WriteString(strconv.Itoa(len(f.Values)))
		for _, v := range f.Values {
			str(v)
		}
	case f.Not != nil:
		b.WriteByte('!')
		writeFilterKey(b, *f.Not)
	default:
		cs, op := f.All, byte('&')
		if f.IsAny() {
			cs, op = f.Any, '|'
		}
		b.WriteByte(op)
		b.WriteString(strconv.Itoa(len(cs)))
		for _, c := range cs {
			writeFilterKey(b, c)
		}
	}
}
