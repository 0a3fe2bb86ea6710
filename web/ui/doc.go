// Package ui owns Portico's HTML portal: server-rendered pages (home, catalog
// list, search, entity pages per kind, dependency graph, API definitions,
// plugins admin) mounted as a web.Area, and their embedded static assets (one
// CSS with light and dark themes, one small script). There is no JavaScript
// build: the script only fetches plugin card fragments, toggles the theme,
// submits filter forms and adds keyboard shortcuts ("/" to the header search
// box, arrows or j/k between search results); every page works without it.
//
// The reader of a page is the identity.Principal the auth middleware put in
// the request's context (identity.From): the header shows them with a
// sign-out form (POST /auth/logout with the request's CSRF token) or a
// sign-in link; "owned by me" uses the principal's ownership claims. Every
// read goes through Options.FilterFor, the reader's permission filter.
//
// Plugin cards are rendered by this package from the host's declarative card
// documents through html/template; no plugin HTML or script ever reaches the
// page. The plugin host and the search index are optional (Options.Cards,
// Options.Plugins and Options.Search may be nil): pages render without them.
// Search highlights are the one HTML built from indexed data, and only its
// <mark> elements are markup (highlight.go).
//
// It reads the catalog only through catalog.Store and the search index only
// through Searcher; it must never import a store implementation, a search
// backend, catalog/ingest or cmd.
package ui
