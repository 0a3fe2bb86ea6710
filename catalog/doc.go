// Package catalog owns Portico's software catalog: the entity model (Backstage's
// envelope, kinds, refs and relations), validation, the filter language, and the
// Store interface that the embedded (catalog/sqlite) and production
// (catalog/postgres) stores implement.
//
// It must never import web, host or authz: those depend on it, not the other way.
//
// The reference for every rule here is Backstage's catalog model as written down in
// shared/compat/backstage/REFERENCE.md (§1 entity model, §2.3 filters). Where this
// package departs from Backstage it says so, and why, in RATIONALE.md at the
// repository root.
package catalog
