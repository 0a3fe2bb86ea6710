// Package bleve is the embedded search.Index: a bleve/v2 (scorch) index in
// the data directory, the default backend. It owns the index mapping and the
// translation of search queries and conditions into bleve queries.
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
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// Dir is the index directory's name inside the data directory.
const Dir = "search.bleve"

// Index is the embedded index.
type Index struct {
	path string
	ix   bv.Index
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

// OpenPath opens (creating if needed) the index at path. One process at a
// time may hold it: a second gets an error after a short wait.
func OpenPath(_ context.Context, path string) (*Index, error) {
	cfg := map[string]any{"bolt_timeout": lockWait}
	ix, err := bv.OpenUsing(path, cfg)
	if errors.Is(err, bv.ErrorIndexPathDoesNotExist) {
		ix, err = bv.NewUsing(path, newMapping(), bv.Config.DefaultIndexType, bv.Config.DefaultKVStore, cfg)
	}
	if err != nil {
		if strings.Contains(err.Error(), "timeout") {
			return nil, fmt.Errorf("bleve index %s is in use by another process (is `portico serve` running on this data directory?): %w", path, err)
		}
		return nil, fmt.Errorf("bleve index %s: %w", path, err)
	}
	return &Index{path: path, ix: ix}, nil
}

// Describe implements search.Index.
func (x *Index) Describe() string { return "bleve " + x.path }

// Close implements search.Index.
func (x *Index) Close() error { return x.ix.Close() }

// Field names inside the bleve documents.
const (
	fName     = "name"
	fTitle    = "title"
	fText     = "text"
	fKeywords = "keywords"
	fExact    = "name_exact"
	fAll      = "all" // name, title, text and keywords together: typo and prefix matching
	fHas      = "f_has"
	fSrc      = "src"
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
	for _, name := range []string{fName, fTitle, fText, fKeywords, fAll} {
		dm.AddFieldMappingsAt(name, text("words"))
	}
	dm.AddFieldMappingsAt(fExact, text("exact"))
	for _, field := range append(search.FilterFields, "has") {
		f := text(keyword.Name)
		f.DocValues = true // facets
		dm.AddFieldMappingsAt("f_"+field, f)
	}
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
	m := map[string]any{
		fName: d.Name, fTitle: d.Title, fText: d.Text, fKeywords: d.Keywords,
		fExact: d.Name, fSrc: string(src), fAll: d.Name + " " + d.Title + " " + d.Text + " " + d.Keywords,
	}
	fv := search.FilterValues(d)
	has := make([]string, 0, len(fv))
	for field, vs := range fv {
		m["f_"+field] = vs
		has = append(has, field)
	}
	sort.Strings(has)
	m[fHas] = has
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

// Search implements search.Index.
func (x *Index) Search(ctx context.Context, q search.Query) (search.Result, error) {
	cond, err := search.QueryCond(q)
	if err != nil {
		return search.Result{}, err
	}
	for _, f := range q.Facets {
		if err := search.ValidFacet(f); err != nil {
			return search.Result{}, err
		}
	}
	if q.Offset < 0 {
		return search.Result{}, catalog.Inputf("search offset %d must not be negative", q.Offset)
	}
	main := termQuery(q.Term)
	filter := condQuery(cond)
	var full query.Query = main
	if _, all := filter.(*query.MatchAllQuery); !all {
		full = bv.NewConjunctionQuery(main, filter)
	}
	req := bv.NewSearchRequestOptions(full, search.ClampLimit(q.Limit), q.Offset, false)
	req.Fields = []string{fSrc}
	// Score order (bleve breaks ties by internal doc number, stable within a
	// snapshot); an _id tiebreak would load every candidate's id.
	for _, f := range q.Facets {
		req.AddFacet(f, bv.NewFacetRequest("f_"+f, 50))
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
			sort.SliceStable(counts, func(i, j int) bool {
				if counts[i].Count != counts[j].Count {
					return counts[i].Count > counts[j].Count
				}
				return counts[i].Value < counts[j].Value
			})
			out.Facets[f] = counts
		}
	}
	return out, nil
}
