// Package postgres is the production catalog.Store on PostgreSQL (pgx v5,
// pgxpool): the schema and its embedded migrations, the compilation of
// catalog.Filter trees to SQL over a GIN-indexed token array, keyset paging,
// facets, locations, the plugin KV space, and the multi-replica pieces
// (LISTEN/NOTIFY change feed, advisory-lock ingestion leader).
//
// Apply planning and stitching are not here: they come from package catalog
// (backend-independent, shared with catalog/sqlite), so both stores produce
// byte-identical entities. Behaviour is defined by catalog/storetest.
//
// It must never import web, host, authz or catalog/sqlite.
package postgres
