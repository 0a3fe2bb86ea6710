// Package searchapi serves GET /api/search/query, compatible with Backstage's
// search backend (REFERENCE.md §7), from a search.Index, as a web.Area.
// Results are filtered by the reader's permission condition inside the index
// query, so pages are full and totals are right.
//
// It imports web, search and catalog; it must never import a search backend
// or a catalog store.
package searchapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/web"
)

// Defaults of Backstage's search.maxTermLength and search.maxPageLimit.
const (
	MaxTermLength = 100
	MaxPageLimit  = 100
)

// Config configures the area.
type Config struct {
	Index search.Index
	// Types are the registered document types (default: software-catalog);
	// plugins' types ("plugin:NAME") are always accepted.
	Types []string
	// Visible returns the reader's permission condition (nil: everything).
	Visible func(c *fiber.Ctx) (catalog.Filter, error)
	Logger  *slog.Logger
}

// Area mounts /api/search.
type Area struct{ cfg Config }

var _ web.Area = (*Area)(nil)

// New returns the area.
func New(cfg Config) *Area {
	if len(cfg.Types) == 0 {
		cfg.Types = []string{search.TypeCatalog}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Area{cfg: cfg}
}

// Mount implements web.Area.
func (a *Area) Mount(r fiber.Router) {
	g := r.Group("/api/search")
	g.Get("/query", a.query)
}

// engineError hides a backend failure behind Backstage's generic message.
type engineError struct{ err error }

func (e *engineError) Error() string { return "There was a problem performing the search query" }
func (e *engineError) Unwrap() error { return e.err }

// HTTPStatus maps the error to a 500 (web.StatusOf).
func (e *engineError) HTTPStatus() (int, string) { return http.StatusInternalServerError, "Error" }

// Request is a parsed /query request.
type Request struct {
	Term   string
	Types  []string
	Filter catalog.Filter
	Facets []string
	Page   int
	Limit  int
}

// Response is the /query body.
type Response struct {
	Results            []Result                        `json:"results"`
	NextPageCursor     string                          `json:"nextPageCursor,omitempty"`
	PreviousPageCursor string                          `json:"previousPageCursor,omitempty"`
	NumberOfResults    int                             `json:"numberOfResults"`
	Facets             map[string][]catalog.FacetCount `json:"facets,omitempty"`
}

// Result is one result.
type Result struct {
	Type      string         `json:"type"`
	Document  map[string]any `json:"document"`
	Highlight *Highlight     `json:"highlight,omitempty"`
	Rank      int            `json:"rank"`
}

// Highlight marks the matched words of title and text.
type Highlight struct {
	PreTag  string            `json:"preTag"`
	PostTag string            `json:"postTag"`
	Fields  map[string]string `json:"fields"`
}

func invalid(format string, args ...any) error {
	return catalog.Inputf("Invalid query string: "+format, args...)
}

var bracketKey = regexp.MustCompile(`^([A-Za-z]+)(?:\[([^\[\]]*)\])?(?:\[(\d*)\])?$`)

// filterKeys maps the API's filter names to catalog filter keys.
var filterKeys = map[string]string{
	"kind": "kind", "namespace": "metadata.namespace", "type": "spec.type", "componentType": "spec.type",
	"lifecycle": "spec.lifecycle", "owner": "owner", "tags": "metadata.tags", "system": "spec.system", "name": "metadata.name",
}

// ParseRequest parses the qs-encoded query string (types[0]=…, filters[kind]=…,
// filters[kind][0]=…, pageCursor, pageLimit, facets).
func (a *Area) ParseRequest(raw string) (Request, error) {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return Request{}, invalid("%v", err)
	}
	req := Request{Limit: 25}
	filters := map[string][]string{}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := vals[k]
		m := bracketKey.FindStringSubmatch(k)
		if m == nil {
			return Request{}, invalid("unknown parameter %q", k)
		}
		switch m[1] {
		case "term":
			if m[2] != "" || len(vs) != 1 {
				return Request{}, invalid("term must be given once")
			}
			req.Term = vs[0]
		case "types":
			req.Types = append(req.Types, vs...)
		case "facets":
			for _, v := range vs {
				req.Facets = append(req.Facets, strings.Split(v, ",")...)
			}
		case "filters":
			if m[2] == "" {
				return Request{}, invalid("filters must be filters[<field>]=<value>")
			}
			filters[m[2]] = append(filters[m[2]], vs...)
		case "pageCursor":
			b, err := base64.StdEncoding.DecodeString(vs[0])
			if err != nil {
				return Request{}, invalid("pageCursor %q is not a cursor", vs[0])
			}
			p, err := strconv.Atoi(string(b))
			if err != nil || p < 0 {
				return Request{}, invalid("pageCursor %q is not a cursor", vs[0])
			}
			req.Page = p
		case "pageLimit":
			n, err := strconv.Atoi(vs[0])
			if err != nil || n <= 0 {
				return Request{}, invalid("pageLimit must be a positive number, got %q", vs[0])
			}
			if n > MaxPageLimit {
				return Request{}, invalid("pageLimit %d exceeds the maximum of %d", n, MaxPageLimit)
			}
			req.Limit = n
		default:
			return Request{}, invalid("unknown parameter %q", k)
		}
	}
	if len(req.Term) > MaxTermLength {
		return Request{}, invalid("term is longer than %d characters", MaxTermLength)
	}
	for _, t := range req.Types {
		if !contains(a.cfg.Types, t) && !search.IsPluginType(t) {
			return Request{}, invalid("unknown type %q (registered: %s)", t, strings.Join(a.cfg.Types, ", "))
		}
	}
	for _, f := range req.Facets {
		if err := search.ValidFacet(f); err != nil {
			return Request{}, invalid("%v", err)
		}
	}
	fkeys := make([]string, 0, len(filters))
	for k := range filters {
		fkeys = append(fkeys, k)
	}
	sort.Strings(fkeys)
	var conds []catalog.Filter
	for _, k := range fkeys {
		key, ok := filterKeys[k]
		if !ok {
			return Request{}, invalid("unknown filter %q", k)
		}
		conds = append(conds, catalog.Eq(key, filters[k]...))
	}
	if len(conds) > 0 {
		req.Filter = catalog.AllOf(conds...)
	}
	return req, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (a *Area) query(c *fiber.Ctx) error {
	req, err := a.ParseRequest(string(c.Request().URI().QueryString()))
	if err != nil {
		return err
	}
	f := req.Filter
	if a.cfg.Visible != nil {
		v, err := a.cfg.Visible(c)
		if err != nil {
			return err
		}
		f = catalog.And(v, f)
	}
	resp, err := a.Search(c.UserContext(), req, f)
	if err != nil {
		var in *catalog.InputError
		if errors.As(err, &in) {
			return invalid("%v", err)
		}
		a.cfg.Logger.ErrorContext(c.UserContext(), "search query failed", "err", err)
		return &engineError{err: err}
	}
	return c.JSON(resp)
}

