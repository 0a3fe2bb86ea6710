package catalogapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/auth"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/config"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/graph"
	"github.com/portico-dev/portico/web/permissionapi"
	"github.com/portico-dev/portico/web/pluginadmin"
	"github.com/portico-dev/portico/web/webtest"
)

// matrixPolicy: platform admins do everything; everyone reads what their
// teams own plus users, groups and locations; team members (editors) may
// refresh and delete what their team owns and register locations.
const matrixPolicy = `
defaultRoles: [viewer]
roles:
  admin: {inherits: [editor]}
  editor: {inherits: [viewer]}
  viewer: {}
bindings:
  - {subject: group:default/platform, roles: [admin]}
  - {subject: group:default/team-a, roles: [editor]}
  - {subject: group:default/team-b, roles: [editor]}
rules:
  - {subject: admin, permissions: ["*"]}
  - subject: viewer
    permissions: [catalog.entity.read]
    conditions:
      anyOf:
        - {rule: IS_ENTITY_OWNER}
        - {rule: IS_ENTITY_KIND, params: {kinds: [user, group, location]}}
  - {subject: viewer, permissions: [catalog.location.read]}
  - subject: editor
    permissions: [catalog.entity.refresh, catalog.entity.delete]
    conditions: {rule: IS_ENTITY_OWNER}
  - {subject: editor, permissions: [catalog.location.create, catalog.entity.validate]}
`

// matrixOrg writes the organisation: three teams owning 8, 6 and 5
// entities, users in them, and a dependency chain a-01 ← b-01 ← c-01.
func matrixOrg(t *testing.T) string {
	var b strings.Builder
	doc := func(s string, args ...any) { fmt.Fprintf(&b, "---\n"+s+"\n", args...) }
	for _, g := range []string{"platform", "team-a", "team-b", "team-c"} {
		doc("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: %s}\nspec: {type: team, children: []}", g)
	}
	for u, g := range map[string]string{"ada": "platform", "alice": "team-a", "bob": "team-b", "carl": "team-c"} {
		doc("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: %s}\nspec: {memberOf: [%s]}", u, g)
	}
	doc("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: guest}\nspec: {memberOf: []}")
	deps := map[string]string{"svc-a-02": "svc-a-01", "svc-b-01": "svc-a-01", "svc-c-01": "svc-b-01"}
	for team, n := range map[string]int{"a": 7, "b": 5, "c": 4} {
		for i := 1; i <= n; i++ {
			name := fmt.Sprintf("svc-%s-%02d", team, i)
			typ := []string{"service", "website"}[i%2]
			dep := ""
			if d := deps[name]; d != "" {
				dep = ", dependsOn: [component:" + d + "]"
			}
			doc("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: %s, labels: {tier: \"%d\"}}\nspec: {type: %s, lifecycle: production, owner: team-%s%s}", name, i%3, typ, team, dep)
		}
	}
	doc("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: api-a}\nspec: {type: openapi, lifecycle: production, owner: team-a, definition: x}")
	doc("apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: {name: db-b}\nspec: {type: database, owner: team-b}")
	doc("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: {name: sys-c}\nspec: {owner: team-c}")
	file := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestPermissionMatrix runs every catalog endpoint as an admin, a member of
// the owning team, a member of another team, a guest and a revoked token,
// over entities owned by several teams, on both stores, through the real
// auth middleware (API tokens, guest mode) and the real authorizer.
func TestPermissionMatrix(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			t.Setenv("PORTICO_TEST_WEB_STORE", store)
			runMatrix(t, webtest.OpenStore(t))
		})
	}
}

type matrix struct {
	t    *testing.T
	app  *fiber.App
	all  map[string]matrixEntity // every entity, by ref
	file string
}

type matrixEntity struct {
	Ref, UID, Kind, Owner, Name string
	JSON                        map[string]any
}

type principal struct {
	name   string
	bearer string // "" = no credentials (the guest)
	admin  bool
	claims []string
}

