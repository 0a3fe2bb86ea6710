package ui

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
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
	As       string
}

func readListState(c *fiber.Ctx) listState {
	s := listState{Selected: map[string][]string{}, Q: strings.TrimSpace(c.Query("q")), Sort: c.Query("sort", "name"),
		After: c.Query("after"), Before: c.Query("before"), As: c.Query("as")}
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
	if s.As != "" {
		v.Set("as", s.As)
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
	if s.As != "" {
		hidden = append(hidden, kv{"as", s.As})
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
	}{
		base: base{Title: "Catalog", Nav: "catalog", User: identity(c), Query: s.Q},
		Rows: rows, Total: page.TotalItems, Facets: fv, Sorts: sortOpts, Next: next, Prev: prev,
		ClearURL: listState{Selected: map[string][]string{}, As: s.As}.URL(nil), Hidden: hidden,
		Filtering: s.Q != "" || len(s.Selected) > 0,
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
		fc := append([]catalog.FacetCount(nil), counts[f.Key]...)
		sort.SliceStable(fc, func(i, j int) bool {
			if fc[i].Count != fc[j].Count {
				return fc[i].Count > fc[j].Count
			}
			return strings.ToLower(fc[i].Value) < strings.ToLower(fc[j].Value)
		})
		sel := map[string]bool{}
		for _, x := range s.Selected[f.Param] {
			sel[strings.ToLower(x)] = true
		}
		fv := facetView{Param: f.Param, Label: f.Label}
		for i, x := range fc {
			isSel := sel[strings.ToLower(x.Value)]
			if i >= maxFacetValues && !isSel {
				fv.More++
				continue
			}
			param, val := f.Param, x.Value
			link := s.URL(func(v url.Values) {
				cur := v[param]
				v.Del(param)
				if isSel {
					for _, y := range cur {
						if !strings.EqualFold(y, val) {
							v.Add(param, y)
						}
					}
				} else {
					for _, y := range cur {
						v.Add(param, y)
					}
					v.Add(param, val)
				}
			})
			fv.Values = append(fv.Values, facetValue{Value: x.Value, Count: x.Count, Selected: isSel, URL: link})
		}
		if len(fv.Values) > 0 {
			out = append(out, fv)
		}
	}
	return out, nil
}

// home: search, my entities, recently changed, catalog health.
func (u *UI) home(c *fiber.Ctx) error {
	ctx := c.UserContext()
	perm, err := u.filter(c)
	if err != nil {
		return err
	}
	h, err := u.opts.Store.Health(ctx)
	if err != nil {
		return fmt.Errorf("catalog health: %w", err)
	}
	user := identity(c)
	var mine []*entityView
	var groups []string
	if user != "" {
		owners := []string{user}
		if rec, err := u.opts.Store.EntityByRef(ctx, user, perm); err == nil {
			if v, err := viewOf(rec); err == nil {
				groups = v.RelTargets(catalog.RelationMemberOf)
				owners = append(owners, groups...)
			}
		}
		page, err := u.opts.Store.QueryEntities(ctx, catalog.Query{
			Filter: catalog.And(perm, catalog.Eq("relations.ownedby", owners...)),
			Order:  []catalog.Order{{Field: "metadata.name"}}, Limit: 20,
		})
		if err != nil {
			return fmt.Errorf("owned entities: %w", err)
		}
		for _, r := range page.Items {
			if v, err := viewOf(r); err == nil {
				mine = append(mine, v)
			}
		}
	}
	recentAll, err := u.opts.Store.Locations(ctx)
	if err != nil {
		return fmt.Errorf("locations: %w", err)
	}
	recent := recentLocations(recentAll)
	// Entity processing errors live in status, which is not indexed for
	// filtering; the health panel links to the failing locations instead.
	var failing []catalog.Location
	for _, l := range recentAll {
		if len(l.Errors) > 0 {
			failing = append(failing, l)
		}
	}
	score := 100
	if h.Entities > 0 {
		score = 100 - (100*(h.WithErrors+h.Orphans)+h.Entities-1)/h.Entities
	}
	return u.render(c, "home", struct {
		base
		Health  catalog.Health
		Score   int
		Mine    []*entityView
		Groups  []string
		Recent  []catalog.Location
		Failing []catalog.Location
		As      string
	}{base{Title: "Home", Nav: "home", User: user}, h, max(score, 0), mine, groups, recent, failing, c.Query("as")})
}

// recentLocations orders locations by their last refresh, newest first. The
// Store interface exposes no per-entity change time, so "recently changed" is
// shown at the granularity the store records: the location refresh.
func recentLocations(all []catalog.Location) []catalog.Location {
	locs := append([]catalog.Location(nil), all...)
	sort.SliceStable(locs, func(i, j int) bool { return locs[i].RefreshedAt.After(locs[j].RefreshedAt) })
	if len(locs) > 8 {
		locs = locs[:8]
	}
	return locs
}

func itoa(n int) string { return strconv.Itoa(n) }
