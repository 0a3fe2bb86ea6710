package ui_test

import (
	"context"
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/ui"
)

// TestPolicyAdminPage: only policy readers see the page, only editors save;
// a rejected document comes back with the error and the text as typed; a
// saved one is applied and audited with who made it.
func TestPolicyAdminPage(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pol, err := authz.ParsePolicy([]byte("roles: {admin: {}}\nbindings: [{subject: user:default/ada, roles: [admin]}]\nrules: [{subject: admin, permissions: [\"*\"]}]"))
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.Open(ctx, &authz.PolicyStore{KV: st}, pol)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ui.New(ui.Options{Store: st, Policies: az})
	if err != nil {
		t.Fatal(err)
	}
	var who identity.Principal
	app := web.New(web.Options{Store: st, Areas: []web.Area{u}, Middleware: []fiber.Handler{func(c *fiber.Ctx) error {
		c.SetUserContext(identity.With(c.UserContext(), who))
		c.Locals("csrf", "tok-123")
		return c.Next()
	}}})
	do := func(method, path, form string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(form))
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	who = identity.Principal{Kind: identity.KindUser, UserRef: "user:default/bob", Claims: []string{"user:default/bob"}}
	if code, _ := do("GET", "/admin/policies", ""); code != 403 {
		t.Errorf("non-admin sees the policy page: %d", code)
	}
	if code, _ := do("POST", "/admin/policies", "policy=x"); code != 403 {
		t.Errorf("non-admin saves a policy: %d", code)
	}
	who = identity.Principal{Kind: identity.KindUser, UserRef: "user:default/ada", Claims: []string{"user:default/ada"}}
	code, body := do("GET", "/admin/policies", "")
	if code != 200 || !strings.Contains(body, `name="_csrf" value="tok-123"`) || !strings.Contains(body, "version 1") || !strings.Contains(body, "bootstrap") {
		t.Fatalf("admin page: %d\n%s", code, body)
	}
	if !strings.Contains(body, `<a href="/admin/policies" aria-current="page">Policies</a>`) {
		t.Errorf("the navigation does not link the policy page:\n%s", body)
	}
	bad := "roles: {admin: {}}\nrules: [{subject: admin, permissions: [catalog.entity.fly]}]"
	code, body = do("POST", "/admin/policies", "version=1&policy="+url.QueryEscape(bad))
	if code != 400 || !strings.Contains(body, "unknown permission") || !strings.Contains(body, "catalog.entity.fly") {
		t.Fatalf("bad policy: %d\n%s", code, body)
	}
	good := "roles: {admin: {}}\nbindings: [{subject: user:default/ada, roles: [admin]}]\nrules: [{subject: admin, permissions: [\"*\"]}, {subject: user:default/bob, permissions: [policy.read]}]"
	if code, _ = do("POST", "/admin/policies", "version=1&policy="+url.QueryEscape(good)); code != 303 {
		t.Fatalf("save: %d", code)
	}
	if code, _ = do("POST", "/admin/policies", "version=1&policy="+url.QueryEscape(good)); code != 400 {
		t.Errorf("save over a stale version: %d, want 400 with the conflict", code)
	}
	log, err := az.Store().Audit(ctx, 10)
	if err != nil || len(log) != 2 || log[0].Who != "user:default/ada" || log[0].Version != 2 {
		t.Fatalf("audit: %+v %v", log, err)
	}
	who = identity.Principal{Kind: identity.KindUser, UserRef: "user:default/bob", Claims: []string{"user:default/bob"}}
	code, body = do("GET", "/admin/policies", "")
	if code != 200 || !strings.Contains(body, "readonly") || strings.Contains(body, "Save policy") {
		t.Errorf("reader without policy.edit: %d, form must be read-only", code)
	}
}