func runMatrix(t *testing.T, st catalog.Store) {
	ctx := context.Background()
	file := matrixOrg(t)
	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: file}}, AllowedLocationTypes: []string{"file"}})
	if err := eng.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := eng.ProcessAll(ctx); err != nil || s.Errors > 0 {
		t.Fatalf("ingest: %+v %v", s, err)
	}
	pol, err := authz.ParsePolicy([]byte(matrixPolicy))
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.Open(ctx, &authz.PolicyStore{KV: st}, pol)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.New(auth.Options{Config: config.Auth{Guest: config.Guest{Enabled: true, Role: "viewer", User: "user:default/guest"}}, Store: st})
	tokens := auth.Tokens{KV: st}
	token := func(user string, scopes ...string) string {
		s, _, err := tokens.Create(ctx, user, time.Hour, scopes)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	revoked, tok, err := tokens.Create(ctx, "user:default/alice", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tokens.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	filterFor := func(c *fiber.Ctx) (catalog.Filter, error) { return az.ReadFilter(c.UserContext()), nil }
	app := web.New(web.Options{
		Store: st, Ingest: eng, LocationTypes: []string{"file"}, Authz: az,
		Middleware: []fiber.Handler{svc.Middleware()},
		Areas: []web.Area{
			&graph.API{Store: st, FilterFor: filterFor},
			&permissionapi.Area{Authz: az, Store: st},
			pluginadmin.New(pluginadmin.Options{Authz: az}),
		},
	})
	m := &matrix{t: t, app: app, file: file, all: map[string]matrixEntity{}}

	admin := principal{name: "admin", bearer: token("user:default/ada"), admin: true}
	owner := principal{name: "owner", bearer: token("user:default/alice"), claims: []string{"user:default/alice", "group:default/team-a"}}
	other := principal{name: "other", bearer: token("user:default/bob"), claims: []string{"user:default/bob", "group:default/team-b"}}
	guest := principal{name: "guest", claims: []string{"user:default/guest"}}
	// An admin's token scoped to reading: reads as the admin, writes nothing.
	scoped := principal{name: "scoped-admin", bearer: token("user:default/ada", "catalog.entity.read", "catalog.location.read"), admin: true}

	// The admin's unfiltered read is the oracle's universe.
	var everything []map[string]any
	m.getJSON(admin, "/api/catalog/entities", 200, &everything)
	for _, e := range everything {
		me := entityOf(e)
		m.all[me.Ref] = me
	}
	if len(m.all) != 29 { // 4 groups, 5 users, 16 components, an API, a resource, a system, the location
		t.Fatalf("only %d entities ingested", len(m.all))
	}

	for _, p := range []principal{admin, owner, other, guest, scoped} {
		t.Run(p.name, func(t *testing.T) {
			m.t = t
			m.checkReads(p)
		})
	}
	m.t = t

	// Revoked token: the auth layer answers 401 before any permission.
	bad := principal{name: "revoked", bearer: revoked}
	for _, path := range []string{"/api/catalog/entities", "/api/catalog/entity-facets?facet=kind", "/api/catalog/entities/by-query", "/api/catalog/locations", "/api/catalog/graph?root=group:default/team-a"} {
		m.expectError(bad, "GET", path, nil, 401, "AuthenticationError")
	}
	m.expectError(bad, "POST", "/api/catalog/entities/by-refs", map[string]any{"entityRefs": []string{"component:default/svc-a-01"}}, 401, "AuthenticationError")

	for _, path := range []string{"/api/catalog/refresh", "/api/catalog/validate-entity"} {
		m.expectError(scoped, "POST", path, map[string]any{"entityRef": "group:default/team-a"}, 403, "NotAllowedError")
	}
	m.checkWrites(admin, owner, other, guest)
	m.checkAuthorizeAPI(owner, admin)
	m.checkPolicyAPI(admin, guest)
}

func entityOf(e map[string]any) matrixEntity {
	md, _ := e["metadata"].(map[string]any)
	me := matrixEntity{Kind: strings.ToLower(e["kind"].(string)), JSON: e}
	me.Name, _ = md["name"].(string)
	me.UID, _ = md["uid"].(string)
	ns, _ := md["namespace"].(string)
	if ns == "" {
		ns = "default"
	}
	me.Ref = strings.ToLower(me.Kind + ":" + ns + "/" + me.Name)
	rels, _ := e["relations"].([]any)
	for _, r := range rels {
		rm := r.(map[string]any)
		if rm["type"] == "ownedBy" {
			me.Owner = rm["targetRef"].(string)
		}
	}
	return me
}

// visible is the oracle: what the policy lets p read.
func (m *matrix) visible(p principal) map[string]bool {
	out := map[string]bool{}
	for ref, e := range m.all {
		if p.admin || e.Kind == "user" || e.Kind == "group" || e.Kind == "location" || (e.Owner != "" && slices.Contains(p.claims, e.Owner)) {
			out[ref] = true
		}
	}
	return out
}

func (m *matrix) do(p principal, method, path string, body any) (int, []byte, http.Header) {
	m.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+p.bearer)
	}
	resp, err := m.app.Test(req, -1)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// call does method path as p, expects status and decodes the body into v.