// Search runs a parsed request with the final filter (permission included).
func (a *Area) Search(ctx context.Context, req Request, f catalog.Filter) (Response, error) {
	res, err := a.cfg.Index.Search(ctx, search.Query{Term: req.Term, Types: req.Types, Filter: f, Facets: req.Facets,
		Offset: req.Page * req.Limit, Limit: req.Limit})
	if err != nil {
		return Response{}, err
	}
	out := Response{Results: make([]Result, 0, len(res.Hits)), NumberOfResults: res.Total, Facets: res.Facets}
	for i, h := range res.Hits {
		r := Result{Type: h.Doc.Type, Document: DocumentJSON(h.Doc), Rank: req.Page*req.Limit + i + 1}
		if req.Term != "" {
			fields := map[string]string{}
			for name, text := range map[string]string{"title": h.Doc.Title, "text": h.Doc.Text} {
				if hl, ok := search.Highlight(req.Term, text); ok {
					fields[name] = hl
				}
			}
			if len(fields) > 0 {
				r.Highlight = &Highlight{PreTag: search.PreTag, PostTag: search.PostTag, Fields: fields}
			}
		}
		out.Results = append(out.Results, r)
	}
	if (req.Page+1)*req.Limit < res.Total {
		out.NextPageCursor = cursor(req.Page + 1)
	}
	if req.Page > 0 {
		out.PreviousPageCursor = cursor(req.Page - 1)
	}
	return out, nil
}

func cursor(page int) string { return base64.StdEncoding.EncodeToString([]byte(fmt.Sprint(page))) }

// DocumentJSON is a document as the API serves it: Backstage's
// IndexableDocument (title, text, location) plus the catalog collator's
// fields (kind, namespace, name, type/componentType, lifecycle, owner, tags,
// system, authorization.resourceRef).
func DocumentJSON(d search.Document) map[string]any {
	m := map[string]any{"title": d.Title, "text": d.Text, "location": d.Location}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("kind", d.Kind)
	set("namespace", d.Namespace)
	set("name", d.Name)
	set("type", d.EntityType)
	set("componentType", d.EntityType)
	set("lifecycle", d.Lifecycle)
	set("owner", d.Owner)
	set("system", d.System)
	if len(d.Tags) > 0 {
		m["tags"] = d.Tags
	}
	if d.Ref != "" {
		m["authorization"] = map[string]any{"resourceRef": d.Ref}
	}
	// A plugin's extra fields (host-validated names never clash with ours).
	for k, v := range d.Fields {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return m
}
