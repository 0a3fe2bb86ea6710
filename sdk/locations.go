package sdk

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/portico-dev/portico/catalog"
)

// Location is a registered location.
type Location struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Target    string `json:"target"`
	EntityRef string `json:"entityRef,omitempty"`
}

// AddLocationRequest is POST /locations.
type AddLocationRequest struct {
	Type       string // default "url"
	Target     string
	DryRun     bool
	OnConflict string // "", "reject" or "refresh"
}

// AddLocationResponse is what POST /locations answers. Entities are filled
// only by a dry run; Exists says whether the location was already registered.
type AddLocationResponse struct {
	Location Location          `json:"location"`
	Entities []*catalog.Entity `json:"entities"`
	Exists   bool              `json:"exists,omitempty"`
}

// AddLocation registers a location (or, with DryRun, only processes it).
func (c *Client) AddLocation(ctx context.Context, req AddLocationRequest) (*AddLocationResponse, error) {
	typ := req.Type
	if typ == "" {
		typ = "url"
	}
	q := url.Values{}
	if req.DryRun {
		q.Set("dryRun", "true")
	}
	if req.OnConflict != "" {
		q.Set("onConflict", req.OnConflict)
	}
	var out AddLocationResponse
	err := c.doJSON(ctx, http.MethodPost, c.catalogURL("/locations", q), map[string]string{"type": typ, "target": req.Target}, &out, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetLocations lists every registered location.
func (c *Client) GetLocations(ctx context.Context) ([]Location, error) {
	var wrapped []struct {
		Data Location `json:"data"`
	}
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/locations", nil), nil, &wrapped); err != nil {
		return nil, err
	}
	out := make([]Location, len(wrapped))
	for i, w := range wrapped {
		out[i] = w.Data
	}
	return out, nil
}

// QueryLocationsRequest is POST /locations/by-query; with Cursor only Limit applies.
type QueryLocationsRequest struct {
	Query  Predicate // over id, type, target, entityRef
	Limit  int
	Cursor string
}

// LocationsPage is one page of locations.
type LocationsPage struct {
	Items      []Location `json:"items"`
	TotalItems int        `json:"totalItems"`
	PageInfo   struct {
		NextCursor string `json:"nextCursor,omitempty"`
	} `json:"pageInfo"`
}

// QueryLocations fetches one page of locations.
func (c *Client) QueryLocations(ctx context.Context, req QueryLocationsRequest) (*LocationsPage, error) {
	body := map[string]any{}
	if req.Cursor != "" {
		body["cursor"] = req.Cursor
	} else if req.Query != nil {
		body["query"] = req.Query
	}
	if req.Limit > 0 {
		body["limit"] = req.Limit
	}
	var out LocationsPage
	if err := c.doJSON(ctx, http.MethodPost, c.catalogURL("/locations/by-query", nil), body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetLocationByID returns one location; a missing one matches ErrNotFound.
func (c *Client) GetLocationByID(ctx context.Context, id string) (*Location, error) {
	var l Location
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/locations/"+url.PathEscape(id), nil), nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// GetLocationByEntity returns the location that produced the entity.
func (c *Client) GetLocationByEntity(ctx context.Context, ref string) (*Location, error) {
	p, err := refPath(ref)
	if err != nil {
		return nil, err
	}
	var l Location
	if err := c.doJSON(ctx, http.MethodGet, c.catalogURL("/locations/by-entity"+p, nil), nil, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// UpdateLocation changes a location's type and target.
func (c *Client) UpdateLocation(ctx context.Context, id, typ, target string) (*Location, error) {
	if typ == "" {
		typ = "url"
	}
	var l Location
	err := c.doJSON(ctx, http.MethodPut, c.catalogURL("/locations/"+url.PathEscape(id), nil), map[string]string{"type": typ, "target": target}, &l)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// RemoveLocationByID unregisters a location; its entities are orphaned or deleted per the server's orphanStrategy.
func (c *Client) RemoveLocationByID(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, c.catalogURL("/locations/"+url.PathEscape(id), nil), nil, nil, http.StatusNoContent, http.StatusOK)
}

// ValidationError is one problem POST /validate-entity found.
type ValidationError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
}

// ValidationResult is the outcome of ValidateEntity.
type ValidationResult struct {
	Valid  bool
	Errors []ValidationError
}

// ValidateEntity checks an entity (any JSON-encodable value, e.g. a
// *catalog.Entity or a map) as if read from locationRef (`url:<target>`).
func (c *Client) ValidateEntity(ctx context.Context, entity any, locationRef string) (*ValidationResult, error) {
	u := c.catalogURL("/validate-entity", nil)
	resp, err := c.do(ctx, http.MethodPost, u, map[string]any{"entity": entity, "location": locationRef}, http.StatusOK, http.StatusBadRequest)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return &ValidationResult{Valid: true}, nil
	}
	var body struct {
		Errors []ValidationError `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, &decodeError{"POST", u, err}
	}
	return &ValidationResult{Valid: false, Errors: body.Errors}, nil
}

// LocationSpec is a location's type and target.
type LocationSpec struct {
	Type   string `json:"type"`
	Target string `json:"target"`
}

// AnalyzeLocationRequest is POST /analyze-location.
type AnalyzeLocationRequest struct {
	Location        LocationSpec `json:"location"`
	CatalogFilename string       `json:"catalogFilename,omitempty"`
}

// AnalyzeLocationResponse lists entity files found at the location, or
// entities it suggests generating.
type AnalyzeLocationResponse struct {
	ExistingEntityFiles []struct {
		Entity       *catalog.Entity `json:"entity"`
		IsRegistered bool            `json:"isRegistered"`
		Location     LocationSpec    `json:"location"`
	} `json:"existingEntityFiles"`
	GenerateEntities []struct {
		Entity map[string]any `json:"entity"`
		Fields []struct {
			Field       string  `json:"field"`
			State       string  `json:"state"`
			Value       *string `json:"value"`
			Description string  `json:"description"`
		} `json:"fields"`
	} `json:"generateEntities"`
}

// AnalyzeLocation inspects a URL for catalog files.
func (c *Client) AnalyzeLocation(ctx context.Context, req AnalyzeLocationRequest) (*AnalyzeLocationResponse, error) {
	var out AnalyzeLocationResponse
	if err := c.doJSON(ctx, http.MethodPost, c.catalogURL("/analyze-location", nil), req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
