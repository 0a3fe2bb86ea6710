package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/permissionapi"
)

// wireAuthz sets rt.authz from the permission section: with enabled false
// it stays nil and every request is allowed (Backstage's default); otherwise
// the policy stored in the catalog store, bootstrapped from
// permission.policyFile (or the built-in policy) on first start, reloaded
// every permission.reloadInterval until ctx ends so replicas follow changes
// made through any of them.
func wireAuthz(ctx context.Context, rt *runtime) error {
	pc := rt.cfg.Permission
	log := rt.log.With("area", "authz")
	if !pc.Enabled {
		log.Info("permissions disabled (permission.enabled: false): every request is allowed")
		return nil
	}
	var boot *authz.Policy
	if pc.PolicyFile != "" {
		data, err := os.ReadFile(pc.PolicyFile)
		if err != nil {
			return fmt.Errorf("permission.policyFile: %w", err)
		}
		if boot, err = authz.ParsePolicy(data); err != nil {
			return fmt.Errorf("permission.policyFile %s: %w", pc.PolicyFile, err)
		}
	}
	a, err := authz.Open(ctx, &authz.PolicyStore{KV: rt.store}, boot)
	if err != nil {
		return fmt.Errorf("permission policy: %w", err)
	}
	_, v := a.Policy()
	log.Info("permissions enabled", "policyVersion", v, "policyFile", pc.PolicyFile, "reload", pc.ReloadInterval.String())
	go a.Watch(ctx, pc.ReloadInterval, log)
	rt.authz = a
	return nil
}

// permissionArea is /api/permission (authorize, policies, audit).
func permissionArea(rt *runtime) web.Area {
	return &permissionapi.Area{Authz: rt.authz, Store: rt.store}
}

// readFilterFor is the request's catalog.entity.read filter, for the UI,
// graph and search hooks; nil when permissions are disabled.
func readFilterFor(a *authz.Authorizer) func(c *fiber.Ctx) (catalog.Filter, error) {
	if a == nil {
		return nil
	}
	return func(c *fiber.Ctx) (catalog.Filter, error) {
		return a.ReadFilter(c.UserContext()), nil
	}
}

// searchFilterFor is /api/search's visibility: nothing without search.query
// (an empty answer, as a denied read), else what the reader may read.
func searchFilterFor(a *authz.Authorizer) func(c *fiber.Ctx) (catalog.Filter, error) {
	if a == nil {
		return nil
	}
	return func(c *fiber.Ctx) (catalog.Filter, error) {
		if a.Decide(c.UserContext(), authz.SearchQuery).Result != authz.Allow {
			return catalog.AnyOf(), nil
		}
		return a.ReadFilter(c.UserContext()), nil
	}
}

// callerFilterFor is what a plugin call may read (host/services.Visible,
// search.PluginSearch.Visible): a card or route call runs as the requesting
// user — the request's principal, which travels in the call's context, or
// else the Caller the host was given; the system caller (providers, checks:
// the plugin's own identity) is limited by its install grant only, which
// the host enforces. nil when permissions are disabled.
func callerFilterFor(a *authz.Authorizer) func(ctx context.Context, as services.Caller) (catalog.Filter, error) {
	if a == nil {
		return nil
	}
	return func(ctx context.Context, as services.Caller) (catalog.Filter, error) {
		if p, ok := identity.From(ctx); ok { // a request's principal, even anonymous (→ nothing)
			return a.DecideFor(p, authz.CatalogEntityRead).Filter(), nil
		}
		if as.IsSystem() {
			return catalog.Filter{}, nil
		}
		p := identity.Principal{Kind: identity.KindUser, UserRef: as.UserRef, Claims: as.Claims}
		return a.DecideFor(p, authz.CatalogEntityRead).Filter(), nil
	}
}
