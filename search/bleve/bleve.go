// Package bleve is the embedded search.Index: a bleve/v2 (scorch) index in
// the data directory, the default backend. It owns the index mapping, the
// expansion of query words against the term dictionary, and the search
// itself: a bitmap engine over scorch's segments (engine.go: match sets,
// totals and facets as roaring bitmaps, scoring of the matched documents
// only) and, as its reference in tests and for other index types, the same
// query through bleve's searchers.
//
// It imports only search and catalog; it must never import web, a catalog
// store or another backend.
package bleve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// Dir is the index directory's name inside the data directory.
const Dir = "search.bleve"

// Index is the embedded index.
type Index struct {
	path    string
	ix      bv.Index
	rebuilt bool
}

var _ search.Index = (*Index)(nil)

// Open opens (creating if needed) dataDir/search.bleve.
func Open(ctx context.Context, dataDir string) (*Index, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("bleve index: create data dir: %w", err)
	}
	return OpenPath(ctx, filepath.Join(dataDir, Dir))
}

// lockWait bounds the wait for another process's lock on the index.
const lockWait = "2s"

// mappingVersion names the index mapping; an index written with another is
// dropped and recreated empty on open (the caller reindexes an empty index).
const mappingVersion = "2"

var mappingKey = []byte("portico_mapping")

// OpenPath opens (creating if needed) the index at path. One process at a
// time may hold it: a second gets an error after a short wait. An index of
// an older mapping is recreated empty (Rebuilt reports it).
func OpenPath(_ context.Context, path string) (*Index, error) {
	cfg := map[string]any{"bolt_timeout": lockWait}
	ix, err := bv.OpenUsing(path, cfg)
	rebuilt := false
	if err == nil {
		if v, gerr := ix.GetInternal(mappingKey); gerr != nil || string(v) != mappingVersion {
			_ = ix.Close()
			if err := os.RemoveAll(path); err != nil {
				return nil, fmt.Errorf("bleve index %s: remove index of an older mapping: %w", path, err)
			}
			rebuilt = true
			err = bv.ErrorIndexPathDoesNotExist
		}
	}
	if errors.Is(err, bv.ErrorIndexPathDoesNotExist) {
		ix, err = bv.NewUsing(path, newMapping(), bv.Config.DefaultIndexType, bv.Config.DefaultKVStore, cfg)
		if err == nil {
			if err = ix.SetInternal(mappingKey, []byte(mappingVersion)); err != nil {
				_ = ix.Close()
			}
		}
	}
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, fmt.Errorf("bleve index %s is in use by another process (is `portico serve` running on this data directory?): %w", path, err)
		}
		return nil, fmt.Errorf("bleve index %s: %w", path, err)
	}
	return &Index{path: path, ix: ix, rebuilt: rebuilt}, nil
}

// Rebuilt reports whether Open found an index of an older mapping and
// recreated it empty.
func (x *Index) Rebuilt() bool { return x.rebuilt }

// Describe implements search.Index.
func (x *Index) Describe() string { return "bleve " + x.path }

// Close implements search.Index.
func (x *Index) Close() error { return x.ix.Close() }

// Field names inside the bleve documents. Words are searched in one field,
// `all`, where the name's words are repeated nameRepeat times and the
// title's titleRepeat times: term frequency carries the field weight
// (name > title > text, keywords), so a query word costs one posting list
// per dictionary term instead of one per field.
const (
	fExact = "name_exact"
	fAll   = "all"
	fHas   = "f_has"
	fLacks = "f_lacks" // the filter fields a document has no value for
	fSrc   = "src"

	nameRepeat  = 3
	titleRepeat = 2
)

