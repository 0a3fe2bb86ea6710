// Package services declares what a plugin may ask the Portico core for: catalog
// reads as a user, search, a private key-value space, its operator config and
// secrets. The host and its ABI packages (host/abi/v1, …) depend on these small
// interfaces; cmd wires them to the real catalog store, search index and
// settings.
//
// It must never import web, catalog/sqlite, catalog/postgres or search
// implementations; only the catalog model.
package services

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/portico-dev/portico/catalog"
)

// Caller is the identity a plugin call runs on behalf of. The zero Caller is a
// system call (a provider schedule), which sees nothing that needs a user.
type Caller struct {
	// UserRef is the canonical entity ref of the user, e.g. "user:default/jane".
	UserRef string `json:"ref"`
	// Claims are the ownership refs of the user (the user and its groups).
	Claims []string `json:"claims,omitempty"`
}

// IsSystem reports whether c is the zero (system) caller.
func (c Caller) IsSystem() bool { return c.UserRef == "" }

type callerKey struct{}

// WithCaller returns ctx carrying c; host functions read it with CallerFrom.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller carried by ctx, or the system caller.
func CallerFrom(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// CatalogQuery is a plugin's filtered, ordered, paged catalog read.
type CatalogQuery struct {
	Filter   catalog.Filter
	FullText *catalog.FullText
	Order    []catalog.Order
	Limit    int
	// Cursor is opaque: the Next of a previous page.
	Cursor string
}

// CatalogPage is one page of a CatalogQuery.
type CatalogPage struct {
	Items []json.RawMessage
	Next  string // empty on the last page
}

// Catalog reads entities as a user. Implementations must apply the caller's
// permissions (pushed down into the store as a filter) and answer
// *catalog.NotFoundError for an entity the caller may not see.
type Catalog interface {
	Entity(ctx context.Context, as Caller, ref string) (json.RawMessage, error)
	Query(ctx context.Context, as Caller, q CatalogQuery) (CatalogPage, error)
}

// SearchQuery is a plugin's search request.
type SearchQuery struct {
	Term  string
	Kinds []string
	Limit int
	// Types are document types ("software-catalog", "plugin:NAME"); empty
	// means catalog entities only (what portico_search_v1 always answered).
	Types []string
}

// CatalogTypes reports whether q asks for catalog entities (Types empty or
// naming "software-catalog").
func (q SearchQuery) CatalogTypes() bool {
	if len(q.Types) == 0 {
		return true
	}
	for _, t := range q.Types {
		if t == "software-catalog" {
			return true
		}
	}
	return false
}

// SearchResult is one search hit. Type and Location are set for documents
// that are not catalog entities (a plugin's collated documents).
type SearchResult struct {
	Ref      string `json:"ref"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Text     string `json:"text,omitempty"`
	Type     string `json:"type,omitempty"`
	Location string `json:"location,omitempty"`
}

// Search answers full-text searches as a user.
type Search interface {
	Search(ctx context.Context, as Caller, q SearchQuery) ([]SearchResult, error)
}

// KV is the per-plugin key-value space; the namespace is the plugin's name.
type KV = catalog.KV

// Config returns the operator's settings for one plugin (a JSON object, or nil
// when none were set).
type Config interface {
	PluginConfig(ctx context.Context, plugin string) (json.RawMessage, error)
}

// Secrets returns one secret the operator set for one plugin.
type Secrets interface {
	PluginSecret(ctx context.Context, plugin, name string) (value string, ok bool, err error)
}

// Set is everything a plugin may reach. A nil member answers "unavailable"
// to the plugin (the capability exists in the ABI but this portal has no
// backend for it).
type Set struct {
	Catalog Catalog
	Search  Search
	KV      KV
	Config  Config
	Secrets Secrets
	Logger  *slog.Logger
}

// Grant is what the operator granted one plugin at install: the only
// capabilities its host functions honour.
type Grant struct {
	// HTTP lists hosts the plugin may reach: exact names, "*.domain" globs or
	// IP literals. A private, loopback or link-local address is reachable only
	// through an IP literal entry naming it.
	HTTP []string `json:"http,omitempty" yaml:"http,omitempty"`
	// Catalog is "read" or "none" ("" = none).
	Catalog string `json:"catalog,omitempty" yaml:"catalog,omitempty"`
	Search  bool   `json:"search,omitempty" yaml:"search,omitempty"`
	KV      bool   `json:"kv,omitempty" yaml:"kv,omitempty"`
	// Collate lets the plugin's collate export feed the search index
	// (pdk/ABI.md §3 "collate"); without it the host never calls collate.
	Collate bool `json:"collate,omitempty" yaml:"collate,omitempty"`
	// Secrets lists the secret names the plugin may read.
	Secrets []string `json:"secrets,omitempty" yaml:"secrets,omitempty"`
}

// CatalogRead reports whether catalog reads are granted.
func (g Grant) CatalogRead() bool { return g.Catalog == "read" }

// HasSecret reports whether the named secret is granted.
func (g Grant) HasSecret(name string) bool {
	for _, s := range g.Secrets {
		if s == name {
			return true
		}
	}
	return false
}
