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
			return k.exists.Clone()
		case catalog.OpPrefix:
			p := ""
			if len(f.Values) > 0 {
				p = f.Values[0]
			}
			vs := k.sortedValues()
			var bms []*roaring.Bitmap
			for i := sort.SearchStrings(vs, p); i < len(vs) && strings.HasPrefix(vs[i], p); i++ {
				if v := k.values[vs[i]]; v != nil {
					bms = append(bms, v.bitmap())
				}
			}
			return roaring.FastOr(bms...)
		default:
			var bms []*roaring.Bitmap
			for _, s := range f.Values {
				if v := k.values[s]; v != nil {
					bms = append(bms, v.bitmap())
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
		return k.facets.unfiltered(ix, k)
	}
	// One AND-cardinality per value is cheapest for keys with few values
	// (kind, lifecycle); a key with many values (owners at a million
	// entities) is counted in one pass over the matching ids instead.
	if n := match.GetCardinality(); n < columnScanFactor*uint64(len(k.values)) {
		if col, vals, ok := k.facets.column(ix, k); ok {
			return countColumn(match, col, vals)
		}
	}
	type fc struct {
		v     *Value
		count int
	}
	var tmp []fc
	for _, v := range k.values {
		if n := v.andCard(match); n > 0 {
			tmp = append(tmp, fc{v, int(n)})
		}
	}
	out := make([]catalog.FacetCount, len(tmp))
	for i, t := range tmp {
		out[i] = catalog.FacetCount{Value: t.v.orig, Count: t.count}
	}
	sortFacets(out, func(i int) string { return tmp[i].v.val })
	return out
}

// Count is the number of entities having the order key with a value among
// match, or all of match without an order key.
func (ix *Index) orderable(match *roaring.Bitmap, key string) *roaring.Bitmap {
	k := ix.keys[key]
	if k == nil {
		return roaring.New()
	}
	out := roaring.And(match, k.exists)
	if k.keyOnly != nil {
		out.AndNot(k.keyOnly.bitmap())
	}
	return out
}

// Restrict returns match limited to entities having a value for key
// (Query.ExcludeMissingOrder). Call under RLock.
func (ix *Index) Restrict(match *roaring.Bitmap, key string) *roaring.Bitmap {
	return ix.orderable(match, strings.ToLower(strings.TrimSpace(key)))
}
