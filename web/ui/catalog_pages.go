package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

// facet is one filter of the catalog list: its URL parameter and token key.
type facet struct {
	Param, Key, Label string
}

var facets = []facet{
	{"kind", "kind", "Kind"},
	{"type", "spec.type", "Type"},
	{"owner", "spec.owner", "Owner"},
	{"lifecycle", "spec.lifecycle", "Lifecycle"},
	{"tag", "metadata.tags", "Tags"},
	{"namespace", "metadata.namespace", "Namespace"},
}

// textFields are matched by the list's text filter.
var textFields = []string{"metadata.name", "metadata.title", "metadata.description"}

// sorts are the list's sort options: URL value → order.
var sorts = []struct {
	Value, Label string
	Order        catalog.Order
}{
	{"name", "Name (A–Z)", catalog.Order{Field: "metadata.name"}},
	{"-name", "Name (Z–A)", catalog.Order{Field: "metadata.name", Desc: true}},
	{"title", "Title", catalog.Order{Field: "metadata.title"}},
	{"kind", "Kind", catalog.Order{Field: "kind"}},
	{"owner", "Owner", catalog.Order{Field: "spec.owner"}},
	{"lifecycle", "Lifecycle", catalog.Order{Field: "spec.lifecycle"}},
}

// listState is the whole state of the catalog list, all of it in the URL.
type listState struct {
	Selected map[string][]string // facet param → values
	Q        string
	Sort     string
	After    string
	Before   string
}

func readListState(c *fiber.Ctx) listState {
	s := listState{Selected: map[string][]string{}, Q: strings.TrimSpace(c.Query("q")), Sort: c.Query("sort", "name"),
		After: c.Query("after"), Before: c.Query("before")}
	args := c.Context().QueryArgs()
	for _, f := range facets {
		for _, v := range args.PeekMulti(f.Param) {
			if sv := strings.TrimSpace(string(v)); sv != "" {
				s.Selected[f.Param] = append(s.Selected[f.Param], sv)
			}
		}
	}
	return s
}

// URL builds a list URL from the state with changes; paging is reset unless
// set by the change.
func (s listState) URL(change func(v url.Values)) string {
	v := url.Values{}
	for _, f := range facets {
		for _, x := range s.Selected[f.Param] {
			v.Add(f.Param, x)
		}
	}
	if s.Q != "" {
		v.Set("q", s.Q)
	}
	if s.Sort != "" && s.Sort != "name" {
		v.Set("sort", s.Sort)
	}
	if change != nil {
		change(v)
	}
	if len(v) == 0 {
		return "/catalog"
	}
	return "/catalog?" + v.Encode()
}

func (s listState) filter(except string) catalog.Filter {
	var parts []catalog.Filter
	for _, f := range facets {
		if f.Param == except || len(s.Selected[f.Param]) == 0 {
			continue
		}
		parts = append(parts, catalog.Eq(f.Key, s.Selected[f.Param]...))
	}
	return catalog.AllOf(parts...)
}

// EncodePosition and DecodePosition put a keyset cursor in a URL.
func EncodePosition(p *catalog.Position) string {
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePosition reverses EncodePosition.
func DecodePosition(s string) (*catalog.Position, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, catalog.Inputf("invalid cursor: %v", err)
	}
	var p catalog.Position
	if err := json.Unmarshal(b, &p); err != nil || p.Ref == "" {
		return nil, catalog.Inputf("invalid cursor")
	}
	return &p, nil
}

type facetValue struct {
	Value, URL string
	Count      int
	Selected   bool
}

type facetView struct {
	Param, Label string
	Values       []facetValue
	More         int
}

type listRow struct {
	*entityView
}

type sortOption struct {
	Value, Label string
	Selected     bool
}

