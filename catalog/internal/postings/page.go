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

// emptyGroup is every group the match misses; never modified.
var emptyGroup = &group{bm: roaring.New()}

type walker struct {
	ix    *Index
	req   *PageRequest
	key   *Key
	vals  []string // ascending
	ptrs  []uint32 // the value id of each of vals
	ngrp  int
	cache map[int]*group

	// sorted is the match materialised in walk order, when that is cheaper
	// than walking the order's groups (see sortMatch); built once per walker,
	// nil until then.
	sorted []sortedItem
}

// sortedItem is one matching entity with the order value it sorts by.
type sortedItem struct {
	id  uint32
	g   *group // value and missing only
	ref string
}

func (ix *Index) newWalker(req *PageRequest) *walker {
	w := &walker{ix: ix, req: req, cache: map[int]*group{}}
	if req.OrderKey == "" {
		w.ngrp = 1
		return w
	}
	w.key = ix.keys[req.OrderKey]
	if w.key != nil {
		w.vals, w.ptrs = ix.sortedValuePtrs(w.key)
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
		s, vid := w.vals[vi], w.ptrs[vi]
		if vid == 0 {
			return emptyGroup
		}
		// Most values of a sort key with many values (names) hold one entity,
		// and a sparse match misses most of them: answer those without
		// allocating or caching anything.
		v := w.ix.val(vid)
		if v.form == formInline {
			if v.n == 0 || !w.req.Match.Contains(v.one) {
				return emptyGroup
			}
			if w.ix.hasMulti(w.key, v.one) && w.chosen(v.one) != s {
				return emptyGroup // sorts under another of its values
			}
			g = &group{value: s, bm: roaring.BitmapOf(v.one)}
			break
		}
		if bm := w.ix.bms; v.form == formBitmap && !bm[v.one].Intersects(w.req.Match) {
			return emptyGroup
		}
		g = &group{value: s, bm: w.ix.and(v, w.req.Match)}
		if g.bm.IsEmpty() {
			return emptyGroup
		}
		// An entity with several values sorts by its smallest (asc) or largest (desc).
		if w.key.multi == 0 {
			break
		}
		if multi := w.ix.and(w.ix.val(w.key.multi), g.bm); !multi.IsEmpty() {
			it := multi.Iterator()
			for it.HasNext() {
				id := it.Next()
				if w.chosen(id) != s {
					g.bm.Remove(id)
				}
			}
		}
	}
	w.cache[gi] = g
	return g
}

