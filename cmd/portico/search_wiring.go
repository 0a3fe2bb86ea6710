package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/config"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
	"github.com/portico-dev/portico/search/hostsource"
	"github.com/portico-dev/portico/search/meili"
	"github.com/portico-dev/portico/web/searchapi"
)

// openSearchIndex opens Meilisearch when search.meilisearch.url is set, else
// the embedded index in the data directory.
func openSearchIndex(ctx context.Context, cfg *config.Config, data string, log *slog.Logger) (search.Index, error) {
	if m := cfg.Search.Meilisearch; m.Enabled() {
		ix, err := meili.Open(ctx, meili.Options{URL: m.URL, Key: m.Key, Index: m.IndexName(), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("search.meilisearch: %w", err)
		}
		return ix, nil
	}
	ix, err := bleve.Open(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("open embedded search index: %w", err)
	}
	return ix, nil
}

// searchWiring is what serve gets from wireSearch.
type searchWiring struct {
	Index search.Index
	// Plugin answers portico_search_v1 from the index (services.Set.Search).
	Plugin services.Search
	// Collator indexes plugins' collate documents (nil without a plugin host).
	Collator *search.PluginCollator
}

// wireSearch opens the search index, mounts /api/search on app, builds the
// plugin search service and keeps the index in step with the catalog (a
// full reindex when the index is empty, then the store's outbox) until ctx
// ends, when it closes the index. Plugins granted `collate` feed it too. A
// search index that cannot be opened is logged and leaves the portal running
// without search.
func wireSearch(ctx context.Context, rt *runtime, app fiber.Router) *searchWiring {
	log := rt.log.With("area", "search")
	ix, err := openSearchIndex(ctx, rt.cfg, rt.data, log)
	if err != nil {
		log.Error("search disabled", "err", err)
		return nil
	}
	log.Info("search index open", "index", ix.Describe())
	if b, ok := ix.(*bleve.Index); ok && b.Rebuilt() {
		log.Warn("search index was written with an older mapping; recreated empty and reindexing", "index", ix.Describe())
	}
	searchapi.New(searchapi.Config{Index: ix, Logger: log, Visible: searchFilterFor(rt.authz)}).Mount(app)
	sync := &search.Sync{Store: rt.store, Index: ix, Logger: log}
	go func() {
		defer ix.Close()
		if n, err := ix.Count(ctx); err != nil {
			log.Warn("search index count", "err", err)
		} else if n == 0 {
			if n, err := search.Reindex(ctx, rt.store, ix, 0, nil); err != nil {
				log.Error("initial search reindex", "err", err)
			} else {
				log.Info("search index built", "documents", n)
			}
		}
		_ = sync.Run(ctx)
	}()
	w := &searchWiring{Index: ix, Plugin: &search.PluginSearch{Index: ix, Visible: callerFilterFor(rt.authz)}}
	setPluginSearch(rt, w.Plugin) // portico_search_v1 (plugin_registry_cmd.go)
	setUISearch(rt, ix)           // the portal's /search page (ui_wiring.go)
	if h := pluginHost(rt); h != nil {
		// Plugins' collate exports (granted `collate`), each on its manifest's
		// period; started after serve has loaded the installed plugins, so
		// the first prune does not drop the documents of plugins still loading.
		w.Collator = &search.PluginCollator{Source: hostsource.Source{Host: h}, Index: ix, Store: rt.store, Logger: log}
		go func() {
			t := time.NewTimer(collateStartDelay)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			w.Collator.Run(ctx)
		}()
	}
	return w
}

// collateStartDelay is how long serve waits before the first plugin collation.
const collateStartDelay = 15 * time.Second
