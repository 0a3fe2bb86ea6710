package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/ui"
)

// uiHost returns serve's plugin host, or nil when no plugins are configured.
// The plugin wiring of serve (plugins section of the config) sets it; until
// then the portal runs without plugin cards and the admin page says so.
var uiHost func(rt *runtime) *host.Host

// uiArea is the portal (HTML pages, /static, /api/catalog/graph and
// /api/catalog/blast-radius) mounted by serve.
func uiArea(rt *runtime) web.Area {
	o := ui.Options{Store: rt.store, Logger: rt.log, FilterFor: readFilterFor(rt.authz), Policies: rt.authz, Search: uiSearchOf(rt)}
	if uiHost != nil {
		if h := uiHost(rt); h != nil {
			o.Cards = ui.NewHostCards(h)
			o.Plugins = ui.HostPlugins{Host: h}
		}
	}
	return ui.MustNew(o)
}

// lateSearch is the portal's search: serve builds the portal before
// wireSearch opens the index, which then hands it over with setUISearch.
// Until then (or when the index cannot be opened) the search page says the
// index is unavailable.
type lateSearch struct{ ix atomic.Pointer[search.Index] }

func (l *lateSearch) Search(ctx context.Context, q search.Query) (search.Result, error) {
	p := l.ix.Load()
	if p == nil {
		return search.Result{}, fmt.Errorf("portal search: %w", search.ErrUnavailable)
	}
	return (*p).Search(ctx, q)
}

var uiSearches sync.Map // *runtime → *lateSearch

func uiSearchOf(rt *runtime) *lateSearch {
	l, _ := uiSearches.LoadOrStore(rt, &lateSearch{})
	return l.(*lateSearch)
}

// setUISearch makes the portal's /search page answer from ix.
func setUISearch(rt *runtime, ix search.Index) { uiSearchOf(rt).ix.Store(&ix) }
