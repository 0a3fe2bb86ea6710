package main

import (
	"github.com/portico-dev/portico/host"
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
	o := ui.Options{Store: rt.store, Logger: rt.log}
	if uiHost != nil {
		if h := uiHost(rt); h != nil {
			o.Cards = ui.NewHostCards(h)
			o.Plugins = ui.HostPlugins{Host: h}
		}
	}
	return ui.MustNew(o)
}
