package postings

import (
	"sort"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// Filter evaluates f to a fresh bitmap of matching ids. Call under RLock.
func (ix *Index) Filter(f catalog.Filter) *roaring.Bitmap {
	switch {
	case f.Key != "":
		k := ix.keys[f.Key]
		if k == nil {
			return roaring.New()
		}
		switch f.Op {
		case catalog.OpExists:
			return ix.and(ix.val(k.exists), ix.all)
		case catalog.OpPrefix:
			p := ""
			if len(f.Values) > 0 {
				p = f.Values[0]
			}
			vs, ptrs := ix.sortedValuePtrs(k)
			var bms []*roaring.Bitmap
			for i := sort.SearchStrings(vs, p); i < len(vs) && strings.HasPrefix(vs[i], p); i++ {
				bms = append(bms, ix.bitmap(ix.val(ptrs[i])))
			}
			return roaring.FastOr(bms...)
		default:
			var bms []*roaring.Bitmap
			for _, s := range f.Values {
				if vid := ix.lookup(k, s); vid != 0 {
					bms = append(bms, ix.bitmap(ix.val(vid)))
				}
			}
			if len(bms) == 1 {
				return bms[0].Clone()
			}
			return roaring.FastOr(bms...)
		}
	case f.Not != nil:
		out := ix.all.Clone()
		out.AndNot(ix.Filter(*f.Not))
		return out
	case f.IsAny():
		out := roaring.New()
		for _, c := range f.Any {
			out.Or(ix.Filter(c))
		}
		return out
	default:
		if len(f.All) == 0 {
			return ix.all.Clone()
		}
		out := ix.Filter(f.All[0])
		for _, c := range f.All[1:] {
			if out.IsEmpty() {
				break
			}
			out.And(ix.Filter(c))
		}
		return out
	}
}

// Facet counts the values of key among match (nil = every entity), with
// their original spelling, sorted by count desc then value. Call under RLock.
func (ix *Index) Facet(match *roaring.Bitmap, key string) []catalog.FacetCount {
	k := ix.keys[strings.ToLower(strings.TrimSpace(key))]
	if k == nil || (match != nil && match.IsEmpty()) {
		return []catalog.FacetCount{}
	}
	if match == nil {
		return k.m().facets.unfiltered(ix, k)
	}
	// One AND-cardinality per value is cheapest for keys with few values
	// (kind, lifecycle); a key with many values (owners at a million
	// entities) is counted in one pass over the matching ids instead.
	if n := match.GetCardinality(); n < columnScanFactor*uint64(k.values.n) {
		if col, vals, ok := k.m().facets.column(ix, k); ok {
			return countColumn(ix, match, col, vals)
		}
	}
	out := []catalog.FacetCount{}
	_, ptrs := ix.sortedValuePtrs(k)
	for _, vid := range ptrs {
		if vid == 0 {
			continue
		}
		if n := ix.andCard(ix.val(vid), match); n > 0 {
			out = append(out, catalog.FacetCount{Value: ix.origStr(vid), Count: int(n)})
		}
	}
	return byCount(out)
}

// Count is the number of entities having the order key with a value among
// match, or all of match without an order key.
func (ix *Index) orderable(match *roaring.Bitmap, key string) *roaring.Bitmap {
	k := ix.keys[key]
	if k == nil {
		return roaring.New()
	}
	out := ix.and(ix.val(k.exists), match)
	if k.keyOnly != 0 {
		out.AndNot(ix.bitmap(ix.val(k.keyOnly)))
	}
	return out
}

// Restrict returns match limited to entities having a value for key
// (Query.ExcludeMissingOrder). Call under RLock.
func (ix *Index) Restrict(match *roaring.Bitmap, key string) *roaring.Bitmap {
	return ix.orderable(match, strings.ToLower(strings.TrimSpace(key)))
}
