package search

import (
	"context"
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/host/services"
)

// PluginSearch implements host/services.Search (portico_search_v1) from the
// index. Visible turns the caller into the condition of what they may see;
// it is pushed into the index query (nil: everyone sees everything).
type PluginSearch struct {
	Index   Index
	Visible func(ctx context.Context, as services.Caller) (catalog.Filter, error)
}

var _ services.Search = (*PluginSearch)(nil)

// Search implements services.Search: catalog documents unless the query
// names other types (a plugin's collated documents, "plugin:NAME").
func (p *PluginSearch) Search(ctx context.Context, as services.Caller, q services.SearchQuery) ([]services.SearchResult, error) {
	f := catalog.Filter{}
	if p.Visible != nil {
		v, err := p.Visible(ctx, as)
		if err != nil {
			return nil, fmt.Errorf("search: visibility of %s: %w", as.UserRef, err)
		}
		f = v
	}
	if len(q.Kinds) > 0 {
		ks := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ks[i] = strings.ToLower(k)
		}
		f = catalog.And(f, catalog.Eq("kind", ks...))
	}
	types := q.Types
	if len(types) == 0 {
		types = []string{TypeCatalog}
	}
	res, err := p.Index.Search(ctx, Query{Term: q.Term, Types: types, Filter: f, Limit: ClampLimit(q.Limit)})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := make([]services.SearchResult, 0, len(res.Hits))
	for _, h := range res.Hits {
		r := services.SearchResult{Ref: h.Doc.Ref, Kind: strings.ToLower(h.Doc.Kind), Title: h.Doc.Title, Text: h.Doc.Text}
		if h.Doc.Type != TypeCatalog {
			r.Type, r.Location = h.Doc.Type, h.Doc.Location
		}
		out = append(out, r)
	}
	return out, nil
}
