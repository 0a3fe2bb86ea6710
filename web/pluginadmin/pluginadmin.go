// Package pluginadmin is the HTTP admin API of the plugin registry, mounted
// by serve as a web.Area under /api/admin/plugins: list, inspect, install,
// upgrade, grant and remove plugins in the running portal. Each change goes
// through host/registry (verified, pinned in the lockfile) and is then applied
// to the running host in-process; calls in flight finish on the old version.
//
// Permissions (package authz, Options.Authz): listing and inspecting need
// plugin.read; install, upgrade and remove need plugin.install; grant needs
// plugin.grant. Installing and upgrading grant what the request names, so
// they need plugin.grant too. The default policy gives these to admins only.
// Denied calls answer 403 NotAllowedError. It must never import cmd, catalog
// stores or config.
package pluginadmin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/registry"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/web"
)

// Prefix is where the API is mounted.
const Prefix = "/api/admin/plugins"

// Options wire the API.
type Options struct {
	Manager *registry.Manager
	// Live applies lockfile changes to the running host (nil: changes are
	// recorded only, e.g. for a server watching the lockfile).
	Live   *registry.Live
	Logger *slog.Logger
	// Authz decides who may use the API (nil: everyone, permission.enabled: false).
	Authz *authz.Authorizer
}

// Area is the admin API.
type Area struct{ o Options }

var _ web.Area = (*Area)(nil)

// New returns the admin API area.
func New(o Options) *Area {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Area{o: o}
}

// Mount implements web.Area.
func (a *Area) Mount(r fiber.Router) {
	g := r.Group(Prefix)
	g.Get("/", a.need(authz.PluginRead), a.list)
	g.Get("/inspect", a.need(authz.PluginRead), a.inspect)
	g.Post("/", a.need(authz.PluginInstall, authz.PluginGrant), a.install)
	g.Post("/:name/upgrade", a.need(authz.PluginInstall, authz.PluginGrant), a.upgrade)
	g.Post("/:name/grant", a.need(authz.PluginGrant), a.grant)
	g.Delete("/:name", a.need(authz.PluginInstall), a.remove)
}

// need refuses the request (403) unless every permission is allowed.
func (a *Area) need(perms ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		for _, p := range perms {
			if err := a.o.Authz.Require(c.UserContext(), p); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

// Plugin is one installed plugin as the API shows it.
type Plugin struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Ref          string          `json:"ref"`
	Digest       string          `json:"digest"`
	ModuleDigest string          `json:"moduleDigest"`
	ABI          int             `json:"abi"`
	Requested    services.Grant  `json:"requested"`
	Granted      services.Grant  `json:"granted"`
	Signer       string          `json:"signer,omitempty"`
	Loaded       bool            `json:"loaded"`
	Pending      *Plugin         `json:"pending,omitempty"`
	NotGranted   *services.Grant `json:"notGranted,omitempty"`
}

// Request is the body of install, upgrade and grant.
type Request struct {
	Ref    string   `json:"ref,omitempty"`
	Grants []string `json:"grants,omitempty"`
	// Yes grants everything the plugin asks for.
	Yes bool `json:"yes,omitempty"`
	// PlainHTTP talks HTTP, not HTTPS, to the registry.
	PlainHTTP bool `json:"plainHTTP,omitempty"`
}

func (a *Area) view(e *registry.Entry) *Plugin {
	if e == nil {
		return nil
	}
	ref := e.Ref()
	ref.Digest, ref.Tag = "", e.Tag
	p := &Plugin{Name: e.Name, Version: e.Version, Ref: ref.String(), Digest: e.Digest, ModuleDigest: e.ModuleDigest,
		ABI: e.ABI, Requested: e.Requested, Granted: e.Granted, Signer: e.Signer, Pending: a.view(e.Pending)}
	if a.o.Live != nil && a.o.Live.Host != nil {
		if lp := a.o.Live.Host.Plugin(e.Name); lp != nil && lp.Source() != nil {
			p.Loaded = e.ModuleDigest == "sha256:"+lp.Source().SHA256
		}
	}
	return p
}

func (a *Area) list(c *fiber.Ctx) error {
	es, err := a.o.Manager.List()
	if err != nil {
		return err
	}
	out := make([]*Plugin, 0, len(es))
	for _, e := range es {
		out = append(out, a.view(e))
	}
	return c.JSON(fiber.Map{"items": out})
}

func (a *Area) inspect(c *fiber.Ctx) error {
	ref := c.Query("ref")
	if ref == "" {
		return catalog.Inputf("query parameter ref is required")
	}
	art, err := a.o.Manager.Inspect(c.UserContext(), ref)
	if err != nil {
		return catalog.Inputf("%v", err)
	}
	return c.JSON(fiber.Map{
		"ref": art.Ref.String(), "digest": art.Digest, "name": art.Manifest.Metadata.Name,
		"version": art.Manifest.Metadata.Version, "abi": art.Manifest.Spec.ABI,
		"permissions": art.Manifest.Spec.Permissions, "signed": art.Signature != "", "signerKey": art.SignerKey,
	})
}

func decode(c *fiber.Ctx) (Request, error) {
	var r Request
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return r, nil
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, catalog.Inputf("request body: %v", err)
	}
	return r, nil
}

