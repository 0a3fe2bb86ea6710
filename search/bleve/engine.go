package bleve

import (
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// The bitmap engine answers a search on scorch's segments directly, without
// bleve's searchers and collector, which visit, score and pool a
// DocumentMatch for every candidate (~0.3 µs each: 40–80 ms for the 130,000
// candidates of a frequent word at 1,000,000 documents). Per segment:
//
//  1. the match set is computed with roaring bitmaps: each query word is the
//     union of its derivations' posting lists, the words are intersected,
//     then the filter (conditions evaluated as bitmaps, negation as
//     live-documents-minus) and the live documents. Total is its
//     cardinality, facet counts are intersections with the value's postings
//     (or, for fields with many values, the matched documents' doc values);
//  2. only then are the derivations' postings read with frequencies and
//     norms, for the matched documents only (advancing when the match set
//     is sparse), into a dense score array, and the best offset+limit kept
//     in a heap; only those documents' stored source is loaded.
//
// Ranking (the same weights as the query builder): per word, the best of
// its derivations' weight × idf × √tf × norm; summed over words; an exact
// name match adds exactBoost. Ties keep index order.

const (
	exactBoost = 50.0
	// facetDictMax is the largest dictionary of a facet field counted value
	// by value (bitmap intersections); larger fields (name, ref) are counted
	// from the matched documents' doc values.
	facetDictMax = 256
	facetSize    = 50
)

// sparseRatio: a derivation whose posting list is more than sparseRatio
// times the match set is read by advancing to the matched documents, a
// smaller one from start to end (a variable for the test of both ways).
var sparseRatio uint64 = 8

// segMatch is one segment's share of a search.
type segMatch struct {
	ss    *scorch.SegmentSnapshot
	match *roaring.Bitmap
}

// postings is the posting bitmap of term in field of one segment (nil when
// absent).
func postings(seg segment.Segment, field, term string) (*roaring.Bitmap, error) {
	dict, err := seg.Dictionary(field)
	if err != nil || dict == nil {
		return nil, err
	}
	pl, err := dict.PostingsList([]byte(term), nil, nil)
	if err != nil || pl == nil || pl.Count() == 0 {
		return nil, err
	}
	or, ok := pl.(interface{ OrInto(*roaring.Bitmap) })
	if !ok {
		return nil, fmt.Errorf("segment postings of %T cannot be read as a bitmap", pl)
	}
	bm := roaring.New()
	or.OrInto(bm)
	return bm, nil
}

// condBitmap evaluates a translated condition on one segment (live is the
// segment's live documents).
func condBitmap(seg segment.Segment, live *roaring.Bitmap, c search.Cond) (*roaring.Bitmap, error) {
	switch {
	case c.None:
		return roaring.New(), nil
	case c.Field != "":
		if c.Op == search.CondExists {
			return orEmpty(postings(seg, fHas, c.Field))
		}
		out := roaring.New()
		for _, v := range c.Values {
			bm, err := postings(seg, "f_"+c.Field, v)
			if err != nil {
				return nil, err
			}
			if bm != nil {
				out.Or(bm)
			}
		}
		return out, nil
	case c.Not != nil:
		inner, err := condBitmap(seg, live, *c.Not)
		if err != nil {
			return nil, err
		}
		return roaring.AndNot(live, inner), nil
	case len(c.Any) > 0:
		out := roaring.New()
		for _, sub := range c.Any {
			bm, err := condBitmap(seg, live, sub)
			if err != nil {
				return nil, err
			}
			out.Or(bm)
		}
		return out, nil
	case len(c.All) > 0:
		var out *roaring.Bitmap
		for _, sub := range c.All {
			bm, err := condBitmap(seg, live, sub)
			if err != nil {
				return nil, err
			}
			if out == nil {
				out = bm
			} else {
				out.And(bm)
			}
		}
		return out, nil
	}
	return live.Clone(), nil
}

func orEmpty(bm *roaring.Bitmap, err error) (*roaring.Bitmap, error) {
	if bm == nil && err == nil {
		bm = roaring.New()
	}
	return bm, err
}

// wordPlan is one query word: its derivations with their idf.
type wordPlan struct {
	ds  []derivation
	idf []float64
}

// plan expands the term's words against the dictionary (nil words = no
// term: every document the filter selects matches, unranked).
func plan(r index.IndexReader, term string, docs uint64) ([]wordPlan, bool, error) {
	words := search.Words(term)
	out := make([]wordPlan, 0, len(words))
	for i, w := range words {
		ds, err := derive(r, w, i == len(words)-1)
		if err != nil {
			return nil, false, err
		}
		if len(ds) == 0 {
			return nil, true, nil // a word nothing matches
		}
		wp := wordPlan{ds: ds, idf: make([]float64, len(ds))}
		for j, d := range ds {
			df := d.count
			if df == 0 { // not from a dictionary scan
				df = termCount(r, d.term)
			}
			wp.idf[j] = 1 + math.Log(float64(docs)/float64(df+1))
		}
		out = append(out, wp)
	}
	return out, false, nil
}

// termCount returns the number of documents whose `all` holds term.
func termCount(r index.IndexReader, term string) uint64 {
	tfr, err := r.TermFieldReader(context.Background(), []byte(term), fAll, false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return tfr.Count()
}

// scored is one ranked candidate.
type scored struct {
	score float64
	seg   int
	doc   uint64
}

// worst-first heap of the best candidates.
type topHeap []scored

func (h topHeap) Len() int { return len(h) }
func (h topHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	if h[i].seg != h[j].seg {
		return h[i].seg > h[j].seg
	}
	return h[i].doc > h[j].doc
}
func (h topHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *topHeap) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *topHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

var floatPool = sync.Pool{New: func() any { return new([]float32) }}

// getFloats returns a zeroed slice of n floats from the pool.
func getFloats(n int) *[]float32 {
	p := floatPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	} else {
		*p = (*p)[:n]
		clear(*p)
	}
	return p
}

// scoreSegment adds the segment's matched documents to the heap (keep =
// offset+limit).
func scoreSegment(seg segment.Segment, si int, match *roaring.Bitmap, words []wordPlan, exactName string, h *topHeap, keep int) error {
	card := match.GetCardinality()
	if card == 0 {
		return nil
	}
	if len(words) == 0 { // filter only: index order
		it := match.Iterator()
		for it.HasNext() && h.Len() < keep {
			heap.Push(h, scored{seg: si, doc: uint64(it.Next())})
		}
		return nil
	}
	n := int(seg.Count())
	totalP, bestP := getFloats(n), getFloats(n)
	defer floatPool.Put(totalP)
	defer floatPool.Put(bestP)
	total, best := *totalP, *bestP
	dict, err := seg.Dictionary(fAll)
	if err != nil {
		return err
	}
	var pre segment.PostingsList
	var preIt segment.PostingsIterator
	for wi, w := range words {
		clear(best)
		for j, d := range w.ds {
			pl, err := dict.PostingsList([]byte(d.term), nil, pre)
			if err != nil {
				return err
			}
			if pl == nil || pl.Count() == 0 {
				continue
			}
			pre = pl
			it := pl.Iterator(true, true, false, preIt)
			preIt = it
			wt := d.weight * w.idf[j]
			score := func(p segment.Posting) float32 {
				return float32(wt * math.Sqrt(float64(p.Frequency())) * p.Norm())
			}
			if card*sparseRatio < pl.Count() {
				// Sparse match set: advance to each matched document. The
				// posting an Advance lands on (at, with its score) may be a
				// later matched document.
				var at uint64
				var atScore float32
				have := false
				mi := match.Iterator()
				for mi.HasNext() {
					m := uint64(mi.Next())
					if !have || at < m {
						p, err := it.Advance(m)
						if err != nil {
							return err
						}
						if p == nil {
							break
						}
						at, atScore, have = p.Number(), score(p), true
					}
					if at == m && atScore > best[m] {
						best[m] = atScore
					}
				}
				continue
			}
			for {
				p, err := it.Next()
				if err != nil {
					return err
				}
				if p == nil {
					break
				}
				// Unmatched documents' scores are never read.
				if s := score(p); s > best[p.Number()] {
					best[p.Number()] = s
				}
			}
		}
		if wi == len(words)-1 {
			break // the last word's best is added while ranking
		}
		mi := match.Iterator()
		for mi.HasNext() {
			m := mi.Next()
			total[m] += best[m]
		}
	}
	if exactName != "" {
		bm, err := postings(seg, fExact, exactName)
		if err != nil {
			return err
		}
		if bm != nil {
			bm.And(match)
			it := bm.Iterator()
			for it.HasNext() {
				total[it.Next()] += exactBoost
			}
		}
	}
	mi := match.Iterator()
	for mi.HasNext() {
		m := mi.Next()
		c := scored{score: float64(total[m] + best[m]), seg: si, doc: uint64(m)}
		if h.Len() < keep {
			heap.Push(h, c)
		} else if (*h)[0].score < c.score {
			(*h)[0] = c
			heap.Fix(h, 0)
		}
	}
	return nil
}

// searchBitmaps runs q on a scorch snapshot (see the comment at the top).
func searchBitmaps(snap *scorch.IndexSnapshot, q search.Query, cond search.Cond) (search.Result, error) {
	docs, err := snap.DocCount()
	if err != nil {
		return search.Result{}, err
	}
	words, none, err := plan(snap, q.Term, docs)
	if err != nil {
		return search.Result{}, fmt.Errorf("bleve index: expand %q: %w", q.Term, err)
	}
	exactName := ""
	if len(words) > 0 {
		exactName = strings.ToLower(strings.TrimSpace(q.Term))
	}
	segs := snap.Segments()
	matches := make([]segMatch, 0, len(segs))
	total := 0
	for _, ss := range segs {
		if none {
			break
		}
		seg := ss.Segment()
		live := ss.DocNumbersLive()
		m, err := condBitmap(seg, live, cond)
		if err != nil {
			return search.Result{}, fmt.Errorf("bleve index: filter: %w", err)
		}
		m.And(live)
		for wi, w := range words {
			if m.IsEmpty() {
				break
			}
			wm := roaring.New()
			for _, d := range w.ds {
				bm, err := postings(seg, fAll, d.term)
				if err != nil {
					return search.Result{}, fmt.Errorf("bleve index: postings: %w", err)
				}
				if bm != nil {
					wm.Or(bm)
				}
			}
			if wi == 0 { // an exact name match implies every word
				bm, err := postings(seg, fExact, exactName)
				if err != nil {
					return search.Result{}, fmt.Errorf("bleve index: postings: %w", err)
				}
				if bm != nil {
					wm.Or(bm)
				}
			}
			m.And(wm)
		}
		total += int(m.GetCardinality())
		matches = append(matches, segMatch{ss: ss, match: m})
	}
	keep := q.Offset + search.ClampLimit(q.Limit)
	h := make(topHeap, 0, min(keep, total)) // an offset may be far past the total
	if q.Offset < total {
		for si, sm := range matches {
			if err := scoreSegment(sm.ss.Segment(), si, sm.match, words, exactName, &h, keep); err != nil {
				return search.Result{}, fmt.Errorf("bleve index: score: %w", err)
			}
		}
	}
	ranked := make([]scored, h.Len())
	for i := len(ranked) - 1; i >= 0; i-- {
		ranked[i] = heap.Pop(&h).(scored)
	}
	out := search.Result{Total: total, Hits: []search.Hit{}}
	for _, c := range ranked[min(q.Offset, len(ranked)):] {
		var src []byte
		err := matches[c.seg].ss.VisitDocument(c.doc, func(field string, _ byte, value []byte, _ []uint64) bool {
			if field == fSrc {
				src = append([]byte(nil), value...)
				return false
			}
			return true
		})
		if err != nil {
			return search.Result{}, fmt.Errorf("bleve index: load document: %w", err)
		}
		var d search.Document
		if err := json.Unmarshal(src, &d); err != nil {
			return search.Result{}, fmt.Errorf("bleve index: decode document: %w", err)
		}
		out.Hits = append(out.Hits, search.Hit{Doc: d, Score: c.score})
	}
	if len(q.Facets) > 0 {
		out.Facets = map[string][]catalog.FacetCount{}
		for _, f := range q.Facets {
			counts, err := facetCounts(snap, matches, f)
			if err != nil {
				return search.Result{}, fmt.Errorf("bleve index: facet %s: %w", f, err)
			}
			out.Facets[f] = counts
		}
	}
	return out, nil
}

// facetCounts counts the values of filter field f among the matched
// documents, most frequent first (at most facetSize).
func facetCounts(snap *scorch.IndexSnapshot, matches []segMatch, f string) ([]catalog.FacetCount, error) {
	field := "f_" + f
	var values []string
	fd, err := snap.FieldDict(field)
	if err != nil {
		return nil, err
	}
	for {
		e, err := fd.Next()
		if err != nil {
			fd.Close()
			return nil, err
		}
		if e == nil || len(values) > facetDictMax {
			break
		}
		values = append(values, e.Term)
	}
	fd.Close()
	counts := map[string]int{}
	for _, sm := range matches {
		if sm.match.IsEmpty() {
			continue
		}
		seg := sm.ss.Segment()
		if len(values) <= facetDictMax {
			for _, v := range values {
				bm, err := postings(seg, field, v)
				if err != nil {
					return nil, err
				}
				if bm != nil {
					if n := int(sm.match.AndCardinality(bm)); n > 0 {
						counts[v] += n
					}
				}
			}
			continue
		}
		dv, ok := seg.(segment.DocValueVisitable)
		if !ok {
			return nil, fmt.Errorf("segment %T has no doc values", seg)
		}
		var state segment.DocVisitState
		it := sm.match.Iterator()
		for it.HasNext() {
			state, err = dv.VisitDocValues(uint64(it.Next()), []string{field}, func(_ string, term []byte) {
				counts[string(term)]++
			}, state)
			if err != nil {
				return nil, err
			}
		}
	}
	out := make([]catalog.FacetCount, 0, len(counts))
	for v, n := range counts {
		out = append(out, catalog.FacetCount{Value: v, Count: n})
	}
	sortFacets(out)
	if len(out) > facetSize {
		out = out[:facetSize]
	}
	return out, nil
}

// sortFacets orders facet counts most frequent first, then by value.
func sortFacets(counts []catalog.FacetCount) {
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].Count != counts[j].Count {
			return counts[i].Count > counts[j].Count
		}
		return counts[i].Value < counts[j].Value
	})
}
