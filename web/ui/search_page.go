package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// Searcher answers the search page; search.Index satisfies it. The portal
// calls it in process with the reader's permission filter ANDed in, the
// same way /api/search/query does.
type Searcher interface {
	Search(ctx context.Context, q search.Query) (search.Result, error)
}

// searchFacet is one filter of the search page: its URL parameter
// (filters[Param]), the catalog filter key the index translates and the
// index field whose values are counted.
type searchFacet struct {
	Param, Key, Field, Label string
}

var searchFacets = []searchFacet{
	{"kind", "kind", search.FieldKind, "Kind"},
	{"type", "spec.type", search.FieldType, "Type"},
	{"owner", "owner", search.FieldOwner, "Owner"},
	{"lifecycle", "spec.lifecycle", search.FieldLifecycle, "Lifecycle"},
	{"tags", "metadata.tags", search.FieldTags, "Tags"},
	{"namespace", "metadata.namespace", search.FieldNamespace, "Namespace"},
}

// searchState is the whole state of the search page, all of it in the URL:
// term, types, filters[<facet>] and page (1-based).
type searchState struct {
	Term     string
	Types    []string
	Selected map[string][]string
	Page     int
}

func readSearchState(c *fiber.Ctx) (searchState, error) {
	s := searchState{Selected: map[string][]string{}, Page: 1}
	args := c.Context().QueryArgs()
	s.Term = strings.TrimSpace(string(args.Peek("term")))
	if len(s.Term) > 100 {
		return s, catalog.Inputf("the search term is longer than 100 characters")
	}
	for _, v := range args.PeekMulti("types") {
		if t := strings.TrimSpace(string(v)); t != "" {
			s.Types = append(s.Types, t)
		}
	}
	for _, f := range searchFacets {
		for _, v := range args.PeekMulti("filters[" + f.Param + "]") {
			if sv := strings.TrimSpace(string(v)); sv != "" {
				s.Selected[f.Param] = append(s.Selected[f.Param], sv)
			}
		}
	}
	if p := string(args.Peek("page")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 500 {
			return s, catalog.Inputf("page must be a number from 1 to 500, got %q", p)
		}
		s.Page = n
	}
	return s, nil
}

// URL builds a search URL from the state with changes; the page is reset
// unless set by the change.
func (s searchState) URL(change func(v url.Values)) string {
	v := url.Values{}
	if s.Term != "" {
		v.Set("term", s.Term)
	}
	for _, t := range s.Types {
		v.Add("types", t)
	}
	for _, f := range searchFacets {
		for _, x := range s.Selected[f.Param] {
			v.Add("filters["+f.Param+"]", x)
		}
	}
	if change != nil {
		change(v)
	}
	return "/search?" + v.Encode()
}

// filter is the selected facets as a catalog filter, except one facet (for
// that facet's own counts).
func (s searchState) filter(except string) catalog.Filter {
	var parts []catalog.Filter
	for _, f := range searchFacets {
		if f.Param != except && len(s.Selected[f.Param]) > 0 {
			parts = append(parts, catalog.Eq(f.Key, s.Selected[f.Param]...))
		}
	}
	return catalog.AllOf(parts...)
}

type searchHit struct {
	Title, Text            template.HTML // escaped, with <mark> around matched words
	URL                    string
	Type, Kind, EntityType string
	Owner, Lifecycle       string
	Ref                    string
	Rank                   int
}

type searchPageData struct {
	base
	Term       string
	Configured bool
	Err        string
	Hits       []searchHit
	Total      int
	Facets     []facetView
	TypeFacet  *facetView
	Next, Prev string
	From, To   int
	ClearURL   string
	Filtering  bool
	ListURL    string // the catalog list's text filter for the same term
}