func newMapping() mapping.IndexMapping {
	im := bv.NewIndexMapping()
	must := func(err error) {
		if err != nil {
			panic(err) // static configuration
		}
	}
	must(im.AddCustomAnalyzer("words", map[string]any{
		"type": custom.Name, "tokenizer": unicode.Name, "token_filters": []any{lowercase.Name}}))
	must(im.AddCustomAnalyzer("exact", map[string]any{
		"type": custom.Name, "tokenizer": single.Name, "token_filters": []any{lowercase.Name}}))
	im.DefaultAnalyzer = "words"
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	dm := bv.NewDocumentStaticMapping()
	text := func(analyzer string) *mapping.FieldMapping {
		f := bv.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	dm.AddFieldMappingsAt(fAll, text("words"))
	dm.AddFieldMappingsAt(fExact, text("exact"))
	for _, field := range search.FilterFields {
		f := text(keyword.Name)
		f.DocValues = true // facets
		dm.AddFieldMappingsAt("f_"+field, f)
	}
	dm.AddFieldMappingsAt(fHas, text(keyword.Name)) // Exists conditions only: no doc values
	dm.AddFieldMappingsAt(fLacks, text(keyword.Name))
	src := bv.NewTextFieldMapping()
	src.Index = false
	src.Store = true
	src.IncludeInAll = false
	src.DocValues = false
	dm.AddFieldMappingsAt(fSrc, src)
	im.DefaultMapping = dm
	return im
}

// body is what bleve indexes for one document.
func body(d search.Document) (map[string]any, error) {
	src, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var all strings.Builder
	for range nameRepeat {
		all.WriteString(d.Name)
		all.WriteByte(' ')
	}
	for range titleRepeat {
		all.WriteString(d.Title)
		all.WriteByte(' ')
	}
	all.WriteString(d.Text)
	all.WriteByte(' ')
	all.WriteString(d.Keywords)
	m := map[string]any{fExact: d.Name, fSrc: string(src), fAll: all.String()}
	fv := search.FilterValues(d)
	has := make([]string, 0, len(fv))
	for field, vs := range fv {
		m["f_"+field] = vs
		has = append(has, field)
	}
	sort.Strings(has)
	m[fHas] = has
	lacks := make([]string, 0, len(search.FilterFields))
	for _, field := range search.FilterFields {
		if len(fv[field]) == 0 {
			lacks = append(lacks, field)
		}
	}
	m[fLacks] = lacks
	return m, nil
}

// Upsert implements search.Index.
func (x *Index) Upsert(ctx context.Context, docs []search.Document) error {
	const chunk = 2000
	for start := 0; start < len(docs); start += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := x.ix.NewBatch()
		for _, d := range docs[start:min(start+chunk, len(docs))] {
			if d.Key == "" {
				return catalog.Inputf("search document without a key (title %q)", d.Title)
			}
			m, err := body(d)
			if err != nil {
				return fmt.Errorf("bleve index: encode %s: %w", d.Key, err)
			}
			if err := b.Index(d.Key, m); err != nil {
				return fmt.Errorf("bleve index: add %s: %w", d.Key, err)
			}
		}
		if err := x.ix.Batch(b); err != nil {
			return fmt.Errorf("bleve index: write batch: %w", err)
		}
	}
	return nil
}

// Delete implements search.Index.
func (x *Index) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	b := x.ix.NewBatch()
	for _, k := range keys {
		b.Delete(k)
	}
	if err := x.ix.Batch(b); err != nil {
		return fmt.Errorf("bleve index: delete: %w", err)
	}
	return nil
}

// DeleteType implements search.Index.
func (x *Index) DeleteType(ctx context.Context, docType string) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		q := bv.NewTermQuery(docType)
		q.SetField("f_" + search.FieldDocType)
		req := bv.NewSearchRequestOptions(q, 5000, 0, false)
		res, err := x.ix.SearchInContext(ctx, req)
		if err != nil {
			return fmt.Errorf("bleve index: list %s documents: %w", docType, err)
		}
		if len(res.Hits) == 0 {
			return nil
		}
		keys := make([]string, len(res.Hits))
		for i, h := range res.Hits {
			keys[i] = h.ID
		}
		if err := x.Delete(ctx, keys); err != nil {
			return err
		}
	}
}

// Count implements search.Index.
func (x *Index) Count(context.Context) (int, error) {
	n, err := x.ix.DocCount()
	if err != nil {
		return 0, fmt.Errorf("bleve index: count: %w", err)
	}
	return int(n), nil
}

