package ui_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/web/ui"
)

var resultLink = regexp.MustCompile(`<a class="result-link" href="([^"]+)">`)

func resultURLs(body string) []string {
	var out []string
	for _, m := range resultLink.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// The search page answers from the real embedded index: results linked to
// their pages, matched words highlighted, facet and type filters as links
// that keep the whole state in the URL; the header box goes there.
func TestSearchPage(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{Search: searchPlease})
	for _, path := range []string{"/", "/catalog", "/catalog/default/component/svc-a", "/search"} {
		contains(t, "header of "+path, e.mustGet(path), `<form class="search" role="search" action="/search" method="get">`, `<input id="q" name="term" type="search"`)
	}
	body := e.mustGet("/search?term=serves")
	contains(t, "term", body, `<a class="result-link" href="/catalog/default/component/svc-a">Service A</a>`,
		`<p class="result-text"><mark>Serves</mark> A things</p>`, `id="search-results"`, "1–1 of 1 result for “serves”",
		`value="serves"`, `data-facet="kind" data-value="component"`)

	// Facets: a kind filter narrows the results; the kind facet still lists
	// the other kinds (counted without its own selection), marked selected.
	body = e.mustGet("/search?term=a&filters%5Bkind%5D=api")
	for _, u := range resultURLs(body) {
		if !strings.HasPrefix(u, "/catalog/default/api/") {
			t.Errorf("filters[kind]=api lists %s", u)
		}
	}
	if len(resultURLs(body)) == 0 {
		t.Fatalf("filters[kind]=api found nothing: %s", body)
	}
	contains(t, "kind facet", body, `class="facet-value selected" data-facet="kind" data-value="api" aria-current="true"`,
		`data-facet="kind" data-value="component"`, `data-facet="types" data-value="software-catalog"`, "Clear all filters")
	if !strings.Contains(body, `href="/search?filters%5Bkind%5D=api&amp;filters%5Bkind%5D=component&amp;term=a"`) {
		t.Errorf("the component facet link does not add to the selection: %s", regexp.MustCompile(`href="/search\?[^"]*component[^"]*"`).FindString(body))
	}
	body = e.mustGet("/search?term=svc&types=software-catalog&filters%5Blifecycle%5D=experimental")
	if got := resultURLs(body); len(got) != 1 || got[0] != "/catalog/default/component/svc-b" {
		t.Errorf("lifecycle=experimental: %v", got)
	}
	body = e.mustGet("/search?term=nothing-like-this")
	contains(t, "no hits", body, "0 results", "Nothing found")

	for _, bad := range []string{"/search?page=0", "/search?page=x", "/search?term=" + strings.Repeat("a", 101)} {
		if st, body := e.get(bad); st != 400 {
			t.Errorf("GET %s: %d, want 400 (%.200s)", bad, st, body)
		}
	}
}

// Paging walks every result once, with the state kept in the links.
func TestSearchPaging(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{Search: searchPlease, PageSize: 3})
	seen := map[string]bool{}
	url := "/search?filters%5Bkind%5D=component"
	pages := 0
	for url != "" {
		if pages++; pages > 10 {
			t.Fatal("paging does not end")
		}
		body := e.mustGet(strings.ReplaceAll(url, "&amp;", "&"))
		for _, u := range resultURLs(body) {
			if seen[u] {
				t.Fatalf("%s on two pages", u)
			}
			seen[u] = true
		}
		url = ""
		if m := nextLink.FindStringSubmatch(body); m != nil {
			url = m[1]
			if !strings.Contains(url, "filters%5Bkind%5D=component") {
				t.Fatalf("next link %s lost the filter", url)
			}
		}
		if pages > 1 && !strings.Contains(body, `rel="prev"`) {
			t.Fatalf("page %d has no previous link", pages)
		}
	}
	if len(seen) != 4 || pages != 2 {
		t.Fatalf("%d components over %d pages, want 4 over 2: %v", len(seen), pages, seen)
	}
}

// Everything from the index is text: a hostile title and description come
// out escaped, with only the highlight marks as markup.
func TestSearchHighlightIsEscaped(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{Search: searchPlease})
	body := e.mustGet("/search?term=alert")
	lacks(t, "hostile", body, "<script>alert", "<img src=x", "<svg onload")
	contains(t, "hostile", body, "&lt;script&gt;<mark>alert</mark>(&#39;title&#39;)&lt;/script&gt;",
		"&lt;img src=x onerror=<mark>alert</mark>(&#39;desc&#39;)&gt;")
}

// The reader's permission filter goes into the index query: results and
// totals hold only what the reader may see.
func TestSearchRespectsPermissions(t *testing.T) {
	e := newEnv(t, "catalog.yaml", ui.Options{Search: searchPlease, FilterFor: func(*fiber.Ctx) (catalog.Filter, error) {
		return catalog.Eq("relations.ownedby", "group:default/team-b"), nil
	}})
	body := e.mustGet("/search?term=svc")
	if got := resultURLs(body); len(got) != 1 || got[0] != "/catalog/default/component/svc-b" {
		t.Fatalf("team-b reader sees %v", got)
	}
	contains(t, "count", body, "1–1 of 1 result")
}
