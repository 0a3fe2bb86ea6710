// Package identity is who a request acts as. Authentication (package auth)
// produces a Principal and puts it in the request context; authorization
// (package authz) and every read path take it from there. It is a leaf
// package so both sides, the web areas and the plugin host, can import it.
package identity

import (
	"context"
	"slices"
)

// Kind says how a principal was established.
type Kind string

const (
	// KindUser is a signed-in user (OIDC session).
	KindUser Kind = "user"
	// KindToken is an API token sent as Authorization: Bearer.
	KindToken Kind = "token"
	// KindGuest is the configured guest (auth.guest.enabled).
	KindGuest Kind = "guest"
	// KindService is Portico itself or a plugin's own identity (providers,
	// checks): limited by its grant, not by a user's permissions.
	KindService Kind = "service"
)

// Principal is the identity a request runs as.
type Principal struct {
	Kind Kind `json:"kind"`
	// UserRef is the canonical entity ref of the user ("user:default/jane");
	// for a guest "user:default/guest" unless configured; for a service the
	// service name ("plugin:pagerduty", "portico").
	UserRef string `json:"userRef"`
	// Claims are the ownership refs: the user and every group it belongs to,
	// transitively up the parent chain, canonical and sorted.
	Claims []string `json:"claims,omitempty"`
	// Roles are role names bound directly by configuration (a guest's role);
	// role bindings from policy are resolved by authz.
	Roles []string `json:"roles,omitempty"`
	// Scopes limit an API token to a subset of permissions ("catalog.entity.read");
	// empty means no limit beyond the user's.
	Scopes []string `json:"scopes,omitempty"`
	// SessionID or TokenID identifies the credential (for audit and revocation).
	CredentialID string `json:"credentialId,omitempty"`
}

// Anonymous reports whether p is the zero principal (no credentials).
func (p Principal) Anonymous() bool { return p.Kind == "" && p.UserRef == "" }

// Owns reports whether ref (canonical) is one of p's ownership claims.
func (p Principal) Owns(ref string) bool { return slices.Contains(p.Claims, ref) }

type key struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, key{}, p)
}

// From returns the principal of ctx; ok is false when none was set.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(key{}).(Principal)
	return p, ok
}
