package main

import (
	"context"

	"github.com/portico-dev/portico/auth"
	"github.com/portico-dev/portico/web"
)

// withAuth adds authentication to serve's web options: auth's middleware runs
// before every area (it identifies each request and refuses the anonymous
// where guest access is off) and its routes (/auth/…, /api/auth/me) are
// mounted first.
func withAuth(rt *runtime, opts web.Options) web.Options {
	cfg := rt.cfg.Auth
	log := rt.log.With("area", "auth")
	svc := auth.New(auth.Options{Config: cfg, Store: rt.store, Logger: log})
	if err := svc.Sweep(context.Background(), 1000); err != nil {
		log.Warn("sweep expired sessions", "err", err)
	}
	methods := []any{"tokens", true, "oidc", cfg.OIDC != nil, "guest", cfg.Guest.Enabled}
	if cfg.OIDC != nil {
		methods = append(methods, "issuer", cfg.OIDC.Issuer, "resolver", cfg.OIDC.Resolver)
	}
	if cfg.Guest.Enabled {
		methods = append(methods, "guestUser", cfg.Guest.User, "guestRole", cfg.Guest.Role)
	}
	log.Info("authentication", append(methods, "baseUrl", cfg.BaseURL)...)
	if cfg.OIDC == nil && !cfg.Guest.Enabled {
		log.Warn("no sign-in configured (auth.oidc, auth.guest): only API tokens are accepted")
	}
	opts.Middleware = append(opts.Middleware, svc.Middleware())
	opts.Areas = append([]web.Area{web.AreaFunc(svc.Mount)}, opts.Areas...)
	return opts
}