func (m *matrix) call(p principal, method, path string, body any, status int, v any) http.Header {
	m.t.Helper()
	code, b, h := m.do(p, method, path, body)
	if code != status {
		m.t.Fatalf("%s %s %s: %d, want %d: %s", p.name, method, path, code, status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			m.t.Fatalf("%s %s %s: %v: %s", p.name, method, path, err, b)
		}
	}
	return h
}

func (m *matrix) getJSON(p principal, path string, status int, v any) http.Header {
	m.t.Helper()
	return m.call(p, "GET", path, nil, status, v)
}

func (m *matrix) postJSON(p principal, path string, body any, status int, v any) {
	m.t.Helper()
	m.call(p, "POST", path, body, status, v)
}

func (m *matrix) expectError(p principal, method, path string, body any, status int, name string) {
	m.t.Helper()
	code, b, _ := m.do(p, method, path, body)
	var eb web.ErrorBody
	if code != status || json.Unmarshal(b, &eb) != nil || eb.Error.Name != name || eb.Response.StatusCode != status {
		m.t.Errorf("%s %s %s: %d %s, want %d %s", p.name, method, path, code, b, status, name)
	}
}

func refsOf(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, e := range items {
		out[i] = entityOf(e).Ref
	}
	return out
}

func setOf(refs []string) map[string]bool {
	out := map[string]bool{}
	for _, r := range refs {
		out[r] = true
	}
	return out
}

