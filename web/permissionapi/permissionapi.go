// Package permissionapi serves /api/permission: Backstage's central
// authorize endpoint (REFERENCE.md §5.2) and Portico's policy administration
// — read and replace the policy, read its audit trail. Policy reads need
// policy.read, changes policy.edit (admins in the default policy); every
// change is stored and audited by package authz.
//
// With permission disabled (a nil Authorizer) authorize answers ALLOW for
// everything, as Backstage with permission.enabled false, and the policy
// routes answer 404. It must never import cmd, config or a store
// implementation.
package permissionapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web"
)

// Prefix is where the API is mounted.
const Prefix = "/api/permission"

// EntityReader answers resource checks of authorize (catalog.Store does).
type EntityReader interface {
	EntityByRef(ctx context.Context, ref string, f catalog.Filter) (catalog.Record, error)
}

// Area is the permission API.
type Area struct {
	Authz *authz.Authorizer // nil: permission disabled
	Store EntityReader
}

var _ web.Area = (*Area)(nil)

// Mount implements web.Area.
func (a *Area) Mount(r fiber.Router) {
	g := r.Group(Prefix)
	g.Post("/authorize", a.authorize)
	g.Get("/policies", a.need(authz.PolicyRead), a.getPolicy)
	g.Put("/policies", a.need(authz.PolicyEdit), a.putPolicy)
	g.Get("/audit", a.need(authz.PolicyRead), a.getAudit)
	g.Get("/metadata", a.metadata)
}

// need answers 404 when permission is disabled and 403 unless perm is
// allowed, before the policy routes.
func (a *Area) need(perm string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if a.Authz == nil {
			return catalog.NotFoundf("Permissions are not enabled on this server (permission.enabled)")
		}
		if err := a.Authz.Require(c.UserContext(), perm); err != nil {
			return err
		}
		return c.Next()
	}
}

// PolicyResponse is GET /policies' answer and PUT's.
type PolicyResponse struct {
	Version int64         `json:"version"`
	Policy  *authz.Policy `json:"policy"`
}

func (a *Area) getPolicy(c *fiber.Ctx) error {
	p, v := a.Authz.Policy()
	return c.JSON(PolicyResponse{Version: v, Policy: p})
}

// putPolicy replaces the policy. The body is the policy document, JSON or
// YAML. With `If-Match: <version>` (or ?version=) the change is refused
// with 409 when the policy changed meanwhile.
func (a *Area) putPolicy(c *fiber.Ctx) error {
	ctx := c.UserContext()
	expect := c.Get(fiber.HeaderIfMatch, c.Query("version"))
	var ver int64
	if expect != "" {
		v, err := strconv.ParseInt(expect, 10, 64)
		if err != nil || v < 1 {
			return catalog.Inputf("Invalid version %q, expected the version number GET returned", expect)
		}
		ver = v
	}
	p, err := authz.ParsePolicy(c.Body())
	if err != nil {
		return catalog.Inputf("%v", err)
	}
	v, err := a.Authz.Update(ctx, p, who(ctx), ver)
	if err != nil {
		return err
	}
	return c.JSON(PolicyResponse{Version: v, Policy: p})
}

func who(ctx context.Context) string {
	p, _ := identity.From(ctx)
	if p.UserRef == "" {
		return "anonymous"
	}
	return p.UserRef
}

func (a *Area) getAudit(c *fiber.Ctx) error {
	st := a.Authz.Store()
	if st == nil {
		return c.JSON(fiber.Map{"items": []authz.AuditEntry{}})
	}
	limit := c.QueryInt("limit", 100)
	items, err := st.Audit(c.UserContext(), limit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// metadata is Backstage's /.well-known/backstage/permissions/metadata shape:
// the permissions and the catalog rules.
func (a *Area) metadata(c *fiber.Ctx) error {
	type rule struct {
		Name         string   `json:"name"`
		ResourceType string   `json:"resourceType"`
		Params       []string `json:"params"`
	}
	rules := []rule{
		{authz.RuleIsEntityOwner, authz.ResourceEntity, []string{"claims?"}},
		{authz.RuleIsEntityKind, authz.ResourceEntity, []string{"kinds"}},
		{authz.RuleHasAnnotation, authz.ResourceEntity, []string{"annotation", "value?"}},
		{authz.RuleHasLabel, authz.ResourceEntity, []string{"label", "value?"}},
		{authz.RuleHasMetadata, authz.ResourceEntity, []string{"key", "value?"}},
		{authz.RuleHasSpec, authz.ResourceEntity, []string{"key", "value?"}},
	}
	return c.JSON(fiber.Map{"permissions": authz.Permissions(), "rules": rules})
}

// authorizeRequest is POST /authorize's body.
type authorizeRequest struct {
	Items []struct {
		ID         string `json:"id"`
		Permission struct {
			Type         string            `json:"type"`
			Name         string            `json:"name"`
			Attributes   map[string]string `json:"attributes"`
			ResourceType string            `json:"resourceType"`
		} `json:"permission"`
		ResourceRef json.RawMessage `json:"resourceRef"`
	} `json:"items"`
}

// authorizeItem is one answer: ALLOW / DENY, or CONDITIONAL with the
// conditions for the caller to apply.
type authorizeItem struct {
	ID           string          `json:"id"`
	Result       authz.Result    `json:"result"`
	PluginID     string          `json:"pluginId,omitempty"`
	ResourceType string          `json:"resourceType,omitempty"`
	Conditions   *authz.Criteria `json:"conditions,omitempty"`
}

// authorize is POST /authorize. An item with a resourceRef (an entity ref)
// gets ALLOW or DENY, its conditions applied in the store; without one, a
// conditional permission answers CONDITIONAL.
func (a *Area) authorize(c *fiber.Ctx) error {
	var req authorizeRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	if err := dec.Decode(&req); err != nil {
		return catalog.Inputf("Invalid request body: %v", err)
	}
	if req.Items == nil {
		return catalog.Inputf("Invalid request body: items is required")
	}
	ctx := c.UserContext()
	out := make([]authorizeItem, 0, len(req.Items))
	for _, it := range req.Items {
		if it.Permission.Name == "" {
			return catalog.Inputf("Invalid request body: items[].permission.name is required")
		}
		d := a.Authz.Decide(ctx, it.Permission.Name)
		ans := authorizeItem{ID: it.ID, Result: d.Result}
		if d.Result == authz.Conditional {
			var ref string
			if len(bytes.TrimSpace(it.ResourceRef)) > 0 && string(it.ResourceRef) != "null" {
				if err := json.Unmarshal(it.ResourceRef, &ref); err != nil {
					return catalog.Inputf("Invalid request body: resourceRef must be a string")
				}
			}
			if ref == "" {
				ans.PluginID, ans.ResourceType, ans.Conditions = "catalog", authz.ResourceEntity, d.Conditions
			} else {
				ans.Result = authz.Deny
				if r, err := catalog.ParseRef(ref, catalog.RefContext{DefaultNamespace: catalog.DefaultNamespace}); err == nil && a.Store != nil {
					if _, err := a.Store.EntityByRef(ctx, r.String(), d.Filter()); err == nil {
						ans.Result = authz.Allow
					}
				}
			}
		}
		out = append(out, ans)
	}
	return c.JSON(fiber.Map{"items": out})
}