func (a *Area) install(c *fiber.Ctx) error {
	req, err := decode(c)
	if err != nil {
		return err
	}
	if req.Ref == "" {
		return catalog.Inputf("ref is required")
	}
	res, err := a.o.Manager.Install(c.UserContext(), registry.Request{Ref: req.Ref, Grants: req.Grants, All: req.Yes, PlainHTTP: req.PlainHTTP})
	return a.done(c, res, err, fiber.StatusCreated)
}

func (a *Area) upgrade(c *fiber.Ctx) error {
	req, err := decode(c)
	if err != nil {
		return err
	}
	res, err := a.o.Manager.Upgrade(c.UserContext(), c.Params("name"), registry.Request{Ref: req.Ref, Grants: req.Grants, All: req.Yes, PlainHTTP: req.PlainHTTP})
	return a.done(c, res, err, fiber.StatusOK)
}

func (a *Area) grant(c *fiber.Ctx) error {
	req, err := decode(c)
	if err != nil {
		return err
	}
	if req.Ref != "" {
		return catalog.Inputf("grant takes no ref")
	}
	res, err := a.o.Manager.Grant(c.UserContext(), c.Params("name"), registry.Request{Grants: req.Grants, All: req.Yes})
	return a.done(c, res, err, fiber.StatusOK)
}

func (a *Area) remove(c *fiber.Ctx) error {
	if err := a.o.Manager.Remove(c.UserContext(), c.Params("name")); err != nil {
		return classify(err)
	}
	if err := a.apply(c.UserContext()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// done applies a change to the running host and answers with the plugin.
func (a *Area) done(c *fiber.Ctx, res *registry.Result, err error, status int) error {
	if err != nil {
		return classify(err)
	}
	if err := a.apply(c.UserContext()); err != nil {
		return err
	}
	p := a.view(res.Entry)
	if ng := res.NotGranted; registry.FormatGrant(ng) != "none" { // registry's one reading of every capability
		p.NotGranted = &ng
	}
	return c.Status(status).JSON(p)
}

func (a *Area) apply(ctx context.Context) error {
	if a.o.Live == nil {
		return nil
	}
	if err := a.o.Live.Reconcile(ctx); err != nil {
		a.o.Logger.Error("apply plugin change", "err", err)
		return catalog.Conflictf("recorded, but the running portal could not load it: %v", err)
	}
	return nil
}

// classify maps registry errors to the API's error kinds.
func classify(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, registry.ErrNotInstalled):
		return catalog.NotFoundf("%s", msg)
	case errors.Is(err, registry.ErrUntrusted), errors.Is(err, host.ErrPermission):
		return &catalog.NotAllowedError{Msg: msg}
	}
	return catalog.Inputf("%s", msg)
}
