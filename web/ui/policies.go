package ui

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/identity"
)

// The permission policy admin page (/admin/policies): the current policy
// as an editable JSON document, and its audit trail. Reading needs
// policy.read, saving policy.edit; a rejected document is shown again with
// the error, so nothing typed is lost. The form carries the CSRF token the
// auth middleware checks.

// auditView is one audit entry as the page shows it.
type auditView struct {
	At, Who, Action string
	Version         int64
	Before, After   string
}

type policiesPage struct {
	base
	Enabled  bool
	CanEdit  bool
	Version  int64
	Document string
	Error    string
	Saved    bool
	Audit    []auditView
}

func (u *UI) policiesData(c *fiber.Ctx) (policiesPage, error) {
	d := policiesPage{base: u.baseFor(c, "Permission policy", "policies")}
	a := u.opts.Policies
	if a == nil {
		return d, nil
	}
	d.Enabled = true
	ctx := c.UserContext()
	if err := a.Require(ctx, authz.PolicyRead); err != nil {
		return d, err
	}
	d.CanEdit = a.Require(ctx, authz.PolicyEdit) == nil
	p, v := a.Policy()
	d.Version, d.Document = v, string(p.JSON())
	if st := a.Store(); st != nil {
		entries, err := st.Audit(ctx, 50)
		if err != nil {
			return d, err
		}
		for _, e := range entries {
			d.Audit = append(d.Audit, auditView{At: e.At.Format(time.RFC3339), Who: e.Who, Action: e.Action,
				Version: e.Version, Before: indentJSON(e.Before), After: indentJSON(e.After)})
		}
	}
	return d, nil
}

func indentJSON(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil || v == nil {
		return ""
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out)
}

// policies is GET /admin/policies.
func (u *UI) policies(c *fiber.Ctx) error {
	d, err := u.policiesData(c)
	if err != nil {
		return err
	}
	d.Saved = c.Query("saved") == "1"
	return u.render(c, "policies", d)
}

// savePolicy is POST /admin/policies (form fields policy, version, _csrf).
func (u *UI) savePolicy(c *fiber.Ctx) error {
	d, err := u.policiesData(c)
	if err != nil {
		return err
	}
	if !d.Enabled {
		return fiber.NewError(fiber.StatusNotFound, "permissions are not enabled on this server")
	}
	a, ctx := u.opts.Policies, c.UserContext()
	if err := a.Require(ctx, authz.PolicyEdit); err != nil {
		return err
	}
	doc := c.FormValue("policy")
	ver, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	who := "anonymous"
	if p, _ := identity.From(ctx); p.UserRef != "" {
		who = p.UserRef
	}
	p, err := authz.ParsePolicy([]byte(doc))
	if err == nil {
		_, err = a.Update(ctx, p, who, ver)
	}
	if err != nil {
		d.Document, d.Error = doc, err.Error()
		c.Status(fiber.StatusBadRequest)
		return u.render(c, "policies", d)
	}
	return c.Redirect("/admin/policies?saved=1", fiber.StatusSeeOther)
}
