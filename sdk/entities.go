package sdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// Filter is GET-style entity filtering (REFERENCE.md §2.3): the sets are ORed.
type Filter []FilterSet

// FilterSet is one filter set: every key must match (AND); a key matches when
// it has any of its values (OR), or, with no values, when it exists.
//
// Ex. FilterSet{"kind": {"component"}, "spec.type": {"service", "website"}, "spec.owner": nil}
type FilterSet map[string][]string

// params encodes the filter as repeated `filter=` values, keys in sorted order.
func (f Filter) params() []string {
	var out []string
	for _, set := range f {
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			if len(set[k]) == 0 {
				parts = append(parts, k)
				continue
			}
			for _, v := range set[k] {
				parts = append(parts, k+"="+v)
			}
		}
		if len(parts) > 0 {
			out = append(out, strings.Join(parts, ","))
		}
	}
	return out
}

// Predicate is a filter predicate for the POST routes' `query`
// (`{"kind": "component", "spec.type": {"$in": ["service"]}}`, $all, $any, $not…).
type Predicate map[string]any

// Order sorts by a dotted field.
type Order struct {
	Field string
	Desc  bool
}

func (o Order) dir() string {
	if o.Desc {
		return "desc"
	}
	return "asc"
}

// GetEntitiesRequest is GET /entities. Limit 0 means no paging (every match).
type GetEntitiesRequest struct {
	Filter Filter
	Fields []string
	Order  []Order
	Offset int
	Limit  int
	After  string // from GetEntitiesResponse.NextAfter
}

// GetEntitiesResponse is one GET /entities answer.
type GetEntitiesResponse struct {
	Items []*catalog.Entity
	// NextAfter continues paging (from the Link header); empty on the last page.
	NextAfter string
}

var linkAfter = regexp.MustCompile(`<([^>]*)>;\s*rel="next"`)

// GetEntities lists entities.
func (c *Client) GetEntities(ctx context.Context, req GetEntitiesRequest) (*GetEntitiesResponse, error) {
	q := url.Values{}
	for _, f := range req.Filter.params() {
		q.Add("filter", f)
	}
	if len(req.Fields) > 0 {
		q.Set("fields", strings.Join(req.Fields, ","))
	}
	for _, o := range req.Order {
		q.Add("order", o.dir()+":"+o.Field)
	}
	if req.Offset > 0 {
		q.Set("offset", strconv.Itoa(req.Offset))
	}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	if req.After != "" {
		q.Set("after", req.After)
	}
	u := c.catalogURL("/entities", q)
	resp, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := &GetEntitiesResponse{}
	if err := json.NewDecoder(resp.Body).Decode(&out.Items); err != nil {
		return nil, &decodeError{"GET", u, err}
	}
	if m := linkAfter.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
		if lu, err := url.Parse(m[1]); err == nil {
			out.NextAfter = lu.Query().Get("after")
		}
	}
	return out, nil
}

// FullText is a case-insensitive substring search over Fields (default: the
// sort field, else metadata.uid, as Backstage).
type FullText struct {
	Term   string
	Fields []string
}

// QueryEntitiesRequest is /entities/by-query. A request with Cursor continues
// a previous one; then only Limit and Fields apply. Query (a predicate) sends
// a POST; otherwise Filter is sent with GET.
type QueryEntitiesRequest struct {
	Filter       Filter
	Query        Predicate
	Fields       []string
	Limit        int // 0: the server's default (200)
	Offset       int
	OrderBy      []Order // only the first is used
	FullText     *FullText
	ExcludeTotal bool // skip counting totalItems
	Cursor       string
}

// QueryEntitiesResponse is one page.
type QueryEntitiesResponse struct {
	Items      []*catalog.Entity `json:"items"`
	TotalItems int               `json:"totalItems"` // 0 when ExcludeTotal
	PageInfo   struct {
		NextCursor string `json:"nextCursor,omitempty"`
		PrevCursor string `json:"prevCursor,omitempty"`
	} `json:"pageInfo"`
}

