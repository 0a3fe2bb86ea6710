package ui_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-dev/portico/web/ui"
)

func TestPages(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{})
	cases := []struct {
		path   string
		status int
		want   []string
	}{
		{"/", 200, []string{"<h1>Home</h1>", "Catalog health", `name="q"`, "Recently refreshed", "catalog.yaml", "Recently changed", `href="/auth/login?redirect=%2f"`}},
		{"/catalog", 200, []string{"<h1>Catalog</h1>", "Service A", "svc-b", `data-facet="kind"`, `data-facet="owner"`, "entities"}},
		{"/catalog?kind=api", 200, []string{"A API", `aria-current="true"`}},
		{"/catalog?q=serves", 200, []string{"Service A", "1 entities"}},
		{"/catalog/default/component/svc-a", 200, []string{"Service A", "Serves A things", "Owner:", `href="/catalog/default/group/team-a"`, "Provides API", `href="/catalog/default/api/api-a"`, "production", "Runbook", "View source", "Edit source", "Dependency graph", "file:"}},
		{"/catalog/default/component/SVC-A", 200, []string{"Service A"}},
		{"/catalog/default/group/team-a", 200, []string{"Team A", "Members", "jane", "Child groups", "team-b", "Owned entities", "component (", "svc-a"}},
		{"/catalog/default/user/jane", 200, []string{"Member of", "team-a", "svc-c"}},
		{"/catalog/default/system/sys-x", 200, []string{"Parts", "APIs (1)", "Components (2)", "Resources (1)", "svc-a"}},
		{"/catalog/default/domain/dom-x", 200, []string{"Parts", "Systems (1)", "sys-x"}},
		{"/catalog/default/api/api-a", 200, []string{"API definition", "OpenAPI 3.0.3", "Get one thing", "/things/{id}", "verbose", "Thing", "&lt;i&gt;the&lt;/i&gt; id", "Provided by", "svc-a", "Consumed by", "svc-b", "Raw definition"}},
		{"/catalog/default/api/api-broken", 200, []string{"Could not render the definition", "Raw definition"}},
		{"/catalog/default/component/svc-a/graph", 200, []string{"<svg", "Blast radius", "svc-b", "svc-c", "Owners to notify", `data-ref="component:default/svc-b"`, `class="node hl"`}},
		{"/catalog/default/component/svc-a/graph?direction=down&depth=1", 200, []string{"db-a"}},
		{"/plugins", 200, []string{"No plugin host is configured"}},
		{"/search?term=serves", 200, []string{"Search is not configured", `href="/catalog?q=serves"`}},
		{"/static/portico.css", 200, []string{"prefers-color-scheme:dark"}},
		{"/static/portico.js", 200, []string{"card-slot"}},
		{"/catalog/default/component/nope", 404, []string{"Not found", "<h1>"}},
		{"/catalog?after=%%%", 400, []string{"Bad request", "cursor"}},
		{"/catalog/default/component/svc-a/graph?depth=x", 400, []string{"depth"}},
		{"/catalog/default/component/svc-a/cards/p/c", 404, []string{"no plugins"}},
	}
	for _, c := range cases {
		st, body := e.get(c.path)
		if st != c.status {
			t.Errorf("GET %s: status %d, want %d (%.300s)", c.path, st, c.status, body)
			continue
		}
		contains(t, c.path, body, c.want...)
		if strings.HasPrefix(c.path, "/static") {
			continue
		}
		contains(t, c.path, body, `<main id="main"`, `lang="en"`, `role="banner"`)
	}
}

// Every entity field is text: nothing from an entity becomes markup or a
// script URL.
func TestHostileEntityIsEscaped(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{})
	for _, p := range []string{"/catalog/default/component/evil", "/catalog?tag=xss", "/catalog/default/component/evil/graph", "/catalog/default/group/team-a", "/catalog/default/component/svc-a/graph"} {
		body := e.mustGet(p)
		lacks(t, p, body, "<script>alert", "<img src=x", "<svg onload", `href="javascript:`, "<b>click</b>", `"><script>`)
		if p == "/catalog/default/component/evil" {
			contains(t, p, body, "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;", "&lt;img src=x onerror=alert(&#39;desc&#39;)&gt;", "&lt;b&gt;click&lt;/b&gt;")
		}
	}
}

func TestPagesSendSecurityHeaders(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{})
	req, _ := http.NewRequest(http.MethodGet, "/catalog", nil)
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q does not restrict scripts to the portal's own", csp)
	}
}

var nextLink = regexp.MustCompile(`href="([^"]+)" rel="next"`)
var rowLink = regexp.MustCompile(`<a class="row-link" href="(/catalog/[^"]+)">`)

// Cursor paging visits every entity exactly once, in order, and the whole
// state (facets, sort) stays in the URL.
func TestCatalogListPaging(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{PageSize: 2})
	all := 0
	{
		_, body := e.get("/catalog?kind=component")
		if !strings.Contains(body, "4 entities") {
			t.Fatalf("want 4 components in the count: %s", regexp.MustCompile(`\d+ entities`).FindString(body))
		}
		all = 4
	}
	seen := map[string]bool{}
	var order []string
	url := "/catalog?kind=component&sort=-name"
	for pages := 0; url != ""; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		body := e.mustGet(strings.ReplaceAll(url, "&amp;", "&"))
		for _, m := range rowLink.FindAllStringSubmatch(body, -1) {
			if seen[m[1]] {
				t.Fatalf("%s shown twice", m[1])
			}
			seen[m[1]] = true
			order = append(order, m[1])
		}
		url = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			url = m[1]
			if !strings.Contains(url, "kind=component") || !strings.Contains(url, "sort=-name") {
				t.Fatalf("next link %q lost the state", url)
			}
		}
	}
	if len(seen) != all {
		t.Fatalf("saw %d entities over the pages, want %d: %v", len(seen), all, order)
	}
	for i := 1; i < len(order); i++ {
		if order[i-1] < order[i] {
			t.Fatalf("not sorted by name descending: %v", order)
		}
	}
}

// A facet's counts ignore its own selection, so other values stay reachable.
func TestCatalogFacets(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{})
	body := e.mustGet("/catalog?kind=component")
	contains(t, "kind facet", body, `<span class="v">API</span> <span class="count">2</span>`, `<span class="v">Component</span> <span class="count">4</span>`)
	contains(t, "lifecycle facet under kind=component", body, `<span class="v">production</span> <span class="count">3</span>`)
	body = e.mustGet("/catalog?kind=component&lifecycle=experimental")
	contains(t, "two facets", body, "svc-b", "1 entities")
	lacks(t, "two facets", body, "Service A")
}

// An entity whose new version is broken keeps its stored body and shows the
// processing errors; the home page counts it under catalog health.
func TestEntityProcessingErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	good := "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: flaky}\nspec: {type: service, lifecycle: production, owner: team-a}\n"
	if err := os.WriteFile(file, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, file, ui.Options{})
	bad := strings.Replace(good, "owner: team-a}", "owner: team-a, dependsOn: [\"component:default/\"]}", 1)
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.ProcessAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := e.mustGet("/catalog/default/component/flaky")
	contains(t, "entity", body, "Processing errors", "Entity reference")
	home := e.mustGet("/")
	contains(t, "home", home, "<dt>With processing errors</dt><dd>1</dd>")
}
