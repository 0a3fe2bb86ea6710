package authz_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/identity"
)

const testPolicy = `
defaultRoles: [viewer]
roles:
  admin: {inherits: [editor]}
  editor: {inherits: [viewer]}
  viewer: {}
  auditor: {}
bindings:
  - {subject: group:default/platform, roles: [admin]}
  - {subject: "group:team-a", roles: [editor]}
rules:
  - {subject: admin, permissions: ["*"]}
  - {subject: editor, permissions: [catalog.location.create]}
  - subject: editor
    permissions: [catalog.entity.delete, catalog.entity.refresh]
    conditions: {rule: isEntityOwner}
  - subject: viewer
    permissions: [catalog.entity.read]
    conditions:
      anyOf:
        - {rule: IS_ENTITY_OWNER}
        - {rule: IS_ENTITY_KIND, params: {kinds: [group, user]}}
  - {subject: viewer, permissions: [search.query, catalog.location.read]}
  - {subject: auditor, permissions: [policy.read]}
  - {subject: user:default/mallory, permissions: ["catalog.*"], effect: deny}
`

func mustPolicy(t testing.TB, s string) *authz.Policy {
	t.Helper()
	p, err := authz.ParsePolicy([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDecisions(t *testing.T) {
	a, err := authz.New(mustPolicy(t, testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	admin := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/ada", Claims: []string{"user:default/ada", "group:default/platform"}}
	alice := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/alice", Claims: []string{"user:default/alice", "group:default/team-a"}}
	bob := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/bob", Claims: []string{"user:default/bob", "group:default/team-b"}}
	guest := identity.Principal{Kind: identity.KindGuest, UserRef: "user:default/guest", Roles: []string{"auditor"}}
	mallory := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/mallory", Claims: []string{"user:default/mallory", "group:default/platform"}}
	token := identity.Principal{Kind: identity.KindToken, UserRef: "user:default/ada", Claims: admin.Claims, Scopes: []string{"catalog.entity.read"}}
	cases := []struct {
		name string
		p    identity.Principal
		perm string
		want authz.Result
	}{
		{"admin reads", admin, authz.CatalogEntityRead, authz.Allow},
		{"admin installs", admin, authz.PluginInstall, authz.Allow},
		{"editor reads conditionally", alice, authz.CatalogEntityRead, authz.Conditional},
		{"editor deletes own", alice, authz.CatalogEntityDelete, authz.Conditional},
		{"editor registers", alice, authz.CatalogLocationCreate, authz.Allow},
		{"editor cannot install", alice, authz.PluginInstall, authz.Deny},
		{"viewer cannot delete", bob, authz.CatalogEntityDelete, authz.Deny},
		{"viewer searches", bob, authz.SearchQuery, authz.Allow},
		{"guest role from principal", guest, authz.PolicyRead, authz.Allow},
		{"deny wins over admin", mallory, authz.CatalogEntityRead, authz.Deny},
		{"deny only where it says", mallory, authz.PluginInstall, authz.Allow},
		{"token scope allows", token, authz.CatalogEntityRead, authz.Allow},
		{"token scope limits", token, authz.PluginInstall, authz.Deny},
		{"anonymous", identity.Principal{}, authz.CatalogEntityRead, authz.Deny},
		{"unknown permission", admin, "catalog.entity.fly", authz.Deny},
		{"service reads", identity.Principal{Kind: identity.KindService, UserRef: "plugin:x"}, authz.CatalogEntityRead, authz.Allow},
		{"service does not write", identity.Principal{Kind: identity.KindService, UserRef: "plugin:x"}, authz.CatalogEntityDelete, authz.Deny},
	}
	for _, c := range cases {
		got := a.DecideFor(c.p, c.perm)
		if got.Result != c.want {
			t.Errorf("%s: %s = %s, want %s", c.name, c.perm, got.Result, c.want)
		}
	}
	d := a.DecideFor(bob, authz.CatalogEntityRead)
	b, _ := json.Marshal(d.Conditions)
	want := `{"anyOf":[{"rule":"IS_ENTITY_OWNER","resourceType":"catalog-entity","params":{"claims":["user:default/bob","group:default/team-b"]}},{"rule":"IS_ENTITY_KIND","resourceType":"catalog-entity","params":{"kinds":["group","user"]}}]}`
	if string(b) != want {
		t.Errorf("conditions\n got %s\nwant %s", b, want)
	}
	f := d.Filter()
	if !f.MatchTokens(catalog.TokenSet{"relations.ownedby": {"group:default/team-b"}}) ||
		f.MatchTokens(catalog.TokenSet{"relations.ownedby": {"group:default/team-a"}, "kind": {"component"}}) ||
		!f.MatchTokens(catalog.TokenSet{"kind": {"group"}}) {
		t.Errorf("filter %+v does not mean the conditions", f)
	}
	if !(authz.Decision{Result: authz.Deny}).Filter().IsAny() {
		t.Error("DENY must filter to nothing")
	}
	var none *authz.Authorizer
	if none.Decide(context.Background(), authz.PluginInstall).Result != authz.Allow || !none.ReadFilter(context.Background()).IsZero() {
		t.Error("a nil authorizer (permission disabled) allows everything")
	}
}

func TestPolicyErrors(t *testing.T) {
	cases := map[string]string{
		"unknown key":        "roles: {}\nrules: []\nextra: 1",
		"unknown permission": "roles: {r: {}}\nrules: [{subject: r, permissions: [catalog.entity.fly]}]",
		"unknown role":       "roles: {}\nbindings: [{subject: group:default/a, roles: [ghost]}]\nrules: []",
		"cycle":              "roles: {a: {inherits: [b]}, b: {inherits: [a]}}\nrules: []",
		"conditional basic":  "roles: {r: {}}\nrules: [{subject: r, permissions: [plugin.install], conditions: {rule: IS_ENTITY_OWNER}}]",
		"deny conditions":    "roles: {r: {}}\nrules: [{subject: r, permissions: [catalog.entity.read], effect: deny, conditions: {rule: IS_ENTITY_OWNER}}]",
		"bad subject":        "roles: {}\nrules: [{subject: nobody, permissions: [\"*\"]}]",
		"component subject":  "roles: {}\nbindings: [{subject: component:default/x, roles: []}]\nrules: []",
		"bad rule":           "roles: {r: {}}\nrules: [{subject: r, permissions: [catalog.entity.read], conditions: {rule: IS_FUN}}]",
		"missing param":      "roles: {r: {}}\nrules: [{subject: r, permissions: [catalog.entity.read], conditions: {rule: HAS_LABEL}}]",
		"empty anyOf":        "roles: {r: {}}\nrules: [{subject: r, permissions: [catalog.entity.read], conditions: {anyOf: []}}]",
		"two shapes":         `{"roles": {"r": {}}, "rules": [{"subject": "r", "permissions": ["catalog.entity.read"], "conditions": {"rule": "HAS_LABEL", "params": {"label": "x"}, "not": {"rule": "HAS_SPEC", "params": {"key": "y"}}}}]}`,
		"json unknown":       `{"roles": {}, "rules": [], "x": 1}`,
		"empty":              "  ",
	}
	for name, doc := range cases {
		if _, err := authz.ParsePolicy([]byte(doc)); err == nil {
			t.Errorf("%s: accepted %q", name, doc)
		}
	}
	if _, err := authz.ParsePolicy(authz.DefaultPolicy().JSON()); err != nil {
		t.Errorf("the default policy's JSON does not parse back: %v", err)
	}
}

func TestStoreBootstrapUpdateAuditReload(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps := &authz.PolicyStore{KV: st}
	a, err := authz.Open(ctx, ps, mustPolicy(t, testPolicy))
	if err != nil {
		t.Fatal(err)
	}
	replica, err := authz.Open(ctx, &authz.PolicyStore{KV: st}, authz.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if _, v := replica.Policy(); v != 1 {
		t.Fatalf("second replica: version %d, want the stored 1", v)
	}
	bob := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/bob", Claims: []string{"user:default/bob"}}
	if replica.DecideFor(bob, authz.CatalogEntityRead).Result != authz.Conditional {
		t.Fatal("replica does not use the stored policy")
	}
	p := authz.DefaultPolicy()
	if _, err := a.Update(ctx, p, "user:default/ada", 5); err == nil {
		t.Fatal("update with a stale version accepted")
	}
	v, err := a.Update(ctx, p, "user:default/ada", 1)
	if err != nil || v != 2 {
		t.Fatalf("update: v=%d err=%v", v, err)
	}
	if a.DecideFor(bob, authz.CatalogEntityRead).Result != authz.Allow {
		t.Fatal("update not applied")
	}
	if changed, err := replica.Reload(ctx); err != nil || !changed {
		t.Fatalf("reload: changed=%v err=%v", changed, err)
	}
	if replica.DecideFor(bob, authz.CatalogEntityRead).Result != authz.Allow {
		t.Fatal("replica did not follow the update")
	}
	log, err := ps.Audit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].Action != "update" || log[0].Who != "user:default/ada" || log[0].Version != 2 ||
		log[1].Action != "bootstrap" || string(log[1].Before) != "null" || string(log[0].Before) != string(log[1].After) {
		t.Fatalf("audit trail: %+v", log)
	}
	bad := &authz.Policy{Roles: map[string]authz.Role{"x": {Inherits: []string{"y"}}}}
	if _, err := a.Update(ctx, bad, "user:default/ada", 0); err == nil {
		t.Fatal("invalid policy stored")
	}
	if _, v := a.Policy(); v != 2 {
		t.Fatal("a rejected update changed the policy")
	}
}