func (m *matrix) sameSet(what string, got []string, want map[string]bool) {
	m.t.Helper()
	if len(got) != len(setOf(got)) {
		m.t.Errorf("%s: duplicates in %v", what, got)
	}
	var missing, extra []string
	g := setOf(got)
	for r := range want {
		if !g[r] {
			missing = append(missing, r)
		}
	}
	for r := range g {
		if !want[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing)+len(extra) > 0 {
		m.t.Errorf("%s: missing %v, extra (not allowed) %v", what, missing, extra)
	}
}

func only(set map[string]bool, keep func(ref string) bool) map[string]bool {
	out := map[string]bool{}
	for r := range set {
		if keep(r) {
			out[r] = true
		}
	}
	return out
}

var nextLink = regexp.MustCompile(`<([^>]+)>; rel="next"`)

func (m *matrix) checkReads(p principal) {
	t := m.t
	vis := m.visible(p)
	comps := only(vis, func(r string) bool { return strings.HasPrefix(r, "component:") })
	if p.admin && len(comps) != 16 || !p.admin && len(comps) == 16 {
		t.Fatalf("oracle: %d components visible", len(comps))
	}

	// GET /entities: everything, then paged through Link headers.
	var items []map[string]any
	m.getJSON(p, "/api/catalog/entities", 200, &items)
	m.sameSet("GET /entities", refsOf(items), vis)
	var paged []string
	for path := "/api/catalog/entities?limit=4"; path != ""; {
		var page []map[string]any
		h := m.getJSON(p, path, 200, &page)
		if len(page) > 4 {
			t.Fatalf("page of %d", len(page))
		}
		paged = append(paged, refsOf(page)...)
		path = ""
		if mm := nextLink.FindStringSubmatch(h.Get("Link")); mm != nil {
			path = "/api/catalog" + mm[1]
		}
	}
	m.sameSet("GET /entities paged", paged, vis)

	// GET /entities/by-query: totals and cursors forwards and backwards.
	type qresp struct {
		Items      []map[string]any `json:"items"`
		TotalItems int              `json:"totalItems"`
		PageInfo   struct {
			NextCursor, PrevCursor string
		} `json:"pageInfo"`
	}
	var fwd []string
	var last qresp
	for path := "/api/catalog/entities/by-query?filter=kind=component&limit=3&orderField=metadata.name,asc"; path != ""; {
		var r qresp
		m.getJSON(p, path, 200, &r)
		if r.TotalItems != len(comps) {
			t.Errorf("by-query totalItems %d, want %d", r.TotalItems, len(comps))
		}
		fwd = append(fwd, refsOf(r.Items)...)
		path, last = "", r
		if r.PageInfo.NextCursor != "" {
			path = "/api/catalog/entities/by-query?limit=3&cursor=" + url.QueryEscape(r.PageInfo.NextCursor)
		}
	}
	m.sameSet("by-query forward", fwd, comps)
	if !slices.IsSorted(fwd) {
		t.Errorf("by-query order: %v", fwd)
	}
	back := refsOf(last.Items)
	for cur := last.PageInfo.PrevCursor; cur != ""; {
		var r qresp
		m.getJSON(p, "/api/catalog/entities/by-query?limit=3&cursor="+url.QueryEscape(cur), 200, &r)
		back = append(refsOf(r.Items), back...)
		cur = r.PageInfo.PrevCursor
	}
	if len(comps) > 3 && !slices.Equal(back, fwd) {
		t.Errorf("by-query backward %v, forward %v", back, fwd)
	}
	var post []string
	body := map[string]any{"query": map[string]any{"kind": "component"}, "limit": 5, "orderBy": []map[string]string{{"field": "metadata.name", "order": "desc"}}}
	for {
		var r qresp
		m.postJSON(p, "/api/catalog/entities/by-query", body, 200, &r)
		if r.TotalItems != len(comps) {
			t.Errorf("POST by-query totalItems %d, want %d", r.TotalItems, len(comps))
		}
		post = append(post, refsOf(r.Items)...)
		if r.PageInfo.NextCursor == "" {
			break
		}
		body = map[string]any{"cursor": r.PageInfo.NextCursor, "limit": 5}
	}
	m.sameSet("POST by-query", post, comps)

	// by-refs: null exactly where hidden (or missing).
	var refs []string
	for r := range m.all {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	refs = append(refs, "component:default/does-not-exist")
	var br struct {
		Items []map[string]any `json:"items"`
	}
	m.postJSON(p, "/api/catalog/entities/by-refs", map[string]any{"entityRefs": refs}, 200, &br)
	if len(br.Items) != len(refs) {
		t.Fatalf("by-refs: %d items for %d refs", len(br.Items), len(refs))
	}
	for i, r := range refs {
		if (br.Items[i] != nil) != vis[r] {
			t.Errorf("by-refs %s: got %v, visible %v", r, br.Items[i] != nil, vis[r])
		}
	}

	// Facets count visible entities only.
	var fr struct {
		Facets map[string][]catalog.FacetCount `json:"facets"`
	}
	m.getJSON(p, "/api/catalog/entity-facets?facet=kind&facet=spec.owner&facet=metadata.labels.tier", 200, &fr)
	wantKind, wantOwner, wantTier := map[string]int{}, map[string]int{}, map[string]int{}
	for r := range vis {
		e := m.all[r]
		wantKind[e.JSON["kind"].(string)]++
		if spec, ok := e.JSON["spec"].(map[string]any); ok {
			if o, ok := spec["owner"].(string); ok {
				wantOwner[o]++
			}
		}
		if md := e.JSON["metadata"].(map[string]any); md["labels"] != nil {
			wantTier[md["labels"].(map[string]any)["tier"].(string)]++
		}
	}
	for facet, want := range map[string]map[string]int{"kind": wantKind, "spec.owner": wantOwner, "metadata.labels.tier": wantTier} {
		got := map[string]int{}
		for _, fc := range fr.Facets[facet] {
			got[fc.Value] = fc.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("facet %s: %v, want %v", facet, got, want)
		}
	}

	// by-name and by-uid: 404 for what is hidden.
	for r, e := range m.all {
		kind, rest, _ := strings.Cut(r, ":")
		ns, name, _ := strings.Cut(rest, "/")
		want := 404
		if vis[r] {
			want = 200
		}
		if code, b, _ := m.do(p, "GET", "/api/catalog/entities/by-name/"+kind+"/"+ns+"/"+name, nil); code != want {
			t.Errorf("by-name %s: %d, want %d: %s", r, code, want, b)
		}
		if code, _, _ := m.do(p, "GET", "/api/catalog/entities/by-uid/"+e.UID, nil); code != want {
			t.Errorf("by-uid %s: %d, want %d", r, code, want)
		}
	}

	// Ancestry: a hidden root is 403 (Backstage's NotAllowedError); items are visible ones.
	if vis["component:default/svc-a-01"] {
		var anc struct {
			Items []struct {
				Entity map[string]any `json:"entity"`
			} `json:"items"`
		}
		m.getJSON(p, "/api/catalog/entities/by-name/component/default/svc-a-01/ancestry", 200, &anc)
		if len(anc.Items) < 2 {
			t.Errorf("ancestry: %d items", len(anc.Items))
		}
		for _, it := range anc.Items {
			if r := entityOf(it.Entity).Ref; !vis[r] {
				t.Errorf("ancestry shows hidden %s", r)
			}
		}
	} else {
		m.expectError(p, "GET", "/api/catalog/entities/by-name/component/default/svc-a-01/ancestry", nil, 403, "NotAllowedError")
	}

	// Locations: every principal here may read them.
	var locs []map[string]any
	m.getJSON(p, "/api/catalog/locations", 200, &locs)
	if len(locs) != 1 {
		t.Errorf("locations: %d", len(locs))
	}

	// Graph and blast radius never show or cross a hidden entity.
	var g graph.Graph
	m.getJSON(p, "/api/catalog/graph?root=group:default/team-a&depth=2&direction=both&relations=ownedBy,memberOf,dependsOn", 200, &g)
	var nodes []string
	for _, n := range g.Nodes {
		nodes = append(nodes, n.Ref)
		if !vis[n.Ref] {
			t.Errorf("graph shows hidden %s", n.Ref)
		}
	}
	for r := range vis {
		if m.all[r].Owner == "group:default/team-a" && !slices.Contains(nodes, r) {
			t.Errorf("graph misses visible %s", r)
		}
	}
	if vis["component:default/svc-a-01"] {
		var br graph.BlastRadius
		m.getJSON(p, "/api/catalog/blast-radius?root=component:default/svc-a-01", 200, &br)
		var deps []string
		for _, d := range br.Dependents {
			deps = append(deps, d.Ref)
			for _, step := range d.Path {
				if !vis[step] {
					t.Errorf("blast path crosses hidden %s", step)
				}
			}
		}
		want := []string{"component:default/svc-a-02"}
		if p.admin {
			want = []string{"component:default/svc-a-02", "component:default/svc-b-01", "component:default/svc-c-01"}
		}
		sort.Strings(deps)
		if !slices.Equal(deps, want) {
			t.Errorf("blast radius %v, want %v", deps, want)
		}
	} else {
		if code, _, _ := m.do(p, "GET", "/api/catalog/blast-radius?root=component:default/svc-a-01", nil); code != 404 {
			t.Errorf("blast radius of a hidden root: %d, want 404", code)
		}
	}
}

func (m *matrix) status(p principal, method, path string, body any) int {
	m.t.Helper()
	code, _, _ := m.do(p, method, path, body)
	return code
}

func (m *matrix) checkWrites(admin, owner, other, guest principal) {
	t := m.t
	refresh := func(ref string) map[string]any { return map[string]any{"entityRef": ref} }
	// Refresh: ALLOW, conditional on ownership, hidden (404) or DENY (403).
	for _, c := range []struct {
		p    principal
		ref  string
		want int
	}{
		{admin, "group:default/team-a", 200},
		{owner, "component:default/svc-a-01", 200},
		{owner, "group:default/team-a", 403}, // readable, not owned
		{other, "component:default/svc-a-01", 404},
		{other, "user:default/alice", 403},
		{guest, "component:default/svc-a-01", 403}, // guest: no refresh at all
		{guest, "group:default/team-a", 403},
	} {
		if got := m.status(c.p, "POST", "/api/catalog/refresh", refresh(c.ref)); got != c.want {
			t.Errorf("%s refresh %s: %d, want %d", c.p.name, c.ref, got, c.want)
		}
	}
	m.expectError(guest, "POST", "/api/catalog/refresh", refresh("group:default/team-a"), 403, "NotAllowedError")

	// Basic write permissions.
	validate := map[string]any{"location": "url:https://example.com/x.yaml", "entity": map[string]any{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": map[string]any{"name": "x"}, "spec": map[string]any{"type": "service", "lifecycle": "x", "owner": "team-a"}}}
	loc := map[string]any{"type": "file", "target": m.file}
	for _, c := range []struct {
		p       principal
		method  string
		path    string
		body    any
		allowed bool
	}{
		{guest, "POST", "/api/catalog/validate-entity", validate, false},
		{owner, "POST", "/api/catalog/validate-entity", validate, true},
		{guest, "POST", "/api/catalog/locations?dryRun=true", loc, false},
		{other, "POST", "/api/catalog/locations?dryRun=true", loc, true},
		{guest, "POST", "/api/catalog/analyze-location", map[string]any{"location": map[string]any{"type": "url", "target": "https://example.com/x"}}, false},
		{owner, "DELETE", "/api/catalog/locations/00000000-0000-0000-0000-000000000000", nil, false},
		{admin, "DELETE", "/api/catalog/locations/00000000-0000-0000-0000-000000000000", nil, true}, // 404: passed authz
		{owner, "PUT", "/api/catalog/locations/00000000-0000-0000-0000-000000000000", loc, true},
		{guest, "PUT", "/api/catalog/locations/00000000-0000-0000-0000-000000000000", loc, false},
		{other, "GET", "/api/admin/plugins/", nil, false},
		{owner, "POST", "/api/admin/plugins/", map[string]any{"ref": "x"}, false},
		{guest, "POST", "/api/admin/plugins/x/grant", map[string]any{}, false},
		{other, "GET", "/api/permission/policies", nil, false},
		{owner, "GET", "/api/permission/audit", nil, false},
	} {
		got := m.status(c.p, c.method, c.path, c.body)
		if (got == 403) == c.allowed || got == 401 {
			t.Errorf("%s %s %s: %d, allowed=%v", c.p.name, c.method, c.path, got, c.allowed)
		}
	}

	// Delete last: it changes what exists.
	uid := func(ref string) string { return m.all[ref].UID }
	for _, c := range []struct {
		p    principal
		ref  string
		want int
	}{
		{other, "user:default/alice", 403},
		{owner, "component:default/svc-b-01", 404},
		{guest, "component:default/svc-a-03", 403},
		{owner, "component:default/svc-a-07", 204},
		{admin, "component:default/svc-c-04", 204},
	} {
		if got := m.status(c.p, "DELETE", "/api/catalog/entities/by-uid/"+uid(c.ref), nil); got != c.want {
			t.Errorf("%s delete %s: %d, want %d", c.p.name, c.ref, got, c.want)
		}
	}
}

func (m *matrix) checkAuthorizeAPI(owner, admin principal) {
	t := m.t
	req := map[string]any{"items": []map[string]any{
		{"id": "1", "permission": map[string]any{"type": "resource", "name": "catalog.entity.read", "resourceType": "catalog-entity"}, "resourceRef": "component:default/svc-a-01"},
		{"id": "2", "permission": map[string]any{"type": "resource", "name": "catalog.entity.read", "resourceType": "catalog-entity"}, "resourceRef": "component:default/svc-b-01"},
		{"id": "3", "permission": map[string]any{"type": "resource", "name": "catalog.entity.read", "resourceType": "catalog-entity"}},
		{"id": "4", "permission": map[string]any{"type": "basic", "name": "plugin.install"}},
	}}
	var resp struct {
		Items []struct {
			ID, Result   string
			ResourceType string
			Conditions   json.RawMessage
		} `json:"items"`
	}
	m.postJSON(owner, "/api/permission/authorize", req, 200, &resp)
	got := []string{}
	for _, it := range resp.Items {
		got = append(got, it.ID+"="+it.Result)
	}
	if strings.Join(got, " ") != "1=ALLOW 2=DENY 3=CONDITIONAL 4=DENY" || !strings.Contains(string(resp.Items[2].Conditions), "group:default/team-a") {
		t.Errorf("authorize: %v %s", got, resp.Items[2].Conditions)
	}
	var pol permissionapi.PolicyResponse
	m.getJSON(admin, "/api/permission/policies", 200, &pol)
	if pol.Version != 1 || len(pol.Policy.Rules) != 5 {
		t.Errorf("policy: %+v", pol)
	}
}

// checkPolicyAPI changes the policy through the API: the change applies at
// once, is audited, and a stale If-Match is refused.
func (m *matrix) checkPolicyAPI(admin, guest principal) {
	t := m.t
	put := func(doc, ifMatch string) (int, string) {
		req := httptest.NewRequest("PUT", "/api/permission/policies", strings.NewReader(doc))
		req.Header.Set("Content-Type", "application/yaml")
		req.Header.Set("Authorization", "Bearer "+admin.bearer)
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		resp, err := m.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Guests lose the users/groups/locations rule.
	doc := strings.Replace(matrixPolicy, "        - {rule: IS_ENTITY_KIND, params: {kinds: [user, group, location]}}\n", "", 1)
	if code, body := put("rules: [oops", "1"); code != 400 || !strings.Contains(body, "InputError") {
		t.Errorf("bad policy: %d %s", code, body)
	}
	if code, body := put(doc, "1"); code != 200 || !strings.Contains(body, `"version":2`) {
		t.Fatalf("put policy: %d %s", code, body)
	}
	if code, body := put(doc, "1"); code != 409 {
		t.Errorf("stale If-Match: %d %s", code, body)
	}
	var items []map[string]any
	m.getJSON(guest, "/api/catalog/entities", 200, &items)
	if len(items) != 0 {
		t.Errorf("guest after the policy change sees %d entities", len(items))
	}
	var audit struct {
		Items []authz.AuditEntry `json:"items"`
	}
	m.getJSON(admin, "/api/permission/audit", 200, &audit)
	if len(audit.Items) != 2 || audit.Items[0].Who != "user:default/ada" || audit.Items[0].Version != 2 || audit.Items[1].Action != "bootstrap" {
		t.Errorf("audit: %+v", audit.Items)
	}
}
