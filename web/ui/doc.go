// Package ui owns Portico's HTML portal: server-rendered pages (home, catalog
// list, entity pages per kind, dependency graph, API definitions, plugins
// admin) mounted as a web.Area, and their embedded static assets (one CSS with
// light and dark themes, one small script). There is no JavaScript build: the
// script only fetches plugin card fragments, toggles the theme and submits
// filter forms; every page works without it.
//
// Plugin cards are rendered by this package from the host's declarative card
// documents through html/template; no plugin HTML or script ever reaches the
// page. The plugin host is optional (Options.Cards and Options.Plugins may be
// nil): pages render without plugins.
//
// It reads the catalog only through catalog.Store and must never import a
// store implementation, catalog/ingest or cmd.
package ui
