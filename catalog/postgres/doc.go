// Package postgres is the production catalog.Store on PostgreSQL (pgx v5,
// pgxpool): the schema and its embedded migrations, bulk writes, locations,
// the plugin KV space, and the multi-replica pieces (LISTEN/NOTIFY change
// feed, advisory-lock ingestion leader, catalog versions).
//
// Lists, counts and facets are answered from each replica's in-memory
// postings index (the embedded store's, catalog/internal/postings), caught
// up with the database by catalog version before every such read (index.go);
// reads by ref or uid compile catalog.Filter trees to SQL over a GIN-indexed
// token array.
//
// Apply planning and stitching are not here: they come from package catalog
// (backend-independent, shared with catalog/sqlite), so both stores produce
// byte-identical entities. Behaviour is defined by catalog/storetest.
//
// It must never import web, host, authz or catalog/sqlite.
package postgres
