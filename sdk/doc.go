// Package sdk is the Go client of Portico's HTTP API, today the catalog REST
// API under /api/catalog (Backstage-compatible, REFERENCE.md §2). It is what
// the CLI uses to talk to a running server and what other systems embed.
//
// Entities are catalog.Entity values; failures are *Error values that
// errors.Is matches against ErrNotFound, ErrConflict, ErrInput and
// ErrNotAllowed.
//
// It must never import web, a store implementation or anything server-side:
// only the catalog model.
//
// Ex.
//
//	c := sdk.New("http://127.0.0.1:7007", sdk.WithToken(tok))
//	for e, err := range c.Entities(ctx, sdk.QueryEntitiesRequest{Filter: sdk.Filter{{"kind": {"component"}}}}) {
//		...
//	}
package sdk
