package sdk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/portico-dev/portico/catalog"
)

// decodeError is a response the client could not read.
type decodeError struct {
	method, url string
	err         error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("sdk: decode %s %s: %v", e.method, e.url, e.err)
}

func (e *decodeError) Unwrap() error { return e.err }

// refPath turns "kind:ns/name" into /kind/ns/name, path-escaped.
func refPath(ref string) (string, error) {
	r, err := catalog.ParseRef(ref, catalog.RefContext{})
	if err != nil {
		return "", fmt.Errorf("sdk: %w", err)
	}
	return "/" + url.PathEscape(r.Kind) + "/" + url.PathEscape(r.Namespace) + "/" + url.PathEscape(r.Name), nil
}

// GetEntityByRef returns one entity; a missing one is an error matching ErrNotFound.
func (c *Client) GetEntityByRef(ctx context.Context, ref string) (*catalog.Entity, error) {
	p, err := refPath(ref)
	if err != nil {
		return nil, err
	}
	var e catalog.Entity
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/entities/by-name"+p, nil), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// GetEntityByUID returns one entity by metadata.uid.
func (c *Client) GetEntityByUID(ctx context.Context, uid string) (*catalog.Entity, error) {
	var e catalog.Entity
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/entities/by-uid/"+url.PathEscape(uid), nil), nil, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// GetEntitiesByRefsRequest is POST /entities/by-refs.
type GetEntitiesByRefsRequest struct {
	Refs   []string
	Fields []string
	Filter Filter
	Query  Predicate
}

// maxRefsPerRequest matches the Backstage client's chunking.
const maxRefsPerRequest = 1000

// GetEntitiesByRefs returns the entities in the order of Refs, nil where a ref
// is missing or filtered out. Long lists are sent in chunks.
func (c *Client) GetEntitiesByRefs(ctx context.Context, req GetEntitiesByRefsRequest) ([]*catalog.Entity, error) {
	out := make([]*catalog.Entity, 0, len(req.Refs))
	q := url.Values{}
	var query map[string]any
	if req.Query != nil {
		query = req.Query
		if fp := req.Filter.predicate(); fp != nil {
			query = map[string]any{"$all": []any{map[string]any(req.Query), fp}}
		}
	} else {
		for _, f := range req.Filter.params() {
			q.Add("filter", f)
		}
	}
	for start := 0; start < len(req.Refs) || start == 0; start += maxRefsPerRequest {
		end := min(start+maxRefsPerRequest, len(req.Refs))
		body := map[string]any{"entityRefs": req.Refs[start:end]}
		if len(req.Fields) > 0 {
			body["fields"] = req.Fields
		}
		if query != nil {
			body["query"] = query
		}
		var resp struct {
			Items []*catalog.Entity `json:"items"`
		}
		if err := c.doJSON(ctx, http.MethodPost, c.catalogURL("/entities/by-refs", q), body, &resp); err != nil {
			return nil, err
		}
		out = append(out, resp.Items...)
		if end >= len(req.Refs) {
			break
		}
	}
	return out, nil
}

// FacetsRequest is /entity-facets; a Query sends a POST.
type FacetsRequest struct {
	Facets []string
	Filter Filter
	Query  Predicate
}

// GetEntityFacets counts the values of each facet, keyed by the facet as given.
func (c *Client) GetEntityFacets(ctx context.Context, req FacetsRequest) (map[string][]catalog.FacetCount, error) {
	var resp struct {
		Facets map[string][]catalog.FacetCount `json:"facets"`
	}
	if req.Query != nil {
		query := map[string]any(req.Query)
		if fp := req.Filter.predicate(); fp != nil {
			query = map[string]any{"$all": []any{query, fp}}
		}
		body := map[string]any{"facets": req.Facets, "query": query}
		if err := c.doJSON(ctx, http.MethodPost, c.catalogURL("/entity-facets", nil), body, &resp); err != nil {
			return nil, err
		}
		return resp.Facets, nil
	}
	q := url.Values{}
	for _, f := range req.Facets {
		q.Add("facet", f)
	}
	for _, f := range req.Filter.params() {
		q.Add("filter", f)
	}
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/entity-facets", q), nil, &resp); err != nil {
		return nil, err
	}
	return resp.Facets, nil
}

// Ancestry is an entity's processing ancestry.
type Ancestry struct {
	RootEntityRef string         `json:"rootEntityRef"`
	Items         []AncestryItem `json:"items"`
}

// AncestryItem is one entity of the ancestry and the refs of its parents.
type AncestryItem struct {
	Entity           *catalog.Entity `json:"entity"`
	ParentEntityRefs []string        `json:"parentEntityRefs"`
}

// GetEntityAncestors returns which location or entity emitted ref, up to the root.
func (c *Client) GetEntityAncestors(ctx context.Context, ref string) (*Ancestry, error) {
	p, err := refPath(ref)
	if err != nil {
		return nil, err
	}
	var a Ancestry
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/entities/by-name"+p+"/ancestry", nil), nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// RefreshEntity schedules an immediate refresh of the entity and its location.
func (c *Client) RefreshEntity(ctx context.Context, ref string) error {
	return c.doJSON(ctx, http.MethodPost, c.catalogURL("/refresh", nil), map[string]string{"entityRef": ref}, nil)
}

// RemoveEntityByUID deletes one entity; it returns on its location's next refresh.
func (c *Client) RemoveEntityByUID(ctx context.Context, uid string) error {
	return c.doJSON(ctx, http.MethodDelete, c.catalogURL("/entities/by-uid/"+url.PathEscape(uid), nil), nil, nil, http.StatusNoContent, http.StatusOK)
}