// query builds the whole query: the term's words (expanded against the term
// dictionary), the filter applied without scoring.
func (x *Index) query(term string, cond search.Cond) (query.Query, error) {
	words := len(search.Words(term)) > 0
	if !words && cond.All == nil && cond.Any == nil && cond.Not == nil && cond.Field == "" && !cond.None {
		return bv.NewMatchAllQuery(), nil
	}
	adv, err := x.ix.Advanced()
	if err != nil {
		return nil, fmt.Errorf("bleve index: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, fmt.Errorf("bleve index: reader: %w", err)
	}
	defer r.Close()
	filter, err := condQuery(r, cond)
	if err != nil {
		return nil, fmt.Errorf("bleve index: filter: %w", err)
	}
	_, noFilter := filter.(*query.MatchAllQuery)
	if !words {
		// The filter alone: its own postings lead (a filtered MatchAll would
		// visit every document).
		return bv.NewConjunctionQuery(bv.NewMatchAllQuery(), filter), nil
	}
	main, err := termQuery(r, term)
	if err != nil {
		return nil, fmt.Errorf("bleve index: expand %q: %w", term, err)
	}
	if noFilter {
		return main, nil
	}
	// The filter only selects: it is checked on the term's candidates
	// (advancing its own postings) and never scored.
	b := bv.NewBooleanQuery()
	b.AddMust(main)
	b.AddFilter(filter)
	return b, nil
}

// searchSnapshot runs q with the bitmap engine (engine.go) on the current
// scorch snapshot; ok is false for another index type (bleve's searchers
// then answer).
func (x *Index) searchSnapshot(q search.Query, cond search.Cond) (search.Result, bool, error) {
	adv, err := x.ix.Advanced()
	if err != nil {
		return search.Result{}, false, fmt.Errorf("bleve index: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return search.Result{}, false, fmt.Errorf("bleve index: reader: %w", err)
	}
	defer r.Close()
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return search.Result{}, false, nil
	}
	res, err := searchBitmaps(snap, q, cond)
	return res, true, err
}

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, q search.Query) (search.Result, error) {
	cond, err := search.QueryCond(q)
	if err != nil {
		return search.Result{}, err
	}
	if res, ok, err := x.searchSnapshot(q, cond); ok || err != nil {
		return res, err
	}
	return x.searchBleve(ctx, q, cond)
}

// searchBleve runs q with bleve's searchers and collector: the reference
// the bitmap engine is tested against (same matches, totals and facets), and
// the path for an index that is not scorch's.
func (x *Index) searchBleve(ctx context.Context, q search.Query, cond search.Cond) (search.Result, error) {
	full, err := x.query(q.Term, cond)
	if err != nil {
		return search.Result{}, err
	}
	req := bv.NewSearchRequestOptions(full, search.ClampLimit(q.Limit), q.Offset, false)
	req.Fields = []string{fSrc}
	// Score order (bleve breaks ties by internal doc number, stable within a
	// snapshot); an _id tiebreak would load every candidate's id.
	for _, f := range q.Facets {
		req.AddFacet(f, bv.NewFacetRequest("f_"+f, facetSize))
	}
	res, err := x.ix.SearchInContext(ctx, req)
	if err != nil {
		return search.Result{}, fmt.Errorf("bleve index: search: %w", err)
	}
	out := search.Result{Total: int(res.Total), Hits: make([]search.Hit, 0, len(res.Hits))}
	for _, h := range res.Hits {
		src, _ := h.Fields[fSrc].(string)
		var d search.Document
		if err := json.Unmarshal([]byte(src), &d); err != nil {
			return search.Result{}, fmt.Errorf("bleve index: decode %s: %w", h.ID, err)
		}
		out.Hits = append(out.Hits, search.Hit{Doc: d, Score: h.Score})
	}
	if len(q.Facets) > 0 {
		out.Facets = map[string][]catalog.FacetCount{}
		for _, f := range q.Facets {
			counts := []catalog.FacetCount{}
			if fr := res.Facets[f]; fr != nil {
				for _, t := range fr.Terms.Terms() {
					counts = append(counts, catalog.FacetCount{Value: t.Term, Count: t.Count})
				}
			}
			sortFacets(counts)
			out.Facets[f] = counts
		}
	}
	return out, nil
}
