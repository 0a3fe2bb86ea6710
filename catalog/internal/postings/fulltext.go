package postings

import (
	"sort"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// textSep separates values in a key's text blob; the rare values that
// contain it are matched one by one.
const textSep = "\x00"

// textCache is a key's distinct values joined into one string, valid for one
// index generation (Commit bumps it): FullText finds a substring with
// strings.Index over the blob (vectorised, gigabytes per second) instead of
// one strings.Contains per value over a map walk, which at 100,000 entities
// cost ~25 ms for names, titles and descriptions. Built on first use after
// a change; its memory is the size of the key's values.
type textCache struct {
	mu   sync.Mutex
	gen  uint64
	ok   bool
	blob string
	ends []int    // ends[i]: end offset (exclusive) of vals[i] in blob
	vals []uint32 // value ids
	odd  []uint32 // values containing textSep, matched one by one
}

// get returns the cache, current for ix's generation. Its fields are not
// changed before the next generation. Call under the index's read lock.
func (c *textCache) get(ix *Index, k *Key) *textCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.gen == ix.gen {
		return c
	}
	n := 0
	vals := make([]uint32, 0, k.values.n)
	c.odd = nil
	k.values.each(func(vid uint32) {
		s := ix.valStr(vid)
		if strings.Contains(s, textSep) {
			c.odd = append(c.odd, vid)
			return
		}
		n += len(s) + 1
		vals = append(vals, vid)
	})
	var b strings.Builder
	b.Grow(n)
	ends := make([]int, len(vals))
	for i, vid := range vals {
		b.WriteString(ix.valStr(vid))
		ends[i] = b.Len()
		b.WriteString(textSep)
	}
	c.blob, c.ends, c.vals, c.gen, c.ok = b.String(), ends, vals, ix.gen, true
	return c
}

// FullText returns the ids having a value containing term (lower-cased) in
// one of keys (all keys when empty). Call under RLock.
func (ix *Index) FullText(term string, keys []string) *roaring.Bitmap {
	term = strings.ToLower(term)
	// Most matching values (names, descriptions) hold one entity: their ids
	// are gathered in a slice and added at once; only shared values bring a
	// bitmap to OR.
	var ids []uint32
	var bms []*roaring.Bitmap
	hit := func(vid uint32) {
		vs, bm := ix.ids(ix.val(vid))
		if bm != nil {
			bms = append(bms, bm)
		}
		ids = append(ids, vs...)
	}
	scan := func(k *Key) {
		tc := k.m().text.get(ix, k)
		for _, vid := range tc.odd {
			if strings.Contains(ix.valStr(vid), term) {
				hit(vid)
			}
		}
		if strings.Contains(term, textSep) {
			return // no value of the blob contains it
		}
		blob, ends, vals := tc.blob, tc.ends, tc.vals
		for pos := 0; pos < len(blob); {
			i := strings.Index(blob[pos:], term)
			if i < 0 {
				break
			}
			at := pos + i
			j := sort.Search(len(ends), func(j int) bool { return ends[j] >= at+len(term) })
			if j == len(ends) {
				break
			}
			hit(vals[j])
			pos = ends[j] + len(textSep) // the next value
		}
	}
	if len(keys) == 0 {
		for _, k := range ix.keys {
			scan(k)
		}
	} else {
		seen := map[string]bool{}
		for _, name := range keys {
			name = strings.ToLower(strings.TrimSpace(name))
			if k := ix.keys[name]; k != nil && !seen[name] {
				seen[name] = true
				scan(k)
			}
		}
	}
	out := roaring.FastOr(bms...)
	out.AddMany(ids)
	return out
}
