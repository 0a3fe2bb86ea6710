// Package auth owns authentication: who a request is. It signs people in with
// OpenID Connect (authorization code flow with PKCE, go-oidc), keeps their
// sessions server-side in the catalog store's key-value space (namespace
// "portico.sessions", so replicas share them), issues and checks API tokens
// (namespace "portico.tokens", stored as SHA-256 hashes), lets a configured
// guest in, and protects cookie-authenticated state changes with a CSRF token.
//
// Its one output is an identity.Principal, put in the request's user context
// (identity.With) and in c.Locals("principal") by Service.Middleware. What the
// principal may do is package authz's question, never this package's.
//
// Ownership claims (Principal.Claims) are resolved from the catalog: the user
// entity's ref plus every group it is a member of (memberOf), transitively up
// the group parent chain (childOf), canonical and sorted.
//
// auth must never import web, web/ui, authz or a store implementation: it
// reads the catalog through catalog.Store and is mounted by cmd/portico.
package auth
