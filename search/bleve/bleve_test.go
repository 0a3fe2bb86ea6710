package bleve

import (
	"context"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/indextest"
)

func TestConformance(t *testing.T) {
	indextest.Run(t, func(t *testing.T) search.Index {
		ix, err := Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return ix
	})
}

// reopen writes one document, lets before touch the index, closes it and
// opens it again.
func reopen(t *testing.T, before func(*Index)) *Index {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ix, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Rebuilt() {
		t.Fatal("a new index reports Rebuilt")
	}
	if err := ix.Upsert(ctx, []search.Document{indextest.Doc("Component", "payments", "Payments", "")}); err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(ix)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func TestReopenKeepsDocuments(t *testing.T) {
	ix := reopen(t, nil)
	res, err := ix.Search(context.Background(), search.Query{Term: "paymnts"})
	if err != nil || res.Total != 1 || ix.Rebuilt() {
		t.Fatalf("after reopen: %+v, %v (rebuilt %v)", res, err, ix.Rebuilt())
	}
}

// An index written with another mapping is recreated empty on open (serve
// then reindexes it).
func TestOlderMappingIsRebuilt(t *testing.T) {
	ix := reopen(t, func(ix *Index) {
		if err := ix.ix.SetInternal(mappingKey, []byte("1")); err != nil {
			t.Fatal(err)
		}
	})
	if n, err := ix.Count(context.Background()); err != nil || n != 0 || !ix.Rebuilt() {
		t.Fatalf("older mapping: count %d, rebuilt %v, err %v; want an empty, rebuilt index", n, ix.Rebuilt(), err)
	}
}

// TestBitmapEngineMatchesBleve runs the benchmark's query mix (and a few
// more filters) on a small index with replaced and deleted documents through
// both engines: the same totals, the same facet counts, and every hit of the
// bitmap engine among bleve's matches.
func TestBitmapEngineMatchesBleve(t *testing.T) {
	ctx := context.Background()
	for _, c := range []corpusKind{worstCorpus, zipfCorpus} {
		ix, err := Open(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewSource(3))
		w := wordSource(r, c)
		var docs, all []search.Document
		for i := range 3000 {
			d := benchDoc(r, w, i)
			docs, all = append(docs, d), append(all, d)
			if len(docs) == 500 {
				if err := ix.Upsert(ctx, docs); err != nil {
					t.Fatal(err)
				}
				docs = docs[:0]
			}
		}
		// Replace some documents (new text and kind) and delete others:
		// segments with deleted documents.
		for i := 0; i < 3000; i += 7 {
			d := benchDoc(r, w, i)
			d.Key, d.Ref, d.Name = all[i].Key, all[i].Ref, all[i].Name
			docs = append(docs, d)
		}
		if err := ix.Upsert(ctx, docs); err != nil {
			t.Fatal(err)
		}
		var gone []string
		for i := 3; i < 3000; i += 11 {
			gone = append(gone, all[i].Key)
		}
		if err := ix.Delete(ctx, gone); err != nil {
			t.Fatal(err)
		}
		if n, err := ix.Count(ctx); err != nil || n != 3000-len(gone) {
			t.Fatalf("count %d (%v), want %d", n, err, 3000-len(gone))
		}
		var qs []search.Query
		for i := 0; i < 40; i++ {
			d := benchDoc(r, w, i)
			first := strings.Split(d.Name, "-")[0]
			typo := first
			if len(first) >= 5 {
				typo = first[:2] + first[3:]
			}
			facets := []string{search.FieldKind, search.FieldOwner, search.FieldName}
			qs = append(qs,
				search.Query{Term: d.Name, Facets: facets},
				search.Query{Term: typo, Facets: facets},
				search.Query{Term: first[:min(3, len(first))], Limit: 100},
				search.Query{Term: first + " " + strings.Fields(d.Text)[0], Facets: facets},
				search.Query{Term: first, Filter: catalog.Eq("kind", "component"), Facets: facets},
				search.Query{Term: typo, Filter: catalog.AnyOf(catalog.Eq("relations.ownedby", d.OwnedBy[0]),
					catalog.NotOf(catalog.Eq("kind", "component", "api"))), Offset: 25 * (i % 3), Facets: facets},
				search.Query{Filter: catalog.NotOf(catalog.Eq("spec.owner", d.Owner)), Facets: facets},
				search.Query{Term: "", Facets: facets},
				search.Query{Term: "zzzzqqq"},
			)
		}
		for _, q := range qs {
			cond, err := search.QueryCond(q)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ix.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ix.searchBleve(ctx, q, cond)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != want.Total || len(got.Hits) != len(want.Hits) {
				t.Errorf("%s %q: total %d, %d hits; bleve %d, %d hits", c, q.Term, got.Total, len(got.Hits), want.Total, len(want.Hits))
				continue
			}
			for _, f := range q.Facets {
				if !reflect.DeepEqual(got.Facets[f], want.Facets[f]) {
					t.Errorf("%s %q facet %s: %v, bleve %v", c, q.Term, f, got.Facets[f], want.Facets[f])
				}
			}
			// Advancing to the matched documents and reading whole posting
			// lists give the same scores (on one snapshot: a background
			// merge renumbers documents, which reorders ties).
			adv, err := ix.ix.Advanced()
			if err != nil {
				t.Fatal(err)
			}
			r, err := adv.Reader()
			if err != nil {
				t.Fatal(err)
			}
			var alts []search.Result
			for _, ratio := range []uint64{0, 8, 1 << 40} {
				sparseRatio = ratio
				alt, err := searchBitmaps(r.(*scorch.IndexSnapshot), q, cond)
				sparseRatio = 8
				if err != nil {
					t.Fatal(err)
				}
				alts = append(alts, alt)
			}
			r.Close()
			if !reflect.DeepEqual(alts[0], alts[1]) || !reflect.DeepEqual(alts[2], alts[1]) {
				t.Errorf("%s %q: the sparse and dense ways give other results", c, q.Term)
			}
			if got.Total > len(got.Hits) {
				continue // a page of many: the rankings differ
			}
			in := map[string]bool{}
			for _, h := range want.Hits {
				in[h.Doc.Key] = true
			}
			for _, h := range got.Hits {
				if !in[h.Doc.Key] {
					t.Errorf("%s %q: hit %s is not a bleve match", c, q.Term, h.Doc.Key)
				}
			}
		}
		// An offset far past the total: no hits, the total, nothing allocated
		// for the offset.
		res, err := ix.Search(ctx, search.Query{Term: "a", Offset: 1 << 40})
		if err != nil || len(res.Hits) != 0 || res.Total == 0 {
			t.Errorf("offset 2^40: %d hits, total %d, %v; want none of a positive total", len(res.Hits), res.Total, err)
		}
		ix.Close()
	}
}
