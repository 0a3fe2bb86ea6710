// Package indextest is the conformance suite every search.Index must pass
// (search/bleve, search/meili against search/meili/meilifake, and a real
// Meilisearch when one is configured): writes, quality (typos, prefixes,
// exact names first), filters and permission conditions checked against the
// reference semantics of search.Cond.Match, paging, facets and errors.
//
// It imports only search, catalog and the standard library; it must never
// import a backend.
package indextest

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// Open returns a fresh, empty index; the suite closes it.
type Open func(t *testing.T) search.Index

// Run runs the whole suite; every subtest opens its own index.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ix search.Index)
	}{
		{"UpsertSearchDelete", testUpsertSearchDelete},
		{"TypoTolerance", testTypos},
		{"PrefixAsYouType", testPrefix},
		{"ExactNameFirst", testExactFirst},
		{"AllWordsMatch", testAllWords},
		{"TypeAhead", testTypeAhead},
		{"OwnerAndKindFilters", testOwnerKindFilters},
		{"FilterOracle", testFilterOracle},
		{"PagingAndTotals", testPaging},
		{"Facets", testFacets},
		{"TypesAndDeleteType", testTypes},
		{"ReplaceTypeAndPluginDocuments", testReplaceType},
		{"UnsupportedConditions", testUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix := open(t)
			t.Cleanup(func() { _ = ix.Close() })
			tc.fn(t, ix)
		})
	}
}

var ctx = context.Background()

// Doc builds a catalog document for tests.
func Doc(kind, name, title, text string, opts ...func(*search.Document)) search.Document {
	ref := strings.ToLower(kind + ":default/" + name)
	d := search.Document{Key: search.CatalogKey(ref), Type: search.TypeCatalog, Ref: ref, Name: name, Title: title,
		Text: text, Kind: kind, Namespace: "default", Location: "/catalog/default/" + strings.ToLower(kind) + "/" + name}
	for _, o := range opts {
		o(&d)
	}
	return d
}

func owner(o string) func(*search.Document) {
	return func(d *search.Document) { d.Owner = o; d.OwnedBy = []string{"group:default/" + o} }
}