func (w *walker) chosen(id uint32) string {
	v, _ := w.chosenValue(id)
	return v
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
	if w.sortMatch(need) {
		w.walkSorted(p, forward, fn)
		return
	}
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

// walkMode lets tests force one of the two walks; walkAuto (the only value
// outside tests) picks by cost.
var walkMode = walkAuto

const (
	walkAuto = iota
	walkGroups
	walkSort
)

// Relative costs, in nanoseconds measured on the reference machine, of the
// two ways to walk an ordered match: one group of the order (mostly a
// membership test of a single-entity value against the match), and one
// matching entity materialised (finding its order value among its postings)
// plus its share of the sort (per comparison).
const (
	groupCost   = 40
	itemCost    = 300
	compareCost = 20
)

// sortMatch reports whether materialising and sorting the match beats walking
// the order's groups. Walking visits about need·groups/|match| groups when
// values spread evenly (every group without a limit); a sparse match over a
// key with many values (sorting a team's entities by name) visits thousands
// of groups to fill one page, while sorting a few thousand entities is cheap.
func (w *walker) sortMatch(need int) bool {
	if w.sorted != nil {
		return true
	}
	if w.req.OrderKey == "" || w.ngrp < 2 || walkMode == walkGroups {
		return false
	}
	if walkMode == walkSort {
		w.buildSorted()
		return true
	}
	card := float64(w.req.Match.GetCardinality())
	if card == 0 {
		return false
	}
	visits := float64(w.ngrp)
	if need > 0 && float64(need)*visits/card < visits {
		visits = float64(need) * visits / card
	}
	sortCost := card * (itemCost + compareCost*(math.Log2(card)+1))
	if sortCost >= visits*groupCost {
		return false
	}
	w.buildSorted()
	return true
}

// buildSorted materialises the match in walk order: entities with a value by
// that value (ascending, or descending with Desc), those without it last
// (unless excluded), ties by ref.
func (w *walker) buildSorted() {
	items := make([]sortedItem, 0, w.req.Match.GetCardinality())
	groups := map[string]*group{}
	missing := &group{missing: true}
	it := w.req.Match.Iterator()
	for it.HasNext() {
		id := it.Next()
		item := sortedItem{id: id, ref: w.ix.Ref(id), g: missing}
		if w.key != nil {
			if v, ok := w.chosenValue(id); ok {
				g := groups[v]
				if g == nil {
					g = &group{value: v}
					groups[v] = g
				}
				item.g = g
			}
		}
		if item.g.missing && w.req.ExcludeMissing {
			continue
		}
		items = append(items, item)
	}
	sort.Slice(items, func(i, j int) bool { return w.before(&items[i], items[j].g.missing, items[j].g.value, items[j].ref) })
	w.sorted = items // never nil: made with a capacity
}

// before reports whether a sorts strictly before the position (missing, value, ref).
func (w *walker) before(a *sortedItem, missing bool, value, ref string) bool {
	if a.g.missing != missing {
		return !a.g.missing
	}
	if !a.g.missing && a.g.value != value {
		if w.req.Desc {
			return a.g.value > value
		}
		return a.g.value < value
	}
	return a.ref < ref
}

// walkSorted is walk over the materialised match.
func (w *walker) walkSorted(p *catalog.Position, forward bool, fn func(id uint32, g *group) bool) {
	items := w.sorted
	if forward {
		i := 0
		if p != nil {
			// the first item strictly after p
			i = sort.Search(len(items), func(i int) bool {
				return !w.before(&items[i], p.Missing, p.Value, p.Ref) && !w.at(&items[i], p)
			})
		}
		for ; i < len(items); i++ {
			if !fn(items[i].id, items[i].g) {
				return
			}
		}
		return
	}
	i := len(items) - 1
	if p != nil {
		// the last item strictly before p
		i = sort.Search(len(items), func(i int) bool { return !w.before(&items[i], p.Missing, p.Value, p.Ref) }) - 1
	}
	for ; i >= 0; i-- {
		if !fn(items[i].id, items[i].g) {
			return
		}
	}
}

// at reports whether a is exactly at the position.
func (w *walker) at(a *sortedItem, p *catalog.Position) bool {
	return a.g.missing == p.Missing && (a.g.missing || a.g.value == p.Value) && a.ref == p.Ref
}

// chosenValue is the order value id sorts by: its smallest (asc) or largest
// (desc) value of the order key; false when it has none.
func (w *walker) chosenValue(id uint32) (string, bool) {
	best, found := "", false
	ix := w.ix
	for _, pid := range ix.posts.get(ix.docs[id].posts) {
		if ix.val(pid).key != w.key.id || pid == w.key.keyOnly {
			continue
		}
		if s := ix.valStr(pid); !found || (w.req.Desc && s > best) || (!w.req.Desc && s < best) {
			best, found = s, true
		}
	}
	return best, found
}

// walkGroup visits a group's ids in ref order after (forward) or before the
// bound ref; it returns false when fn stopped the walk.
func (w *walker) walkGroup(g *group, forward, bounded bool, bound string, need int, fn func(uint32, *group) bool) bool {
	card := int(g.bm.GetCardinality())
	if card == 0 {
		return true
	}
	ref := w.ix.Ref
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
		sort.Slice(ids, func(i, j int) bool { return ref(ids[i]) < ref(ids[j]) })
		if forward {
			i := 0
			if bounded {
				i = sort.Search(len(ids), func(i int) bool { return ref(ids[i]) > bound })
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
			i = sort.Search(len(ids), func(i int) bool { return ref(ids[i]) >= bound }) - 1
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
			i = sort.Search(len(s), func(i int) bool { return ref(s[i]) > bound })
		}
		return w.scanForward(g, i, fn)
	}
	i := len(s) - 1
	if bounded {
		i = sort.Search(len(s), func(i int) bool { return ref(s[i]) >= bound }) - 1
	}
	return w.scanBackward(g, i, fn)
}

// scanForward tests the ref-sorted ids from position i on against g,
// skipping the run of every kind g has no entity of.
func (w *walker) scanForward(g *group, i int, fn func(uint32, *group) bool) bool {
	s, segs := w.ix.sorted, w.ix.kindSegments()
	k := sort.Search(len(segs), func(k int) bool { return segs[k].hi > i })
	for i < len(s) {
		end := len(s)
		if k < len(segs) {
			if sg := segs[k]; sg.lo <= i {
				k++
				if !w.ix.intersects(sg.vid, g.bm) {
					i = sg.hi
					continue
				}
				end = sg.hi
			} else {
				end = sg.lo
			}
		}
		for ; i < end; i++ {
			if g.bm.Contains(s[i]) && !fn(s[i], g) {
				return false
			}
		}
	}
	return true
}

// scanBackward is scanForward from position i down to the first.
func (w *walker) scanBackward(g *group, i int, fn func(uint32, *group) bool) bool {
	s, segs := w.ix.sorted, w.ix.kindSegments()
	k := sort.Search(len(segs), func(k int) bool { return segs[k].lo > i }) - 1
	for i >= 0 {
		end := -1
		if k >= 0 {
			if sg := segs[k]; sg.hi > i {
				k--
				if !w.ix.intersects(sg.vid, g.bm) {
					i = sg.lo - 1
					continue
				}
				end = sg.lo - 1
			} else {
				end = sg.hi - 1
			}
		}
		for ; i > end; i-- {
			if g.bm.Contains(s[i]) && !fn(s[i], g) {
				return false
			}
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
		return catalog.Position{Value: g.value, Missing: g.missing, Ref: ix.Ref(id)}
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