func (u *UI) searchPage(c *fiber.Ctx) error {
	s, err := readSearchState(c)
	if err != nil {
		return err
	}
	d := searchPageData{base: u.baseFor(c, "Search", "search"), Term: s.Term, Configured: u.opts.Search != nil}
	d.Query = s.Term
	if s.Term != "" {
		d.Title = "Search: " + s.Term
		d.ListURL = "/catalog?" + url.Values{"q": {s.Term}}.Encode()
	}
	d.ClearURL = searchState{Term: s.Term, Selected: map[string][]string{}}.URL(nil)
	d.Filtering = len(s.Types) > 0 || len(s.Selected) > 0
	if u.opts.Search == nil {
		return u.render(c, "search", d)
	}
	perm, err := u.filter(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	q := search.Query{Term: s.Term, Types: s.Types, Filter: catalog.And(perm, s.filter("")),
		Offset: (s.Page - 1) * u.opts.PageSize, Limit: u.opts.PageSize}
	// One query answers the page and the counts of every facet nobody
	// selected; a selected facet is counted without its own selection, so
	// its other values stay reachable.
	for _, f := range searchFacets {
		if len(s.Selected[f.Param]) == 0 {
			q.Facets = append(q.Facets, f.Field)
		}
	}
	if len(s.Types) == 0 {
		q.Facets = append(q.Facets, search.FieldDocType)
	}
	res, err := u.opts.Search.Search(ctx, q)
	if err != nil {
		var in *catalog.InputError
		if errors.As(err, &in) {
			return err
		}
		u.log.ErrorContext(ctx, "search page", "err", err)
		d.Err = "The search index could not answer. Try again in a moment."
		c.Status(fiber.StatusServiceUnavailable)
		return u.render(c, "search", d)
	}
	counts := res.Facets
	if counts == nil {
		counts = map[string][]catalog.FacetCount{}
	}
	for _, f := range searchFacets {
		if len(s.Selected[f.Param]) == 0 {
			continue
		}
		r, err := u.opts.Search.Search(ctx, search.Query{Term: s.Term, Types: s.Types, Filter: catalog.And(perm, s.filter(f.Param)),
			Facets: []string{f.Field}, Limit: 1})
		if err != nil {
			return fmt.Errorf("search facet %s: %w", f.Param, err)
		}
		counts[f.Field] = r.Facets[f.Field]
	}
	if len(s.Types) > 0 {
		r, err := u.opts.Search.Search(ctx, search.Query{Term: s.Term, Filter: q.Filter, Facets: []string{search.FieldDocType}, Limit: 1})
		if err != nil {
			return fmt.Errorf("search types: %w", err)
		}
		counts[search.FieldDocType] = r.Facets[search.FieldDocType]
	}
	d.Total = res.Total
	for i, h := range res.Hits {
		d.Hits = append(d.Hits, hitView(s.Term, h.Doc, q.Offset+i+1))
	}
	if len(d.Hits) > 0 {
		d.From, d.To = q.Offset+1, q.Offset+len(d.Hits)
	}
	if q.Offset+len(res.Hits) < res.Total {
		d.Next = s.URL(func(v url.Values) { v.Set("page", strconv.Itoa(s.Page+1)) })
	}
	if s.Page > 1 {
		d.Prev = s.URL(func(v url.Values) {
			if s.Page > 2 {
				v.Set("page", strconv.Itoa(s.Page-1))
			}
		})
	}
	d.Facets = searchFacetViews(s, counts)
	d.TypeFacet = typeFacetView(s, counts[search.FieldDocType])
	return u.render(c, "search", d)
}

func hitView(term string, doc search.Document, rank int) searchHit {
	h := searchHit{URL: safeURL(doc.Location), Type: doc.Type, Kind: doc.Kind, EntityType: doc.EntityType,
		Owner: doc.Owner, Lifecycle: doc.Lifecycle, Ref: doc.Ref, Rank: rank}
	title := doc.Title
	if title == "" {
		title = doc.Name
	}
	h.Title = highlightHTML(term, title, 0)
	h.Text = highlightHTML(term, doc.Text, 280)
	return h
}

// searchFacetViews turns the facet counts into links that add or remove
// one value.
func searchFacetViews(s searchState, counts map[string][]catalog.FacetCount) []facetView {
	var out []facetView
	for _, f := range searchFacets {
		key := "filters[" + f.Param + "]"
		fv := facetViewOf(f.Param, f.Label, counts[f.Field], s.Selected[f.Param], maxFacetValues, func(val string, sel bool) string {
			return s.URL(toggle(key, val, sel))
		})
		if len(fv.Values) > 0 {
			out = append(out, fv)
		}
	}
	return out
}

func typeFacetView(s searchState, fc []catalog.FacetCount) *facetView {
	fv := facetViewOf("types", "Type of result", fc, s.Types, len(fc), func(val string, sel bool) string {
		return s.URL(toggle("types", val, sel))
	})
	if len(fv.Values) == 0 {
		return nil
	}
	return &fv
}

// facetViewOf turns one facet's counts into links, most frequent first: at
// most limit unselected values (the rest are counted in More), and every
// selected one, also one without results under the other filters, so it
// can be removed. link makes the URL that toggles a value.
func facetViewOf(param, label string, counts []catalog.FacetCount, selected []string, limit int, link func(val string, selected bool) string) facetView {
	fc := append([]catalog.FacetCount(nil), counts...)
	sortFacetCounts(fc)
	sel := map[string]bool{}
	for _, x := range selected {
		sel[strings.ToLower(x)] = true
	}
	fv := facetView{Param: param, Label: label}
	for i, x := range fc {
		isSel := sel[strings.ToLower(x.Value)]
		if i >= limit && !isSel {
			fv.More++
			continue
		}
		delete(sel, strings.ToLower(x.Value))
		fv.Values = append(fv.Values, facetValue{Value: x.Value, Count: x.Count, Selected: isSel, URL: link(x.Value, isSel)})
	}
	for _, x := range selected {
		if sel[strings.ToLower(x)] {
			delete(sel, strings.ToLower(x))
			fv.Values = append(fv.Values, facetValue{Value: x, Selected: true, URL: link(x, true)})
		}
	}
	return fv
}

// toggle adds val to the URL parameter key, or removes it when selected.
func toggle(key, val string, selected bool) func(v url.Values) {
	return func(v url.Values) {
		cur := v[key]
		v.Del(key)
		for _, y := range cur {
			if !selected || !strings.EqualFold(y, val) {
				v.Add(key, y)
			}
		}
		if !selected {
			v.Add(key, val)
		}
	}
}

func sortFacetCounts(fc []catalog.FacetCount) {
	sort.SliceStable(fc, func(i, j int) bool {
		if fc[i].Count != fc[j].Count {
			return fc[i].Count > fc[j].Count
		}
		return strings.ToLower(fc[i].Value) < strings.ToLower(fc[j].Value)
	})
}
