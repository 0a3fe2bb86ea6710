package postings

import (
	"math"
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// PageRequest is an ordered, keyset-paged walk over a match bitmap.
type PageRequest struct {
	Match *roaring.Bitmap
	// OrderKey is the token key to order by ("" = by ref); Desc reverses the values.
	OrderKey string
	Desc     bool
	// ExcludeMissing drops entities without a value for OrderKey.
	ExcludeMissing bool
	After, Before  *catalog.Position
	Offset, Limit  int // Limit 0 = all
}

// PageResult lists ids in query order with their positions.
type PageResult struct {
	IDs              []uint32
	Positions        []catalog.Position
	HasMore, HasPrev bool
}

// group is one run of the order: entities sharing an order value (or lacking
// it), walked by ref.
type group struct {
	value   string
	missing bool
	bm      *roaring.Bitmap
}

type walker struct {
	ix    *Index
	req   *PageRequest
	key   *Key
	vals  []string // ascending
	ngrp  int
	cache map[int]*group
}

func (ix *Index) newWalker(req *PageRequest) *walker {
	w := &walker{ix: ix, req: req, cache: map[int]*group{}}
	if req.OrderKey == "" {
		w.ngrp = 1
		return w
	}
	w.key = ix.keys[req.OrderKey]
	if w.key != nil {
		w.vals = w.key.sortedValues()
	}
	w.ngrp = len(w.vals)
	if !req.ExcludeMissing {
		w.ngrp++
	}
	return w
}

// groupAt returns group gi in walk order.
func (w *walker) groupAt(gi int) *group {
	if g := w.cache[gi]; g != nil {
		return g
	}
	var g *group
	switch {
	case w.req.OrderKey == "":
		g = &group{bm: w.req.Match}
	case gi == len(w.vals):
		bm := w.req.Match.Clone()
		if w.key != nil {
			bm.AndNot(w.ix.orderable(w.req.Match, w.req.OrderKey))
		}
		g = &group{missing: true, bm: bm}
	default:
		vi := gi
		if w.req.Desc {
			vi = len(w.vals) - 1 - gi
		}
		s := w.vals[vi]
		g = &group{value: s, bm: roaring.New()}
		if v := w.key.values[s]; v != nil {
			g.bm = roaring.And(v.bitmap(), w.req.Match)
			// An entity with several values sorts by its smallest (asc) or largest (desc).
			if multi := roaring.And(g.bm, w.key.multi); !multi.IsEmpty() {
				it := multi.Iterator()
				for it.HasNext() {
					id := it.Next()
					if w.chosen(id) != s {
						g.bm.Remove(id)
					}
				}
			}
		}
	}
	w.cache[gi] = g
	return g
}

func (w *walker) chosen(id uint32) string {
	best, found := "", false
	for _, pid := range w.ix.docs[id].postings {
		v := w.ix.vals[pid]
		if v.key != w.key || v == w.key.keyOnly {
			continue
		}
		if !found || (w.req.Desc && v.val > best) || (!w.req.Desc && v.val < best) {
			best, found = v.val, true
		}
	}
	return best
}

// locate maps a position to (group, exact): exact means the position's group
// exists and refs must be compared; otherwise the walk starts at the group
// boundary (forward: group gi is the first after; backward: gi is the last before).
func (w *walker) locate(p *catalog.Position, forward bool) (gi int, exact bool) {
	if w.req.OrderKey == "" {
		return 0, true
	}
	if p.Missing {
		if !w.req.ExcludeMissing {
			return len(w.vals), true
		}
		if forward {
			return w.ngrp, false
		}
		return len(w.vals) - 1, false
	}
	n := len(w.vals)
	ins := sort.SearchStrings(w.vals, p.Value)
	if ins < n && w.vals[ins] == p.Value {
		if w.req.Desc {
			return n - 1 - ins, true
		}
		return ins, true
	}
	if !w.req.Desc {
		if forward {
			return ins, false
		}
		return ins - 1, false
	}
	if forward {
		return n - ins, false
	}
	return n - ins - 1, false
}

// walk visits matching ids from p (exclusive; nil = the start) in walk
// direction until fn returns false.
func (w *walker) walk(p *catalog.Position, forward bool, need int, fn func(id uint32, g *group) bool) {
	gi, exact := 0, false
	if !forward {
		gi = w.ngrp - 1
	}
	if p != nil {
		gi, exact = w.locate(p, forward)
	}
	step := 1
	if !forward {
		step = -1
	}
	for ; gi >= 0 && gi < w.ngrp; gi += step {
		g := w.groupAt(gi)
		bound := ""
		if exact {
			bound = p.Ref
		}
		if !w.walkGroup(g, forward, exact, bound, need, fn) {
			return
		}
		exact = false
	}
}

// walkGroup visits a group's ids in ref order after (forward) or before the
// bound ref; it returns false when fn stopped the walk.
func (w *walker) walkGroup(g *group, forward, bounded bool, bound string, need int, fn func(uint32, *group) bool) bool {
	card := int(g.bm.GetCardinality())
	if card == 0 {
		return true
	}
	refs := w.ix.docs
	total := len(w.ix.sorted)
	// Walking the ref-sorted list costs about need*total/card membership tests;
	// sorting the group costs card*log(card) comparisons.
	walkCost := float64(total)
	if need > 0 && need < card {
		walkCost = float64(need) * float64(total) / float64(card)
	}
	sortCost := float64(card) * (math.Log2(float64(card)) + 1) * 3
	if sortCost < walkCost {
		ids := g.bm.ToArray()
		sort.Slice(ids, func(i, j int) bool { return refs[ids[i]].ref < refs[ids[j]].ref })
		if forward {
			i := 0
			if bounded {
				i = sort.Search(len(ids), func(i int) bool { return refs[ids[i]].ref > bound })
			}
			for ; i < len(ids); i++ {
				if !fn(ids[i], g) {
					return false
				}
			}
			return true
		}
		i := len(ids) - 1
		if bounded {
			i = sort.Search(len(ids), func(i int) bool { return refs[ids[i]].ref >= bound }) - 1
		}
		for ; i >= 0; i-- {
			if !fn(ids[i], g) {
				return false
			}
		}
		return true
	}
	s := w.ix.sorted
	if forward {
		i := 0
		if bounded {
			i = sort.Search(len(s), func(i int) bool { return refs[s[i]].ref > bound })
		}
		for ; i < len(s); i++ {
			if g.bm.Contains(s[i]) && !fn(s[i], g) {
				return false
			}
		}
		return true
	}
	i := len(s) - 1
	if bounded {
		i = sort.Search(len(s), func(i int) bool { return refs[s[i]].ref >= bound }) - 1
	}
	for ; i >= 0; i-- {
		if g.bm.Contains(s[i]) && !fn(s[i], g) {
			return false
		}
	}
	return true
}

// Page walks the order. Call under RLock.
func (ix *Index) Page(req PageRequest) PageResult {
	req.OrderKey = strings.ToLower(strings.TrimSpace(req.OrderKey))
	w := ix.newWalker(&req)
	var res PageResult
	pos := func(id uint32, g *group) catalog.Position {
		return catalog.Position{Value: g.value, Missing: g.missing, Ref: ix.docs[id].ref}
	}
	need := 0
	if req.Limit > 0 {
		need = req.Offset + req.Limit + 1
	}
	forward := req.Before == nil
	from := req.After
	if !forward {
		from = req.Before
	}
	skipped := 0
	w.walk(from, forward, need, func(id uint32, g *group) bool {
		if skipped < req.Offset {
			skipped++
			return true
		}
		if req.Limit > 0 && len(res.IDs) == req.Limit {
			if forward {
				res.HasMore = true
			} else {
				res.HasPrev = true
			}
			return false
		}
		res.IDs = append(res.IDs, id)
		res.Positions = append(res.Positions, pos(id, g))
		return true
	})
	if !forward {
		for i, j := 0, len(res.IDs)-1; i < j; i, j = i+1, j-1 {
			res.IDs[i], res.IDs[j] = res.IDs[j], res.IDs[i]
			res.Positions[i], res.Positions[j] = res.Positions[j], res.Positions[i]
		}
	}
	exists := func(p *catalog.Position, fwd bool) bool {
		found := false
		w.walk(p, fwd, 1, func(uint32, *group) bool { found = true; return false })
		return found
	}
	if forward {
		switch {
		case skipped > 0:
			res.HasPrev = true
		case len(res.IDs) > 0:
			res.HasPrev = exists(&res.Positions[0], false)
		case from != nil:
			res.HasPrev = true
		}
	} else {
		switch {
		case skipped > 0:
			res.HasMore = true
		case len(res.IDs) > 0:
			res.HasMore = exists(&res.Positions[len(res.Positions)-1], true)
		case from != nil:
			res.HasMore = true
		}
	}
	return res
}
