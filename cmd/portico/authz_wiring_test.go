package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/cardcache"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
)

const isolationOrg = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: payments, description: Takes the money}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout}
spec: {type: website, lifecycle: production, owner: team-b}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: ledger}
spec: {type: service, lifecycle: production, owner: team-gone}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a, title: Team A}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b, title: Team B}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob}
spec: {memberOf: [team-b]}
`

// isolationPolicy: everyone reads what their team owns and users; jane may
// also read groups. So bob may read checkout but not its owner group.
const isolationPolicy = `
defaultRoles: [viewer]
roles: {viewer: {}}
rules:
  - subject: viewer
    permissions: [catalog.entity.read]
    conditions: {anyOf: [{rule: IS_ENTITY_OWNER}, {rule: IS_ENTITY_KIND, params: {kinds: [user]}}]}
  - subject: user:default/jane
    permissions: [catalog.entity.read]
    conditions: {rule: IS_ENTITY_KIND, params: {kinds: [group]}}
`

// TestPluginCannotReadPastItsUser runs the frozen go-conformance plugin
// against a real SQLite store and search index wired as serve wires them:
// a card, a route and the search host function called for a user return
// only what that user may read, through portico_catalog_get_v1,
// portico_catalog_query_v1 and portico_search_v1; a system call (a
// provider's own identity) is limited only by its grant.
func TestPluginCannotReadPastItsUser(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(file, []byte(isolationOrg), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kinds, _ := catalog.NewKinds(nil)
	eng := ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: file}}})
	if err := eng.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := eng.ProcessAll(ctx); err != nil || s.Errors > 0 {
		t.Fatalf("ingest %+v %v", s, err)
	}
	ix, err := bleve.Open(ctx, filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if _, err := search.Reindex(ctx, st, ix, 0, nil); err != nil {
		t.Fatal(err)
	}
	pol, err := authz.ParsePolicy([]byte(isolationPolicy))
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(pol)
	if err != nil {
		t.Fatal(err)
	}
	cat := &services.StoreCatalog{Store: st, Visible: callerFilterFor(az)}
	mem := services.NewMemory()
	mem.SetConfig("go-conformance", json.RawMessage(`{"greeting": "hello"}`))
	mem.SetSecret("go-conformance", "token", "abc123")
	src, err := host.ReadSource(filepath.Join("..", "..", "host", "testdata", "abi", "v1", "go-conformance"))
	if err != nil {
		t.Fatal(err)
	}
	wasmCache := filepath.Join(dir, "wasm") // shared by the subtests: one compilation
	for _, backend := range []struct {
		name   string
		search services.Search
	}{
		{"store search", cat},
		{"index search", &search.PluginSearch{Index: ix, Visible: callerFilterFor(az)}},
	} {
		t.Run(backend.name, func(t *testing.T) {
			h, err := host.New(host.Options{CacheDir: wasmCache,
				Services: services.Set{Catalog: cat, Search: backend.search, KV: st, Config: mem, Secrets: mem}})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close(ctx)
			p, err := h.LoadSource(ctx, src, host.LoadOptions{Grant: &services.Grant{Catalog: "read", Search: true, KV: true, Secrets: []string{"token"}}})
			if err != nil {
				t.Fatal(err)
			}
			jane := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/jane", Claims: []string{"group:default/team-a", "user:default/jane"}}
			bob := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/bob", Claims: []string{"group:default/team-b", "user:default/bob"}}
			// as is a request's context: its principal, and the Caller the UI passes.
			as := func(pr identity.Principal) context.Context {
				if pr.Anonymous() {
					return ctx // a provider's schedule: the system caller
				}
				return services.WithCaller(identity.With(ctx, pr), services.Caller{UserRef: pr.UserRef, Claims: pr.Claims})
			}
			entity := func(ref string) json.RawMessage {
				rec, err := st.EntityByRef(ctx, ref, catalog.Filter{})
				if err != nil {
					t.Fatal(err)
				}
				return rec.JSON
			}
			owner := func(c *host.Card) string {
				for _, f := range c.Fields {
					if f.Label == "Owner" {
						return f.Value
					}
				}
				return "?"
			}
			call := func(cx context.Context, export string, in map[string]any) map[string]any {
				b, err := p.Input(cx, in)
				if err != nil {
					t.Fatal(err)
				}
				out, err := p.Call(cx, export, b)
				if err != nil {
					t.Fatalf("%s: %v", export, err)
				}
				var m map[string]any
				if err := json.Unmarshal(out, &m); err != nil {
					t.Fatal(err)
				}
				return m
			}

			// portico_catalog_get_v1 from a card: the owner group.
			if c, err := p.Card(as(jane), "conformance", entity("component:default/payments")); err != nil || owner(c) != "Team A" {
				t.Errorf("jane's card: owner %q, %v", owner(c), err)
			}
			if c, err := p.Card(as(bob), "conformance", entity("component:default/checkout")); err != nil || owner(c) != "not_found" {
				t.Errorf("bob's card reads a group bob may not read: owner %q, %v", owner(c), err)
			}
			// Through the card cache: a card rendered for jane is never served to bob.
			cc := cardcache.NewCards(cardcache.Options{})
			for _, c := range []struct {
				pr   identity.Principal
				want string
			}{{jane, "Team B"}, {bob, "not_found"}, {jane, "Team B"}} {
				card, _, err := cc.Card(as(c.pr), p, "conformance", "component:default/checkout", entity("component:default/checkout"))
				if err != nil || owner(card) != c.want {
					t.Errorf("cached card for %s: owner %q, want %q (%v)", c.pr.UserRef, owner(card), c.want, err)
				}
			}
			// portico_catalog_get_v1 directly (probe): payments is team-a's.
			for pr, want := range map[*identity.Principal]string{&jane: "ok", &bob: "not_found"} {
				out := call(as(*pr), "probe", map[string]any{"action": "probe"})
				if got := out["output"].(map[string]any)["catalog_get"]; got != want {
					t.Errorf("%s probe catalog_get payments: %v, want %s", pr.UserRef, got, want)
				}
			}
			// portico_catalog_query_v1 from a route: how many entities match.
			route := map[string]any{"method": "GET", "path": "/", "query": map[string]any{"q": []string{"backstage"}}}
			for name, c := range map[string]struct {
				pr   identity.Principal
				hits float64
			}{
				"jane":   {jane, 5},                 // payments, two users, two groups
				"bob":    {bob, 3},                  // checkout, two users
				"system": {identity.Principal{}, 8}, // everything, the location entity too
			} {
				out := call(as(c.pr), "route", route)
				if got := out["json"].(map[string]any)["hits"]; got != c.hits {
					t.Errorf("%s route catalog query: %v hits, want %v", name, got, c.hits)
				}
			}
			// portico_search_v1 (the check export searches for the entity's name).
			check := func(pr identity.Principal, ref string) string {
				out := call(as(pr), "check", map[string]any{"check": "searchable", "entity": entity(ref)})
				msg, _ := out["message"].(string)
				return msg
			}
			if got := check(jane, "component:default/payments"); got != "component:default/payments" {
				t.Errorf("jane searches payments: %q", got)
			}
			if got := check(bob, "component:default/payments"); strings.Contains(got, "payments") {
				t.Errorf("bob's search found payments: %q", got)
			}
			if got := check(identity.Principal{}, "component:default/ledger"); got != "component:default/ledger" {
				t.Errorf("system search: %q", got)
			}
		})
	}
}

// TestServeWithPermissions starts serve with permission.enabled and a policy
// file: the guest (a viewer owning nothing) reads an empty catalog, may not
// read or edit the policy nor register locations, and the policy the file
// seeded is stored and audited.
func TestServeWithPermissions(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "catalog/one.yaml", goodComponent)
	writeTestFile(t, dir, "policy.yaml", "defaultRoles: [viewer]\nroles: {viewer: {}}\nrules:\n"+
		"  - {subject: viewer, permissions: [catalog.entity.read], conditions: {rule: IS_ENTITY_OWNER}}\n")
	cfg := writeTestFile(t, dir, "portico.yaml",
		"server:\n  data: ./data\ncatalog:\n  processingInterval: false\n  locations:\n    - type: file\n      target: catalog/one.yaml\n"+
			"auth:\n  guest: {enabled: true, role: viewer}\npermission: {enabled: true, policyFile: policy.yaml}\n")
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- serve(ctx, cfg, addr, "", slog.New(slog.NewTextHandler(&logs, nil))) }()
	base := "http://" + addr
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var code int
	var body string
	for i := 0; i < 100; i++ { // wait for the listener, not for a duration
		if code, body = get("/api/catalog/entities"); code != 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("guest entities: %d %s\n%s", code, body, logs.String())
	}
	if code, _ := get("/api/catalog/entities/by-name/component/default/svc"); code != 404 {
		t.Errorf("guest by-name: %d, want 404", code)
	}
	if code, _ := get("/api/permission/policies"); code != 403 {
		t.Errorf("guest reads the policy: %d", code)
	}
	if code, _ := get("/admin/policies"); code != 403 {
		t.Errorf("guest opens the policy page: %d", code)
	}
	resp, err := http.Post(base+"/api/catalog/locations", "application/json", strings.NewReader(`{"type":"file","target":"/x"}`))
	if err != nil || resp.StatusCode != 403 {
		t.Errorf("guest registers a location: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(logs.String(), "permissions enabled") {
		t.Errorf("not logged:\n%s", logs.String())
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	audit, err := (&authz.PolicyStore{KV: st}).Audit(context.Background(), 10)
	if err != nil || len(audit) != 1 || audit[0].Action != "bootstrap" {
		t.Errorf("audit after start: %+v %v", audit, err)
	}
}

// TestSearchNeedsSearchQuery: /api/search sees nothing without search.query,
// and what the reader may read with it.
func TestSearchNeedsSearchQuery(t *testing.T) {
	pol, err := authz.ParsePolicy([]byte("roles: {}\nrules:\n" +
		"  - {subject: user:default/jane, permissions: [search.query, catalog.entity.read]}\n" +
		"  - {subject: user:default/bob, permissions: [catalog.entity.read]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(pol)
	if err != nil {
		t.Fatal(err)
	}
	if searchFilterFor(nil) != nil || readFilterFor(nil) != nil || callerFilterFor(nil) != nil {
		t.Fatal("permission disabled must leave the hooks nil (everything visible)")
	}
	vis := searchFilterFor(az)
	app := fiber.New()
	app.Get("/:user", func(c *fiber.Ctx) error {
		c.SetUserContext(identity.With(c.UserContext(), identity.Principal{Kind: identity.KindUser, UserRef: "user:default/" + c.Params("user")}))
		f, err := vis(c)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"zero": f.IsZero(), "nothing": f.IsAny() && len(f.Any) == 0})
	})
	for user, want := range map[string]string{"jane": `{"nothing":false,"zero":true}`, "bob": `{"nothing":true,"zero":false}`} {
		resp, err := app.Test(httptest.NewRequest("GET", "/"+user, nil))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != want {
			t.Errorf("%s: %s, want %s", user, b, want)
		}
	}
}