func (u *UI) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	s := readListState(c)
	perm, err := u.filter(c)
	if err != nil {
		return err
	}
	q := catalog.Query{Filter: catalog.And(perm, s.filter("")), Limit: u.opts.PageSize, CountTotal: true}
	order := sorts[0].Order
	for _, so := range sorts {
		if so.Value == s.Sort {
			order = so.Order
		}
	}
	q.Order = []catalog.Order{order}
	if s.Q != "" {
		// The fields a reader types words of; type, owner and tags have facets.
		// Each field costs a scan in the store, so the list stays short.
		q.FullText = &catalog.FullText{Term: s.Q, Fields: textFields}
	}
	if s.After != "" {
		if q.After, err = DecodePosition(s.After); err != nil {
			return err
		}
	} else if s.Before != "" {
		if q.Before, err = DecodePosition(s.Before); err != nil {
			return err
		}
	}
	page, err := u.opts.Store.QueryEntities(ctx, q)
	if err != nil {
		return fmt.Errorf("catalog list: %w", err)
	}
	var rows []listRow
	for _, r := range page.Items {
		v, err := viewOf(r)
		if err != nil {
			continue
		}
		rows = append(rows, listRow{v})
	}
	fv, err := u.facetViews(c, s, perm)
	if err != nil {
		return err
	}
	var next, prev string
	if page.HasMore && page.Last != nil {
		last := EncodePosition(page.Last)
		next = s.URL(func(v url.Values) { v.Set("after", last) })
	}
	if page.HasPrev && page.First != nil {
		first := EncodePosition(page.First)
		prev = s.URL(func(v url.Values) { v.Set("before", first) })
	}
	var sortOpts []sortOption
	for _, so := range sorts {
		sortOpts = append(sortOpts, sortOption{so.Value, so.Label, so.Value == s.Sort})
	}
	var hidden []kv
	for _, f := range facets {
		for _, x := range s.Selected[f.Param] {
			hidden = append(hidden, kv{f.Param, x})
		}
	}
	return u.render(c, "list", struct {
		base
		Rows      []listRow
		Total     int
		Facets    []facetView
		Sorts     []sortOption
		Next      string
		Prev      string
		ClearURL  string
		Hidden    []kv
		Filtering bool
		Q         string
	}{
		base: listBase(u.baseFor(c, "Catalog", "catalog"), s.Q),
		Rows: rows, Total: page.TotalItems, Facets: fv, Sorts: sortOpts, Next: next, Prev: prev,
		ClearURL: listState{Selected: map[string][]string{}}.URL(nil), Hidden: hidden,
		Filtering: s.Q != "" || len(s.Selected) > 0, Q: s.Q,
	})
}

// maxFacetValues is how many values of one facet the list shows.
const maxFacetValues = 12

// facetViews counts each facet's values under the other facets' selections,
// so choosing a kind still shows the other kinds to switch to.
func (u *UI) facetViews(c *fiber.Ctx, s listState, perm catalog.Filter) ([]facetView, error) {
	ctx := c.UserContext()
	var unselected []string
	for _, f := range facets {
		if len(s.Selected[f.Param]) == 0 {
			unselected = append(unselected, f.Key)
		}
	}
	counts := map[string][]catalog.FacetCount{}
	if len(unselected) > 0 {
		m, err := u.opts.Store.Facets(ctx, catalog.And(perm, s.filter("")), unselected)
		if err != nil {
			return nil, fmt.Errorf("catalog facets: %w", err)
		}
		for k, v := range m {
			counts[k] = v
		}
	}
	for _, f := range facets {
		if len(s.Selected[f.Param]) == 0 {
			continue
		}
		m, err := u.opts.Store.Facets(ctx, catalog.And(perm, s.filter(f.Param)), []string{f.Key})
		if err != nil {
			return nil, fmt.Errorf("catalog facet %s: %w", f.Key, err)
		}
		counts[f.Key] = m[f.Key]
	}
	var out []facetView
	for _, f := range facets {
		fv := facetViewOf(f.Param, f.Label, counts[f.Key], s.Selected[f.Param], maxFacetValues, func(val string, sel bool) string {
			return s.URL(toggle(f.Param, val, sel))
		})
		if len(fv.Values) > 0 {
			out = append(out, fv)
		}
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

// listBase shows the list's text filter in the header box when the box
// feeds the list (no search index); with a search page it stays empty.
func listBase(b base, q string) base {
	if b.SearchAction == "/catalog" {
		b.Query = q
	}
	return b
}