func upsert(t *testing.T, ix search.Index, docs ...search.Document) {
	t.Helper()
	if err := ix.Upsert(ctx, docs); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func find(t *testing.T, ix search.Index, q search.Query) search.Result {
	t.Helper()
	res, err := ix.Search(ctx, q)
	if err != nil {
		t.Fatalf("Search %+v: %v", q, err)
	}
	return res
}

func names(res search.Result) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.Doc.Name
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func testUpsertSearchDelete(t *testing.T, ix search.Index) {
	d := Doc("Component", "payments", "Payments Service", "Takes money from customers", owner("team-a"),
		func(d *search.Document) {
			d.Tags = []string{"go", "critical"}
			d.Lifecycle = "production"
			d.EntityType = "service"
		})
	upsert(t, ix, d, Doc("Component", "search", "Search", "Finds things"))
	res := find(t, ix, search.Query{Term: "payments"})
	if res.Total != 1 || len(res.Hits) != 1 {
		t.Fatalf("payments: %v (total %d), want one hit", names(res), res.Total)
	}
	got := res.Hits[0].Doc
	if got.Key != d.Key || got.Title != d.Title || got.Location != d.Location || got.Owner != "team-a" ||
		len(got.Tags) != 2 || got.Lifecycle != "production" || got.EntityType != "service" || got.Ref != d.Ref {
		t.Fatalf("document not returned as indexed:\n got %+v\nwant %+v", got, d)
	}
	if n, err := ix.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2", n, err)
	}
	// The text is searched too; case does not matter.
	if res := find(t, ix, search.Query{Term: "MONEY"}); !contains(names(res), "payments") {
		t.Fatalf("description word: %v", names(res))
	}
	// Replace: the old title no longer matches.
	d2 := d
	d2.Title, d2.Text = "Billing", "Invoices"
	upsert(t, ix, d2)
	if res := find(t, ix, search.Query{Term: "money"}); len(res.Hits) != 0 {
		t.Fatalf("replaced document still matches its old text: %v", names(res))
	}
	if res := find(t, ix, search.Query{Term: "invoices"}); len(res.Hits) != 1 || res.Hits[0].Doc.Title != "Billing" {
		t.Fatalf("replaced document: %v", names(res))
	}
	if n, _ := ix.Count(ctx); n != 2 {
		t.Fatalf("Count after replace = %d, want 2", n)
	}
	if err := ix.Delete(ctx, []string{d.Key, "software-catalog:component:default/never-there"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if res := find(t, ix, search.Query{Term: "payments"}); len(res.Hits) != 0 {
		t.Fatalf("deleted document found: %v", names(res))
	}
	if res := find(t, ix, search.Query{}); res.Total != 1 || names(res)[0] != "search" {
		t.Fatalf("empty term lists everything: %v (total %d)", names(res), res.Total)
	}
	if err := ix.Upsert(ctx, []search.Document{{Title: "no key"}}); err == nil {
		t.Fatalf("a document without a key was accepted")
	}
}

func testTypos(t *testing.T, ix search.Index) {
	upsert(t, ix,
		Doc("Component", "pagerduty-bridge", "PagerDuty Bridge", "Pages people"),
		Doc("Resource", "incidents-db", "Incidents", "Stores PagerDuty incidents"),
		Doc("Component", "grafana", "Grafana", "Dashboards"),
		Doc("Component", "kubernetes-agent", "Kubernetes agent", "Runs in clusters"),
	)
	for _, term := range []string{"pagrduty", "pagerdty", "PagerDuyt", "kubernets", "kuberentes"} {
		res := find(t, ix, search.Query{Term: term})
		if len(res.Hits) == 0 {
			t.Errorf("%q: no hits, want a typo-tolerant match", term)
			continue
		}
		if strings.HasPrefix(term, "pag") || strings.HasPrefix(term, "Pag") {
			if !contains(names(res), "pagerduty-bridge") || !contains(names(res), "incidents-db") {
				t.Errorf("%q: %v, want both PagerDuty documents", term, names(res))
			}
		} else if names(res)[0] != "kubernetes-agent" {
			t.Errorf("%q: %v", term, names(res))
		}
	}
	// Short words tolerate no typo (Meilisearch's default): "grafna" has 6
	// letters and one typo; "gra" is a prefix; "grx" matches nothing.
	if res := find(t, ix, search.Query{Term: "grafna"}); !contains(names(res), "grafana") {
		t.Errorf("grafna: %v", names(res))
	}
	if res := find(t, ix, search.Query{Term: "grx"}); len(res.Hits) != 0 {
		t.Errorf("grx: %v, want nothing", names(res))
	}
}

func testPrefix(t *testing.T, ix search.Index) {
	upsert(t, ix,
		Doc("Component", "payments", "Payments", ""),
		Doc("Component", "payroll", "Payroll", ""),
		Doc("Component", "search", "Search", ""),
	)
	for term, want := range map[string][]string{"p": {"payments", "payroll"}, "pay": {"payments", "payroll"}, "paym": {"payments"}, "payr": {"payroll"}, "se": {"search"}} {
		got := names(find(t, ix, search.Query{Term: term}))
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q: %v, want %v", term, got, want)
		}
	}
	// Only the last word is a prefix.
	if got := names(find(t, ix, search.Query{Term: "pay search"})); len(got) != 0 {
		t.Errorf("\"pay search\": %v, want nothing (pay is a finished word)", got)
	}
}

func testExactFirst(t *testing.T, ix search.Index) {
	upsert(t, ix,
		Doc("Component", "pagerduty-integration", "PagerDuty integration", "Talks to PagerDuty"),
		Doc("System", "alerting", "Alerting with PagerDuty", "pagerduty pagerduty pagerduty"),
		Doc("Component", "pagerduty", "Pager", "The PagerDuty plugin"),
		Doc("Group", "pagerduty-team", "PagerDuty team", ""),
	)
	for _, term := range []string{"pagerduty", "PagerDuty"} {
		got := names(find(t, ix, search.Query{Term: term}))
		if len(got) != 4 || got[0] != "pagerduty" {
			t.Fatalf("%q: %v, want all four with the exact name first", term, got)
		}
	}
	if got := names(find(t, ix, search.Query{Term: "pagerduty-team"})); len(got) == 0 || got[0] != "pagerduty-team" {
		t.Fatalf("pagerduty-team: %v, want the exact name first", got)
	}
}

func testAllWords(t *testing.T, ix search.Index) {
	upsert(t, ix,
		Doc("API", "payments-api", "Payments API", "REST"),
		Doc("Component", "payments", "Payments", "Service"),
		Doc("API", "search-api", "Search API", ""),
	)
	if got := names(find(t, ix, search.Query{Term: "payments api"})); len(got) != 1 || got[0] != "payments-api" {
		t.Fatalf("payments api: %v, want payments-api only", got)
	}
}

// testTypeAhead types "pagerduty" one letter at a time, and with a typo on
// the way: from the third letter every keystroke keeps finding the PagerDuty
// documents, and the one named exactly so ranks first once the word is whole.
func testTypeAhead(t *testing.T, ix search.Index) {
	upsert(t, ix,
		Doc("Component", "pagerduty", "PagerDuty", "Incident paging plugin"),
		Doc("Component", "pagerduty-bridge", "PagerDuty bridge", "Forwards alerts to PagerDuty"),
		Doc("Component", "pager", "Pager", "Legacy pager gateway"),
		Doc("Component", "payments", "Payments", "Takes money"),
		Doc("Resource", "page-cache", "Page cache", "Caches pages"),
	)
	for _, prefix := range []string{"pag", "page", "pager", "pagerd", "pagerdu", "pagerdut", "pagerduty"} {
		got := names(find(t, ix, search.Query{Term: prefix}))
		if !contains(got, "pagerduty") || !contains(got, "pagerduty-bridge") {
			t.Errorf("%q: %v, want both PagerDuty documents", prefix, got)
		}
		if contains(got, "payments") {
			t.Errorf("%q: %v matches payments", prefix, got)
		}
	}
	if got := names(find(t, ix, search.Query{Term: "pagerduty"})); len(got) == 0 || got[0] != "pagerduty" {
		t.Errorf("pagerduty: %v, want the exact name first", got)
	}
	// A typo while typing (one of a 6+ letter prefix) still finds them.
	for _, term := range []string{"pagrdu", "pagrduty", "pagerdyt"} {
		if got := names(find(t, ix, search.Query{Term: term})); !contains(got, "pagerduty") || !contains(got, "pagerduty-bridge") {
			t.Errorf("%q: %v, want both PagerDuty documents", term, got)
		}
	}
	// Exact name first even when another name only extends it.
	if got := names(find(t, ix, search.Query{Term: "pager"})); len(got) == 0 || got[0] != "pager" {
		t.Errorf("pager: %v, want the exact name first", got)
	}
}

// testOwnerKindFilters: a search term with the owner and kind filters of the
// search page (filters[owner], filters[kind]) keeps exactly the matching
// documents, totals included.
func testOwnerKindFilters(t *testing.T, ix search.Index) {
	upsert(t, ix,
		Doc("Component", "pagerduty", "PagerDuty", "", owner("team-a")),
		Doc("Component", "pagerduty-bridge", "PagerDuty bridge", "", owner("team-b")),
		Doc("API", "pagerduty-api", "PagerDuty API", "", owner("team-a")),
		Doc("Group", "pagerduty-admins", "PagerDuty admins", ""),
		Doc("Component", "grafana", "Grafana", "", owner("team-a")),
	)
	for name, c := range map[string]struct {
		f    catalog.Filter
		want []string
	}{
		"owner":           {catalog.Eq("owner", "team-a"), []string{"pagerduty", "pagerduty-api"}},
		"owner relation":  {catalog.Eq("owner", "group:default/team-a"), []string{"pagerduty", "pagerduty-api"}},
		"kind":            {catalog.Eq("kind", "component"), []string{"pagerduty", "pagerduty-bridge"}},
		"kinds":           {catalog.Eq("kind", "Component", "API"), []string{"pagerduty", "pagerduty-api", "pagerduty-bridge"}},
		"owner and kind":  {catalog.AllOf(catalog.Eq("owner", "team-a"), catalog.Eq("kind", "api")), []string{"pagerduty-api"}},
		"owner, no match": {catalog.Eq("owner", "team-z"), nil},
	} {
		for _, term := range []string{"pagerduty", "pagrduty", "pager"} {
			res := find(t, ix, search.Query{Term: term, Filter: c.f})
			got := names(res)
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(c.want, ",") || res.Total != len(c.want) {
				t.Errorf("%s, %q: %v (total %d), want %v", name, term, got, res.Total, c.want)
			}
		}
	}
}

// corpus is a generated catalog for the filter oracle.
func corpus(n int) []search.Document {
	r := rand.New(rand.NewSource(42))
	kinds := []string{"Component", "API", "Resource", "System", "Group"}
	owners := []string{"team-a", "team-b", "team-c", ""}
	lifecycles := []string{"production", "experimental", "deprecated", ""}
	types := []string{"service", "website", "library", ""}
	tags := []string{"go", "java", "critical", "internal"}
	nss := []string{"default", "default", "ops"}
	docs := make([]search.Document, n)
	for i := range docs {
		kind := kinds[r.Intn(len(kinds))]
		ns := nss[r.Intn(len(nss))]
		name := fmt.Sprintf("svc-%03d", i)
		ref := strings.ToLower(kind + ":" + ns + "/" + name)
		d := search.Document{Key: search.CatalogKey(ref), Type: search.TypeCatalog, Ref: ref, Name: name,
			Title: fmt.Sprintf("Service %d", i), Text: "generated", Kind: kind, Namespace: ns,
			Location:   "/catalog/" + ns + "/" + strings.ToLower(kind) + "/" + name,
			EntityType: types[r.Intn(len(types))], Lifecycle: lifecycles[r.Intn(len(lifecycles))]}
		if o := owners[r.Intn(len(owners))]; o != "" {
			d.Owner = o
			d.OwnedBy = []string{"group:default/" + o}
		}
		for _, tg := range tags {
			if r.Intn(3) == 0 {
				d.Tags = append(d.Tags, tg)
			}
		}
		docs[i] = d
	}
	return docs
}

func allKeys(t *testing.T, ix search.Index, q search.Query) ([]string, int) {
	t.Helper()
	var keys []string
	total := -1
	for off := 0; ; off += search.MaxLimit {
		q.Offset, q.Limit = off, search.MaxLimit
		res := find(t, ix, q)
		if total < 0 {
			total = res.Total
		}
		for _, h := range res.Hits {
			keys = append(keys, h.Doc.Key)
		}
		if len(res.Hits) < search.MaxLimit {
			break
		}
	}
	sort.Strings(keys)
	return keys, total
}

// OracleFilters are the conditions the filter oracle checks.
var OracleFilters = map[string]catalog.Filter{
	"zero":            {},
	"kind":            catalog.Eq("kind", "component"),
	"kinds":           catalog.Eq("kind", "component", "api"),
	"namespace":       catalog.Eq("metadata.namespace", "ops"),
	"owner relation":  catalog.Eq("relations.ownedby", "group:default/team-a"),
	"spec.owner":      catalog.Eq("spec.owner", "team-b"),
	"owner either":    catalog.Eq("owner", "team-c", "group:default/team-a"),
	"tags":            catalog.Eq("metadata.tags", "critical"),
	"type":            catalog.Eq("spec.type", "service"),
	"lifecycle":       catalog.Eq("spec.lifecycle", "production"),
	"exists":          catalog.Exists("spec.lifecycle"),
	"not exists":      catalog.NotOf(catalog.Exists("relations.ownedby")),
	"not":             catalog.NotOf(catalog.Eq("kind", "component")),
	"any":             catalog.AnyOf(catalog.Eq("kind", "system"), catalog.Eq("metadata.tags", "go")),
	"empty any":       catalog.AnyOf(),
	"all":             catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.lifecycle", "production"), catalog.NotOf(catalog.Eq("metadata.tags", "java"))),
	"permission-like": catalog.AnyOf(catalog.Eq("relations.ownedby", "group:default/team-a", "group:default/team-b"), catalog.NotOf(catalog.Eq("kind", "component", "api"))),
	"case":            catalog.Eq("KIND", "COMPONENT"),
	"not lifecycle":   catalog.NotOf(catalog.Eq("spec.lifecycle", "production", "experimental")), // some have none
	"not owner":       catalog.NotOf(catalog.Eq("owner", "team-a")),
	"not type or tag": catalog.AnyOf(catalog.NotOf(catalog.Eq("spec.type", "service")), catalog.NotOf(catalog.Exists("metadata.tags"))),
}

func testFilterOracle(t *testing.T, ix search.Index) {
	docs := corpus(240)
	upsert(t, ix, docs...)
	for name, f := range OracleFilters {
		cond, err := search.Translate(f)
		if err != nil {
			t.Fatalf("%s: Translate: %v", name, err)
		}
		var want []string
		for _, d := range docs {
			if cond.Match(d) {
				want = append(want, d.Key)
			}
		}
		sort.Strings(want)
		got, total := allKeys(t, ix, search.Query{Filter: f})
		if strings.Join(got, ",") != strings.Join(want, ",") || total != len(want) {
			t.Errorf("filter %s (%s): got %d (total %d), want %d", name, cond, len(got), total, len(want))
		}
		// With a term: the filter still applies inside the query.
		got, total = allKeys(t, ix, search.Query{Term: "service", Filter: f})
		if strings.Join(got, ",") != strings.Join(want, ",") || total != len(want) {
			t.Errorf("filter %s with term: got %d (total %d), want %d", name, len(got), total, len(want))
		}
	}
}

func testPaging(t *testing.T, ix search.Index) {
	docs := corpus(130)
	upsert(t, ix, docs...)
	f := catalog.Eq("kind", "component", "api")
	all, total := allKeys(t, ix, search.Query{Term: "generated", Filter: f})
	seen := map[string]bool{}
	var pages []string
	for off := 0; off < total+5; off += 7 {
		res := find(t, ix, search.Query{Term: "generated", Filter: f, Offset: off, Limit: 7})
		if res.Total != total {
			t.Fatalf("page at %d: total %d, want %d", off, res.Total, total)
		}
		for _, h := range res.Hits {
			if seen[h.Doc.Key] {
				t.Fatalf("page at %d repeats %s", off, h.Doc.Key)
			}
			seen[h.Doc.Key] = true
			pages = append(pages, h.Doc.Key)
		}
	}
	sort.Strings(pages)
	if strings.Join(pages, ",") != strings.Join(all, ",") {
		t.Fatalf("pages of 7 give %d documents, want %d", len(pages), len(all))
	}
	if res := find(t, ix, search.Query{Limit: 1000}); len(res.Hits) != search.MaxLimit {
		t.Fatalf("limit 1000 returned %d hits, want the cap %d", len(res.Hits), search.MaxLimit)
	}
	if _, err := ix.Search(ctx, search.Query{Offset: -1}); err == nil {
		t.Fatalf("negative offset accepted")
	}
}

func testFacets(t *testing.T, ix search.Index) {
	docs := corpus(90)
	upsert(t, ix, docs...)
	f := catalog.NotOf(catalog.Eq("kind", "group"))
	res := find(t, ix, search.Query{Filter: f, Facets: []string{search.FieldKind, search.FieldTags}, Limit: 1})
	cond, _ := search.Translate(f)
	want := map[string]map[string]int{search.FieldKind: {}, search.FieldTags: {}}
	for _, d := range docs {
		if !cond.Match(d) {
			continue
		}
		fv := search.FilterValues(d)
		for field := range want {
			for _, v := range fv[field] {
				want[field][v]++
			}
		}
	}
	for field, counts := range want {
		got := map[string]int{}
		for _, fc := range res.Facets[field] {
			got[fc.Value] = fc.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(counts) {
			t.Errorf("facet %s = %v, want %v", field, got, counts)
		}
		fs := res.Facets[field]
		for i := 1; i < len(fs); i++ {
			if fs[i].Count > fs[i-1].Count {
				t.Errorf("facet %s not most frequent first: %v", field, fs)
			}
		}
	}
	if _, err := ix.Search(ctx, search.Query{Facets: []string{"text"}}); !isInput(err) {
		t.Errorf("facet on text: %v, want an InputError", err)
	}
}

func testTypes(t *testing.T, ix search.Index) {
	doc := search.Document{Key: "techdocs:component:default/payments/index", Type: "techdocs", Title: "Payments docs",
		Text: "How payments work", Location: "/docs/default/component/payments"}
	upsert(t, ix, doc, Doc("Component", "payments", "Payments", ""))
	if got := find(t, ix, search.Query{Term: "payments"}); got.Total != 2 {
		t.Fatalf("both types: %d", got.Total)
	}
	got := find(t, ix, search.Query{Term: "payments", Types: []string{"techdocs"}})
	if got.Total != 1 || got.Hits[0].Doc.Type != "techdocs" || got.Hits[0].Doc.Location != doc.Location {
		t.Fatalf("types=techdocs: %+v", got.Hits)
	}
	if err := ix.DeleteType(ctx, search.TypeCatalog); err != nil {
		t.Fatalf("DeleteType: %v", err)
	}
	if got := find(t, ix, search.Query{}); got.Total != 1 || got.Hits[0].Doc.Type != "techdocs" {
		t.Fatalf("after DeleteType: %+v", got.Hits)
	}
}

// testReplaceType: what the plugin collator needs of a backend — a type's
// documents replaced as a set (more than one page of them), their fields
// kept, other types untouched, and the types listed by a doctype facet.
func testReplaceType(t *testing.T, ix search.Index) {
	upsert(t, ix, Doc("Component", "payments", "Payments", ""))
	pdoc := func(plugin, id, title string) search.Document {
		return search.Document{Key: search.PluginKey(plugin, id), Type: search.PluginType(plugin), Title: title,
			Location: "https://pd.example/" + id, EntityType: "incident", Fields: map[string]string{"status": "triggered", "id": id}}
	}
	var first []search.Document
	for i := 0; i < 130; i++ {
		first = append(first, pdoc("pagerduty", fmt.Sprintf("inc-%03d", i), fmt.Sprintf("Incident %d", i)))
	}
	if err := search.ReplaceType(ctx, ix, search.PluginType("pagerduty"), first); err != nil {
		t.Fatal(err)
	}
	if err := search.ReplaceType(ctx, ix, search.PluginType("grafana"), []search.Document{pdoc("grafana", "d1", "Latency dashboard")}); err != nil {
		t.Fatal(err)
	}
	if got := find(t, ix, search.Query{Types: []string{"plugin:pagerduty"}}); got.Total != 130 {
		t.Fatalf("after the first run: %d pagerduty documents", got.Total)
	}
	// The second run keeps 3 (one retitled) and adds 1: the other 127 go.
	second := []search.Document{first[0], first[64], pdoc("pagerduty", "inc-129", "Incident 129 renamed"), pdoc("pagerduty", "inc-new", "Brand new")}
	if err := search.ReplaceType(ctx, ix, search.PluginType("pagerduty"), second); err != nil {
		t.Fatal(err)
	}
	keys, total := allKeys(t, ix, search.Query{Types: []string{"plugin:pagerduty"}})
	want := []string{"plugin:pagerduty:inc-000", "plugin:pagerduty:inc-064", "plugin:pagerduty:inc-129", "plugin:pagerduty:inc-new"}
	if strings.Join(keys, ",") != strings.Join(want, ",") || total != 4 {
		t.Fatalf("after the second run: %v (total %d), want %v", keys, total, want)
	}
	res := find(t, ix, search.Query{Term: "renamed"})
	if len(res.Hits) != 1 || res.Hits[0].Doc.Fields["status"] != "triggered" || res.Hits[0].Doc.Fields["id"] != "inc-129" ||
		res.Hits[0].Doc.EntityType != "incident" {
		t.Fatalf("renamed: %+v", res.Hits)
	}
	res = find(t, ix, search.Query{Limit: 1, Facets: []string{search.FieldDocType}})
	types := map[string]int{}
	for _, fc := range res.Facets[search.FieldDocType] {
		types[fc.Value] = fc.Count
	}
	if types["plugin:pagerduty"] != 4 || types["plugin:grafana"] != 1 || types[search.TypeCatalog] != 1 || len(types) != 3 {
		t.Fatalf("doctype facet = %v", types)
	}
	// An empty set removes the type; a wrong type is refused.
	if err := search.ReplaceType(ctx, ix, search.PluginType("grafana"), nil); err != nil {
		t.Fatal(err)
	}
	if got := find(t, ix, search.Query{Types: []string{"plugin:grafana"}}); got.Total != 0 {
		t.Fatalf("grafana after an empty run: %d", got.Total)
	}
	if err := search.ReplaceType(ctx, ix, search.PluginType("grafana"), []search.Document{pdoc("pagerduty", "x", "X")}); err == nil {
		t.Fatal("a document of another type was accepted")
	}
	if n, _ := ix.Count(ctx); n != 5 {
		t.Fatalf("Count = %d, want 5 (catalog 1, pagerduty 4)", n)
	}
}

func isInput(err error) bool {
	var ie *catalog.InputError
	return errors.As(err, &ie)
}

func testUnsupported(t *testing.T, ix search.Index) {
	upsert(t, ix, Doc("Component", "payments", "Payments", ""))
	for name, f := range map[string]catalog.Filter{
		"prefix":      catalog.Prefix("kind", "comp"),
		"unknown key": catalog.Eq("spec.profile.email", "x@y"),
		"nested":      catalog.AllOf(catalog.Eq("kind", "component"), catalog.NotOf(catalog.Eq("metadata.annotations.x", "y"))),
	} {
		res, err := ix.Search(ctx, search.Query{Filter: f})
		if !isInput(err) {
			t.Errorf("%s: got %d hits, err %v; want an InputError (never ignore a condition)", name, len(res.Hits), err)
		}
	}
}
