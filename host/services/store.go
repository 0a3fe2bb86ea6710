package services

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// EntityReader is the part of catalog.Store that plugin reads need.
type EntityReader interface {
	EntityByRef(ctx context.Context, ref string, f catalog.Filter) (catalog.Record, error)
	QueryEntities(ctx context.Context, q catalog.Query) (catalog.Page, error)
}

// StoreCatalog serves Catalog and Search from a catalog store. Visible turns
// the caller into the filter of what they may see (authz wires it; the
// filter is pushed into the store's query, never applied afterwards); nil
// lets every caller see everything.
type StoreCatalog struct {
	Store   EntityReader
	Visible func(ctx context.Context, as Caller) (catalog.Filter, error)
}

func (s *StoreCatalog) visible(ctx context.Context, as Caller) (catalog.Filter, error) {
	if s.Visible == nil {
		return catalog.Filter{}, nil
	}
	return s.Visible(ctx, as)
}

// Entity implements Catalog.
func (s *StoreCatalog) Entity(ctx context.Context, as Caller, ref string) (json.RawMessage, error) {
	r, err := catalog.ParseRef(ref, catalog.RefContext{DefaultNamespace: "default"})
	if err != nil {
		return nil, catalog.Inputf("invalid ref %q: %v", ref, err)
	}
	f, err := s.visible(ctx, as)
	if err != nil {
		return nil, err
	}
	rec, err := s.Store.EntityByRef(ctx, r.String(), f)
	if err != nil {
		return nil, err
	}
	return rec.JSON, nil
}

// Query implements Catalog; the cursor is the store's keyset position.
func (s *StoreCatalog) Query(ctx context.Context, as Caller, q CatalogQuery) (CatalogPage, error) {
	f, err := s.visible(ctx, as)
	if err != nil {
		return CatalogPage{}, err
	}
	cq := catalog.Query{Filter: catalog.And(q.Filter, f), FullText: q.FullText, Order: q.Order, Limit: q.Limit}
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		var pos catalog.Position
		if err == nil {
			err = json.Unmarshal(b, &pos)
		}
		if err != nil {
			return CatalogPage{}, catalog.Inputf("invalid cursor")
		}
		cq.After = &pos
	}
	page, err := s.Store.QueryEntities(ctx, cq)
	if err != nil {
		return CatalogPage{}, err
	}
	out := CatalogPage{Items: make([]json.RawMessage, 0, len(page.Items))}
	for _, r := range page.Items {
		out.Items = append(out.Items, r.JSON)
	}
	if page.HasMore && page.Last != nil {
		b, _ := json.Marshal(page.Last)
		out.Next = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, nil
}

// Search implements Search with the catalog's full-text filter (until the
// search index exists).
func (s *StoreCatalog) Search(ctx context.Context, as Caller, q SearchQuery) ([]SearchResult, error) {
	if !q.CatalogTypes() {
		return []SearchResult{}, nil // only catalog entities here
	}
	cq := CatalogQuery{FullText: &catalog.FullText{Term: q.Term}, Limit: q.Limit}
	if len(q.Kinds) > 0 {
		cq.Filter = catalog.Eq("kind", lowerAll(q.Kinds)...)
	}
	page, err := s.Query(ctx, as, cq)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]SearchResult, 0, len(page.Items))
	for _, doc := range page.Items {
		var e catalog.Entity
		if json.Unmarshal(doc, &e) != nil {
			continue
		}
		title := e.Metadata.Title
		if title == "" {
			title = e.Metadata.Name
		}
		out = append(out, SearchResult{Ref: e.Ref().String(), Kind: strings.ToLower(e.Kind), Title: title, Text: e.Metadata.Description})
	}
	return out, nil
}

var (
	_ Catalog = (*StoreCatalog)(nil)
	_ Search  = (*StoreCatalog)(nil)
)
