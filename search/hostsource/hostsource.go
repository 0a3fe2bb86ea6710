// Package hostsource connects the plugin host to the search collator: it is
// the search.PluginSource over a host.Host, calling each plugin's collate
// export (pdk/ABI.md §3) through the host's pool, limits and breaker.
//
// It imports host and search only; search itself never imports host.
package hostsource

import (
	"context"
	"fmt"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/search"
)

// Source is the host's collating plugins.
type Source struct {
	Host *host.Host
}

var _ search.PluginSource = Source{}

// Collators implements search.PluginSource: loaded plugins that export
// collate and were granted it, each with its manifest's period.
func (s Source) Collators() []search.CollatingPlugin {
	var out []search.CollatingPlugin
	for _, p := range s.Host.Plugins() {
		if p.CanCollate() {
			out = append(out, search.CollatingPlugin{Name: p.Name(), Every: p.Manifest().CollateEvery()})
		}
	}
	return out
}

// CollatePage implements search.PluginSource.
func (s Source) CollatePage(ctx context.Context, plugin, cursor string) (search.PluginPage, error) {
	p := s.Host.Plugin(plugin)
	if p == nil {
		return search.PluginPage{}, fmt.Errorf("plugin %s is not loaded", plugin)
	}
	return collatePage(ctx, p, cursor)
}

// One is a source of a single loaded plugin (tests, tools).
type One struct {
	Plugin *host.Plugin
}

var _ search.PluginSource = One{}

// Collators implements search.PluginSource.
func (o One) Collators() []search.CollatingPlugin {
	if !o.Plugin.CanCollate() {
		return nil
	}
	return []search.CollatingPlugin{{Name: o.Plugin.Name(), Every: o.Plugin.Manifest().CollateEvery()}}
}

// CollatePage implements search.PluginSource.
func (o One) CollatePage(ctx context.Context, plugin, cursor string) (search.PluginPage, error) {
	if plugin != o.Plugin.Name() {
		return search.PluginPage{}, fmt.Errorf("plugin %s is not loaded", plugin)
	}
	return collatePage(ctx, o.Plugin, cursor)
}

func collatePage(ctx context.Context, p *host.Plugin, cursor string) (search.PluginPage, error) {
	pg, err := p.Collate(ctx, cursor)
	if err != nil {
		return search.PluginPage{}, err
	}
	out := search.PluginPage{Next: pg.Next, Docs: make([]search.PluginDoc, len(pg.Documents))}
	for i, d := range pg.Documents {
		out.Docs[i] = search.PluginDoc{ID: d.ID, Type: d.Type, Title: d.Title, Text: d.Text, Location: d.Location,
			EntityRef: d.EntityRef, Fields: d.Fields}
	}
	return out, nil
}