// cursorHasQuery reports whether a cursor came from a predicate query (it must
// continue with POST), decoding it as the Backstage client does.
func cursorHasQuery(cursor string) bool {
	raw, err := base64.StdEncoding.DecodeString(cursor)
	if err != nil {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	_, ok := m["query"]
	return ok
}

// QueryEntities fetches one page.
func (c *Client) QueryEntities(ctx context.Context, req QueryEntitiesRequest) (*QueryEntitiesResponse, error) {
	var out QueryEntitiesResponse
	if (req.Cursor == "" && req.Query != nil) || (req.Cursor != "" && cursorHasQuery(req.Cursor)) {
		body := map[string]any{}
		if req.Cursor != "" {
			body["cursor"] = req.Cursor
		} else {
			query := map[string]any(req.Query)
			if fp := req.Filter.predicate(); fp != nil {
				query = map[string]any{"$all": []any{req.Query, fp}}
			}
			body["query"] = query
			if req.Offset > 0 {
				body["offset"] = req.Offset
			}
			if len(req.OrderBy) > 0 {
				ob := make([]map[string]string, len(req.OrderBy))
				for i, o := range req.OrderBy {
					ob[i] = map[string]string{"field": o.Field, "order": o.dir()}
				}
				body["orderBy"] = ob
			}
			if req.FullText != nil {
				body["fullTextFilter"] = map[string]any{"term": req.FullText.Term, "fields": req.FullText.Fields}
			}
			if req.ExcludeTotal {
				body["totalItems"] = "exclude"
			}
		}
		if req.Limit > 0 {
			body["limit"] = req.Limit
		}
		if len(req.Fields) > 0 {
			body["fields"] = req.Fields
		}
		err := c.doJSON(ctx, http.MethodPost, c.catalogURL("/entities/by-query", nil), body, &out)
		return &out, err
	}
	q := url.Values{}
	if req.Cursor != "" {
		q.Set("cursor", req.Cursor)
	} else {
		for _, f := range req.Filter.params() {
			q.Add("filter", f)
		}
		if req.Offset > 0 {
			q.Set("offset", strconv.Itoa(req.Offset))
		}
		for _, o := range req.OrderBy {
			q.Add("orderField", o.Field+","+o.dir())
		}
		if req.FullText != nil && strings.TrimSpace(req.FullText.Term) != "" {
			q.Set("fullTextFilterTerm", strings.TrimSpace(req.FullText.Term))
			if len(req.FullText.Fields) > 0 {
				q.Set("fullTextFilterFields", strings.Join(req.FullText.Fields, ","))
			}
		}
		if req.ExcludeTotal {
			q.Set("totalItems", "exclude")
		}
	}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	if len(req.Fields) > 0 {
		q.Set("fields", strings.Join(req.Fields, ","))
	}
	err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/entities/by-query", q), nil, &out)
	return &out, err
}

// predicate converts a Filter to the predicate form, for combining with a Query.
func (f Filter) predicate() map[string]any {
	var clauses []any
	for _, set := range f {
		var parts []any
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch vs := set[k]; len(vs) {
			case 0:
				parts = append(parts, map[string]any{k: map[string]any{"$exists": true}})
			case 1:
				parts = append(parts, map[string]any{k: vs[0]})
			default:
				parts = append(parts, map[string]any{k: map[string]any{"$in": vs}})
			}
		}
		switch len(parts) {
		case 0:
		case 1:
			clauses = append(clauses, parts[0])
		default:
			clauses = append(clauses, map[string]any{"$all": parts})
		}
	}
	switch len(clauses) {
	case 0:
		return nil
	case 1:
		return clauses[0].(map[string]any)
	}
	return map[string]any{"$any": clauses}
}

// EntityPages iterates over every page of a query, following nextCursor.
// Iteration stops after the first error, which is yielded.
func (c *Client) EntityPages(ctx context.Context, req QueryEntitiesRequest) iter.Seq2[*QueryEntitiesResponse, error] {
	return func(yield func(*QueryEntitiesResponse, error) bool) {
		for {
			page, err := c.QueryEntities(ctx, req)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || page.PageInfo.NextCursor == "" {
				return
			}
			req = QueryEntitiesRequest{Cursor: page.PageInfo.NextCursor, Limit: req.Limit, Fields: req.Fields}
		}
	}
}

// Entities iterates over every entity a query matches, page by page.
//
// Ex.
//
//	for e, err := range c.Entities(ctx, sdk.QueryEntitiesRequest{Limit: 500}) { ... }
func (c *Client) Entities(ctx context.Context, req QueryEntitiesRequest) iter.Seq2[*catalog.Entity, error] {
	return func(yield func(*catalog.Entity, error) bool) {
		for page, err := range c.EntityPages(ctx, req) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, e := range page.Items {
				if !yield(e, nil) {
					return
				}
			}
		}
	}
}
