// Package search owns Portico's search index contract: the Index interface
// both backends implement (search/bleve, embedded, the default; search/meili,
// Meilisearch), the Document every collator produces, the translation of
// catalog.Filter conditions (API filters and authorization) into the index
// query, the catalog collator with its outbox-driven incremental sync, the
// plugin collator (documents of plugins' collate exports, one type per
// plugin, replaced run by run) and the host/services.Search implementation
// plugins call.
//
// It imports only the catalog model and host/services; it must never import
// a backend (bleve, meilisearch-go), the plugin host (search/hostsource
// adapts it), a store implementation or web.
package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/portico-dev/portico/catalog"
)

// TypeCatalog is the document type of catalog entities (Backstage's).
const TypeCatalog = "software-catalog"

// Document is one indexed thing. Key is unique across types; Title, Text and
// Location are Backstage's IndexableDocument; the rest are optional catalog
// fields that are shown, searched, filtered and faceted.
type Document struct {
	Key        string   `json:"key"`
	Type       string   `json:"doctype"`
	Title      string   `json:"title"`
	Text       string   `json:"text"`
	Location   string   `json:"location"`
	Ref        string   `json:"ref,omitempty"`
	Name       string   `json:"name,omitempty"`
	Kind       string   `json:"kind,omitempty"`
	Namespace  string   `json:"namespace,omitempty"`
	EntityType string   `json:"type,omitempty"`
	Lifecycle  string   `json:"lifecycle,omitempty"`
	Owner      string   `json:"owner,omitempty"`
	OwnedBy    []string `json:"ownedBy,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	System     string   `json:"system,omitempty"`
	// Keywords is extra searchable text (kind, type, owner, useful annotation
	// values…); it is searched but never shown.
	Keywords string `json:"keywords,omitempty"`
	// Fields are extra name/value pairs a plugin attached (shown with the
	// result; their values are searched through Keywords).
	Fields map[string]string `json:"fields,omitempty"`
}

// Query is one search.
type Query struct {
	Term string
	// Types restricts document types (empty = all).
	Types []string
	// Filter is ANDed into the index query: the API's filters and the
	// reader's permission condition. See Translate for the supported subset.
	Filter catalog.Filter
	// Facets lists filter fields (FilterFields) whose value counts are wanted.
	Facets []string
	Offset int
	Limit  int // 0 = DefaultLimit
}

// DefaultLimit is the page size when Query.Limit is 0; MaxLimit caps it.
const (
	DefaultLimit = 25
	MaxLimit     = 100
)

// Hit is one result.
type Hit struct {
	Doc   Document
	Score float64
}

// Result is one page of hits, best first.
type Result struct {
	Hits   []Hit
	Total  int
	Facets map[string][]catalog.FacetCount // field → values, most frequent first
}

// Index is a search backend. Writes are idempotent (Upsert replaces by Key);
// every method is safe for concurrent use.
type Index interface {
	// Upsert adds or replaces documents; when it returns nil they are searchable.
	Upsert(ctx context.Context, docs []Document) error
	// Delete removes documents by key; unknown keys are ignored.
	Delete(ctx context.Context, keys []string) error
	// DeleteType removes every document of one type (before a full reindex).
	DeleteType(ctx context.Context, docType string) error
	// Search runs q. A filter outside the supported subset is an InputError.
	Search(ctx context.Context, q Query) (Result, error)
	// Count returns how many documents the index holds.
	Count(ctx context.Context) (int, error)
	// Describe names the backend for logs ("bleve /data/search.bleve").
	Describe() string
	Close() error
}

// Verifier is implemented by backends that can lose their documents outside
// Portico's control (a Meilisearch restarted without its data): Verify
// reports it, the sync then reindexes.
type Verifier interface {
	Verify(ctx context.Context) (lost bool, err error)
}

// ErrUnavailable wraps a backend failure (network, server error) that a
// retry may fix; callers keep their outbox rows for later.
var ErrUnavailable = errors.New("search index unavailable")

// CatalogKey is the document key of a catalog entity.
func CatalogKey(ref string) string { return TypeCatalog + ":" + ref }

// HashKey turns a key into an identifier of [0-9a-f] (64 characters), for
// backends whose ids allow only a small alphabet (Meilisearch).
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// ClampLimit applies DefaultLimit and MaxLimit.
func ClampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}
