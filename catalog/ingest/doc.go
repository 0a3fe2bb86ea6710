// Package ingest owns Portico's ingestion engine: it reads registered
// locations (files, globs, URLs), follows Location entities recursively,
// resolves $text/$json/$yaml placeholders, validates every document against
// its kind, enforces the catalog rules, emits relations and hands the result
// of each root location to the store in one atomic Apply. It also runs the
// refresh loop and serves the location operations of the REST API
// (register, update, delete, dry run, refresh, validate).
//
// The pipeline follows Backstage's (shared/compat/backstage/REFERENCE.md §8):
// a broken document becomes a processing error on its location and, when it
// has an identity, on its entity, whose stored body is kept; a source that
// cannot be read keeps everything that was stored from it; unchanged input
// hashes the same and writes nothing.
//
// A root location is streamed into its Apply (catalog.EntityStream): each
// source's entities go to the store as soon as they are processed, so the
// store writes one file while the next is decoded, and a large location is
// never held in memory whole. Sources that are byte-for-byte unchanged since
// the last clean processing are not decoded again (unchanged.go).
//
// It depends on the catalog model and the catalog.Store interface only. It
// must never import web, host, authz, config or a concrete store: cmd wires it.
package ingest
