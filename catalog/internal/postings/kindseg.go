package postings

import (
	"sort"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// A ref starts with its entity's kind ("component:default/x"), so the
// ref-sorted id list is one run per kind. A walk by ref over a match that
// excludes whole kinds — every catalog page filters by kind — tests each id
// of the kinds sorting before the wanted one (all APIs before the first
// component) unless it skips their runs; these segments let it.

// kindSeg is the run of the ref-sorted list [lo, hi) whose refs start with
// one kind, and that kind's value id.
type kindSeg struct {
	lo, hi int
	vid    uint32
}

// kindSegs caches the segments for one index generation.
type kindSegs struct {
	mu   sync.Mutex
	gen  uint64
	ok   bool
	segs []kindSeg
}

// kindSegments returns the runs of ix.sorted, ordered by position, of
// every kind. They are exact only while every entity's ref begins with its
// one kind, which the catalog guarantees and the index checks as entities
// come and go (oddDocs): with a single entity that breaks it, there are no
// runs and walks test every id. Call under the read lock.
func (ix *Index) kindSegments() []kindSeg {
	c := &ix.kinds
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.gen == ix.gen {
		return c.segs
	}
	var segs []kindSeg
	if k := ix.keys["kind"]; k != nil && ix.oddDocs == 0 {
		s := ix.sorted
		k.values.each(func(vid uint32) {
			kind := ix.valStr(vid)
			lo := sort.Search(len(s), func(i int) bool { return ix.Ref(s[i]) >= kind+":" })
			hi := sort.Search(len(s), func(i int) bool { return ix.Ref(s[i]) >= kind+";" }) // ';' follows ':'
			if n := ix.val(vid).n; n > 0 && int(n) == hi-lo {
				segs = append(segs, kindSeg{lo, hi, vid})
			}
		})
		sort.Slice(segs, func(i, j int) bool { return segs[i].lo < segs[j].lo })
	}
	c.segs, c.gen, c.ok = segs, ix.gen, true
	return segs
}

// refOfKind reports whether ref begins with kind and a colon.
func refOfKind(ref, kind string) bool {
	return len(ref) > len(kind) && ref[len(kind)] == ':' && ref[:len(kind)] == kind
}

// intersects reports whether value vid has an entity in m.
func (ix *Index) intersects(vid uint32, m *roaring.Bitmap) bool {
	v := ix.val(vid)
	if v.form == formBitmap {
		return ix.bms[v.one].Intersects(m)
	}
	return ix.andCard(v, m) > 0
}
