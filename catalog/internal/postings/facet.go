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

// facetCache is what makes facets cheap on a large catalog, per key: the
// unfiltered answer, valid for one index generation (Commit bumps it), and
// for a key with at most one value per entity (spec.owner, spec.type,
// kind…) a column entity id → value, so a filtered facet is one pass over
// the matching ids. The column is built on first use and from then on kept
// up to date by every commit (patchColumns, flushSorted): rebuilding it
// after each write was most of a filtered facet's cost at a million
// entities.
type facetCache struct {
	mu sync.Mutex

	allGen uint64
	all    []catalog.FacetCount
	allOK  bool

	// col: entity id → 1 + the position of its value in the key's sorted
	// values (Key.sortedP); 0 = none. colGen is the generation the column
	// (or single, when false) was found for.
	colGen uint64
	colOK  bool
	single bool
	col    []uint32
	builds int // columns built (tests)
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
		if n := ix.val(vid).n; n > 0 {
			out = append(out, catalog.FacetCount{Value: ix.origStr(vid), Count: int(n)})
		}
	}
	out = byCount(out)
	c.all, c.allGen, c.allOK = out, ix.gen, true
	return out
}

// column returns the key's entity → value column with the value ids its
// positions refer to, or false when some entity has several values for the
// key. Call under the index's read lock.
func (c *facetCache) column(ix *Index, k *Key) ([]uint32, []uint32, bool) {
	_, ptrs := ix.sortedValuePtrs(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.colOK && c.colGen == ix.gen {
		return c.col, ptrs, c.single
	}
	c.colGen, c.colOK = ix.gen, true
	c.single = k.multi == 0 || ix.val(k.multi).n == 0
	if !c.single {
		c.col = nil
		return nil, nil, false
	}
	col := make([]uint32, len(ix.docs))
	buf := make([]uint32, 1024)
	for pos, vid := range ptrs {
		slot := uint32(pos + 1)
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
	c.col = col
	c.builds++
	ix.colMu.Lock()
	if ix.columns == nil {
		ix.columns = map[*Key]bool{}
	}
	ix.columns[k] = true
	ix.colMu.Unlock()
	return col, ptrs, true
}

// maintained reports whether commits keep the column up to date. Call
// under the index write lock.
func (c *facetCache) maintained() bool { return c.colOK && c.single && c.col != nil }

// remap moves the column's positions after the key's sorted values changed
// (old 1-based position → new, 0 = dropped). Under the index write lock.
func (c *facetCache) remap(to []uint32) {
	for i, p := range c.col {
		if p != 0 {
			c.col[i] = to[p]
		}
	}
}

// patchColumns brings every maintained column up to date with a commit's
// puts and deletes, once flushSorted has placed the values, and marks it
// valid for generation gen. A column whose key lost its last value, gained
// an entity with several values, or whose commit rewrote more than a
// sixteenth of it is dropped instead (the next facet builds it afresh:
// cheaper than patching that many). Under the index write lock.
func (ix *Index) patchColumns(puts []Staged, deletes []uint32, gen uint64) {
	for k := range ix.columns {
		c := &k.m().facets
		switch {
		case ix.keyByID[k.id] != k || !c.maintained():
		case k.multi != 0 && ix.val(k.multi).n > 0:
		case (len(puts)+len(deletes))*16 > len(c.col):
		default:
			if ix.patchColumn(k, puts, deletes) {
				c.colGen = gen
				continue
			}
		}
		c.colOK, c.col = false, nil
		delete(ix.columns, k)
	}
}

// patchColumn sets the column entries of puts and deletes; false if a
// value could not be placed (the column is then dropped).
func (ix *Index) patchColumn(k *Key, puts []Staged, deletes []uint32) bool {
	c := &k.m().facets
	for _, id := range deletes {
		if int(id) < len(c.col) {
			c.col[id] = 0
		}
	}
	if n := len(ix.docs); n > len(c.col) {
		c.col = append(c.col, make([]uint32, n-len(c.col))...)
	}
	for i := range puts {
		st := &puts[i]
		if st.superseded {
			continue
		}
		c.col[st.ID] = 0
		for _, pid := range st.postings {
			if ix.val(pid).key != k.id || pid == k.keyOnly {
				continue
			}
			s := ix.valStr(pid)
			x := k.m()
			pos := sort.SearchStrings(x.sortedV, s)
			if pos == len(x.sortedP) || x.sortedP[pos] != pid {
				return false
			}
			c.col[st.ID] = uint32(pos + 1)
		}
	}
	return true
}

// countColumn counts the values of the matching entities.
func countColumn(ix *Index, match *roaring.Bitmap, col []uint32, ptrs []uint32) []catalog.FacetCount {
	counts := make([]int, len(ptrs)+1)
	it := match.Iterator()
	for it.HasNext() {
		if id := it.Next(); int(id) < len(col) {
			counts[col[id]]++
		}
	}
	var out []catalog.FacetCount
	for i, n := range counts[1:] {
		if n > 0 {
			out = append(out, catalog.FacetCount{Value: ix.origStr(ptrs[i]), Count: n})
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
