package searchapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
	"github.com/portico-dev/portico/search/indextest"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/searchapi"
)

func newApp(t *testing.T, ix search.Index, visible func(*fiber.Ctx) (catalog.Filter, error)) *fiber.App {
	t.Helper()
	return web.New(web.Options{Areas: []web.Area{searchapi.New(searchapi.Config{Index: ix, Visible: visible})}})
}

func seeded(t *testing.T) search.Index {
	t.Helper()
	ix, err := bleve.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	var docs []search.Document
	for i := 0; i < 30; i++ {
		kind := "Component"
		if i%3 == 0 {
			kind = "API"
		}
		o := "team-a"
		if i%2 == 0 {
			o = "team-b"
		}
		docs = append(docs, indextest.Doc(kind, fmt.Sprintf("pagerduty-%02d", i), fmt.Sprintf("PagerDuty %d", i), "Pages the on-call engineer",
			func(d *search.Document) {
				d.Owner = o
				d.OwnedBy = []string{"group:default/" + o}
				d.Lifecycle = "production"
			}))
	}
	if err := ix.Upsert(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
	return ix
}

func get(t *testing.T, app *fiber.App, target string) (int, map[string]any) {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest("GET", target, nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("GET %s: %d %s: %v", target, resp.StatusCode, b, err)
	}
	return resp.StatusCode, m
}

func TestQueryBackstageShape(t *testing.T) {
	app := newApp(t, seeded(t), nil)
	code, body := get(t, app, "/api/search/query?term=pagrduty&types%5B0%5D=software-catalog&filters%5Bkind%5D=Component&pageLimit=4")
	if code != 200 {
		t.Fatalf("status %d: %v", code, body)
	}
	if n := body["numberOfResults"].(float64); n != 20 {
		t.Fatalf("numberOfResults = %v, want 20 components", n)
	}
	results := body["results"].([]any)
	if len(results) != 4 {
		t.Fatalf("results = %d, want 4", len(results))
	}
	r0 := results[0].(map[string]any)
	doc := r0["document"].(map[string]any)
	if r0["type"] != "software-catalog" || r0["rank"].(float64) != 1 || doc["kind"] != "Component" ||
		!strings.HasPrefix(doc["location"].(string), "/catalog/default/component/pagerduty-") || doc["title"] == nil || doc["text"] == nil {
		t.Fatalf("first result = %v", r0)
	}
	hl := r0["highlight"].(map[string]any)
	if title := hl["fields"].(map[string]any)["title"].(string); !strings.Contains(title, "<mark>PagerDuty</mark>") {
		t.Fatalf("highlight = %v", hl)
	}
	next, _ := body["nextPageCursor"].(string)
	if next == "" || body["previousPageCursor"] != nil {
		t.Fatalf("cursors = %v / %v", body["nextPageCursor"], body["previousPageCursor"])
	}
	seen := map[string]bool{}
	pages := 0
	for cur := ""; ; pages++ {
		q := "/api/search/query?term=pagrduty&filters%5Bkind%5D=Component&pageLimit=4"
		if cur != "" {
			q += "&pageCursor=" + cur
		}
		_, body := get(t, app, q)
		for _, r := range body["results"].([]any) {
			loc := r.(map[string]any)["document"].(map[string]any)["location"].(string)
			if seen[loc] {
				t.Fatalf("page %d repeats %s", pages, loc)
			}
			seen[loc] = true
		}
		cur, _ = body["nextPageCursor"].(string)
		if cur == "" {
			break
		}
	}
	if len(seen) != 20 || pages != 4 {
		t.Fatalf("paged %d results in %d pages, want 20 in 5", len(seen), pages+1)
	}
}

func TestQueryFiltersAndFacets(t *testing.T) {
	app := newApp(t, seeded(t), nil)
	_, body := get(t, app, "/api/search/query?filters%5Bkind%5D%5B0%5D=API&filters%5Bowner%5D=team-b&facets=kind,owner")
	if n := body["numberOfResults"].(float64); n != 5 {
		t.Fatalf("API owned by team-b: %v, want 5", n)
	}
	facets := body["facets"].(map[string]any)
	if k := facets["kind"].([]any); len(k) != 1 || k[0].(map[string]any)["value"] != "api" {
		t.Fatalf("facets = %v", facets)
	}
}

func TestPermissionInsideQuery(t *testing.T) {
	visible := func(c *fiber.Ctx) (catalog.Filter, error) {
		return catalog.Eq("relations.ownedby", "group:default/team-a"), nil
	}
	app := newApp(t, seeded(t), visible)
	_, body := get(t, app, "/api/search/query?term=pagerduty&pageLimit=10")
	if n := body["numberOfResults"].(float64); n != 15 {
		t.Fatalf("numberOfResults = %v, want the 15 visible", n)
	}
	if len(body["results"].([]any)) != 10 {
		t.Fatalf("page not full: %d", len(body["results"].([]any)))
	}
	for _, r := range body["results"].([]any) {
		if o := r.(map[string]any)["document"].(map[string]any)["owner"]; o != "team-a" {
			t.Fatalf("invisible result: %v", r)
		}
	}
	// An unsupported permission condition fails the query; it is never dropped.
	bad := newApp(t, seeded(t), func(*fiber.Ctx) (catalog.Filter, error) { return catalog.Prefix("kind", "c"), nil })
	if code, body := get(t, bad, "/api/search/query?term=pagerduty"); code < 400 {
		t.Fatalf("unsupported permission condition: %d %v", code, body)
	}
}

func TestBadInput(t *testing.T) {
	app := newApp(t, seeded(t), nil)
	for _, q := range []string{
		"types%5B0%5D=techdocs", "pageLimit=101", "pageLimit=x", "pageCursor=%%%", "filters%5Bbogus%5D=1",
		"term=" + strings.Repeat("a", 101), "nope=1", "facets=text",
	} {
		code, body := get(t, app, "/api/search/query?"+q)
		e, _ := body["error"].(map[string]any)
		if code != 400 || e == nil || e["name"] != "InputError" || !strings.HasPrefix(e["message"].(string), "Invalid query string: ") {
			t.Errorf("%s: %d %v", q, code, body)
		}
	}
}

type brokenIndex struct{ search.Index }

func (brokenIndex) Search(context.Context, search.Query) (search.Result, error) {
	return search.Result{}, errors.New("connection refused")
}

func TestEngineErrorIsGeneric(t *testing.T) {
	app := newApp(t, brokenIndex{}, nil)
	code, body := get(t, app, "/api/search/query?term=x")
	e := body["error"].(map[string]any)
	if code != 500 || e["message"] != "There was a problem performing the search query" {
		t.Fatalf("%d %v", code, body)
	}
}
