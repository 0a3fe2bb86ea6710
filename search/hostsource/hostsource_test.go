package hostsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/pdk/go/plugintest"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
	"github.com/portico-dev/portico/search/hostsource"
	"github.com/portico-dev/portico/web/searchapi"
)

var ctx = context.Background()

// env is the collator test plugin in a real host, a real embedded index and
// a real catalog store (for entity enrichment).
type env struct {
	t    *testing.T
	h    *host.Host
	mem  *services.Memory
	ix   search.Index
	st   catalog.Store
	coll *search.PluginCollator
	src  *host.Source
}

func newEnv(t *testing.T, grant func(*services.Grant)) *env {
	t.Helper()
	wasmPath, err := plugintest.BuildWasm("testdata/collator")
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join("testdata", "collator", host.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := host.ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	src, err := host.SourceFromBytes("collator", m, wasm)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := bleve.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mem := services.NewMemory()
	set := mem.Set()
	set.Search = &search.PluginSearch{Index: ix}
	h, err := host.New(host.Options{Services: set, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CacheDir: t.TempDir(),
		Breaker: host.BreakerConfig{Failures: 1000, Cooldown: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	e := &env{t: t, h: h, mem: mem, ix: ix, st: st, src: src}
	e.load(grant)
	e.coll = &search.PluginCollator{Source: hostsource.Source{Host: h}, Index: ix, Store: st}
	return e
}

func (e *env) load(grant func(*services.Grant)) {
	e.t.Helper()
	g := e.src.Manifest.Spec.Permissions
	if grant != nil {
		grant(&g)
	}
	if _, err := e.h.LoadSource(ctx, e.src, host.LoadOptions{Grant: &g, Replace: true}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) config(v any) {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	e.mem.SetConfig("collator", b)
}

func doc(id, title string, more ...func(*map[string]any)) map[string]any {
	d := map[string]any{"id": id, "title": title, "location": "https://status.example.com/" + id}
	for _, f := range more {
		f(&d)
	}
	return d
}

// keys lists every document key of the index, sorted.
func (e *env) keys() []string {
	e.t.Helper()
	var out []string
	for off := 0; ; off += search.MaxLimit {
		res, err := e.ix.Search(ctx, search.Query{Offset: off, Limit: search.MaxLimit})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, h := range res.Hits {
			out = append(out, h.Doc.Key)
		}
		if len(res.Hits) < search.MaxLimit {
			break
		}
	}
	sort.Strings(out)
	return out
}

func TestCollateIndexesPagesAndReplaces(t *testing.T) {
	e := newEnv(t, nil)
	l, err := e.st.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/c.yaml", Origin: "api"})
	if err != nil {
		t.Fatal(err)
	}
	pay := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component", Metadata: catalog.Metadata{Name: "payments"},
		Spec: map[string]any{"owner": "team-a", "type": "service"}}
	if _, err := e.st.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{{Entity: pay,
		Relations: []catalog.RelationRow{{Source: "component:default/payments", Type: "ownedBy", Target: "group:default/team-a"}}}}}); err != nil {
		t.Fatal(err)
	}
	// A catalog document that the plugin must never touch.
	if err := e.ix.Upsert(ctx, []search.Document{search.EntityDocument(pay)}); err != nil {
		t.Fatal(err)
	}
	e.config(map[string]any{"pages": [][]map[string]any{
		{doc("svc-1", "PagerDuty payments service", func(d *map[string]any) {
			(*d)["type"] = "service"
			(*d)["entityRef"] = "component:default/payments"
			(*d)["text"] = "Pages the payments team"
			(*d)["fields"] = map[string]string{"status": "critical", "escalation": "Primary"}
		}), doc("inc-7", "Checkout latency above 2s")},
		{doc("inc-8", "Ledger replication lag", func(d *map[string]any) { delete(*d, "location"); (*d)["entityRef"] = "component:default/payments" })},
	}})
	if got := (hostsource.Source{Host: e.h}).Collators(); len(got) != 1 || got[0].Name != "collator" || got[0].Every != 5*time.Minute {
		t.Fatalf("Collators = %+v", got)
	}
	n, err := e.coll.CollatePlugin(ctx, "collator")
	if err != nil || n != 3 {
		t.Fatalf("CollatePlugin = %d, %v; want 3 documents over two pages", n, err)
	}
	want := []string{"plugin:collator:inc-7", "plugin:collator:inc-8", "plugin:collator:svc-1", "software-catalog:component:default/payments"}
	if got := e.keys(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("index keys = %v, want %v", got, want)
	}

	// /api/search/query (Backstage's API): typo-tolerant, typed, with the
	// plugin's fields and the entity's location and owner.
	app := fiber.New()
	searchapi.New(searchapi.Config{Index: e.ix}).Mount(app)
	body := apiGet(t, app, "/api/search/query?term=pagrduty&types%5B0%5D=plugin%3Acollator")
	rs := body["results"].([]any)
	if len(rs) != 1 {
		t.Fatalf("api results = %v", body)
	}
	r := rs[0].(map[string]any)
	d := r["document"].(map[string]any)
	if r["type"] != "plugin:collator" || d["title"] != "PagerDuty payments service" || d["location"] != "https://status.example.com/svc-1" ||
		d["status"] != "critical" || d["escalation"] != "Primary" || d["owner"] != "team-a" || d["type"] != "service" {
		t.Fatalf("api result = %v", r)
	}
	// Owner filter: the enriched documents follow their entity.
	body = apiGet(t, app, "/api/search/query?types%5B0%5D=plugin%3Acollator&filters%5Bowner%5D="+url.QueryEscape("group:default/team-a"))
	if got := len(body["results"].([]any)); got != 2 {
		t.Fatalf("owner filter: %d results, want the two documents of component:default/payments: %v", got, body)
	}
	body = apiGet(t, app, "/api/search/query?term=ledger")
	if rs := body["results"].([]any); len(rs) != 1 || rs[0].(map[string]any)["document"].(map[string]any)["location"] != "/catalog/default/component/payments" {
		t.Fatalf("document without location gets its entity's page: %v", body)
	}

	// portico_search_v1 from a plugin: catalog only by default, plugin
	// documents when asked for by type.
	res := e.search(t, "payments", nil)
	if len(res) != 1 || res[0]["ref"] != "component:default/payments" || res[0]["type"] != "" {
		t.Fatalf("portico_search_v1 default types = %v", res)
	}
	res = e.search(t, "checkout", []string{"plugin:collator"})
	if len(res) != 1 || res[0]["title"] != "Checkout latency above 2s" || res[0]["type"] != "plugin:collator" ||
		res[0]["location"] != "https://status.example.com/inc-7" {
		t.Fatalf("portico_search_v1 types=[plugin:collator] = %v", res)
	}

	// The plugin stops returning inc-7 and svc-1: they leave the index.
	e.config(map[string]any{"pages": [][]map[string]any{{doc("inc-8", "Ledger replication lag"), doc("inc-9", "New one")}}})
	if n, err := e.coll.CollatePlugin(ctx, "collator"); err != nil || n != 2 {
		t.Fatalf("second run = %d, %v", n, err)
	}
	want = []string{"plugin:collator:inc-8", "plugin:collator:inc-9", "software-catalog:component:default/payments"}
	if got := e.keys(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after the plugin stopped returning documents: %v, want %v", got, want)
	}
	// No documents at all: the plugin's set is empty.
	e.config(map[string]any{"pages": [][]map[string]any{{}}})
	if n, err := e.coll.CollatePlugin(ctx, "collator"); err != nil || n != 0 {
		t.Fatalf("empty run = %d, %v", n, err)
	}
	if got := e.keys(); len(got) != 1 {
		t.Fatalf("after an empty run: %v", got)
	}
}

func (e *env) search(t *testing.T, term string, types []string) []map[string]any {
	t.Helper()
	in := map[string]any{"action": "collator:search", "input": map[string]any{"term": term, "types": types}}
	b, err := e.h.Plugin("collator").Input(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.h.Plugin("collator").Call(ctx, "action", b)
	if err != nil {
		t.Fatalf("action: %v", err)
	}
	var r struct {
		Output struct {
			Results []map[string]any `json:"results"`
		} `json:"output"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r.Output.Results
}

func apiGet(t *testing.T, app *fiber.App, target string) map[string]any {
	t.Helper()
	resp, err := app.Test(httptest.NewRequest("GET", target, nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %v", target, resp.StatusCode, body, err)
	}
	return body
}

func TestCollateNeedsTheGrant(t *testing.T) {
	e := newEnv(t, func(g *services.Grant) { g.Collate = false })
	e.config(map[string]any{"pages": [][]map[string]any{{doc("a", "A")}}})
	if got := (hostsource.Source{Host: e.h}).Collators(); len(got) != 0 {
		t.Fatalf("a plugin without the collate grant is listed: %+v", got)
	}
	_, err := e.h.Plugin("collator").Collate(ctx, "")
	if !errors.Is(err, host.ErrPermission) || !strings.Contains(err.Error(), "collate not granted") {
		t.Fatalf("Collate without the grant: %v", err)
	}
	if _, err := e.coll.CollatePlugin(ctx, "collator"); !errors.Is(err, host.ErrPermission) {
		t.Fatalf("CollatePlugin without the grant: %v", err)
	}
	if got := e.keys(); len(got) != 0 {
		t.Fatalf("index written: %v", got)
	}
	if m := e.h.Plugin("collator").Metrics(); m == nil {
		t.Fatal("no metrics")
	}
}

func TestCollateRefusesBadOutput(t *testing.T) {
	e := newEnv(t, nil)
	e.config(map[string]any{"pages": [][]map[string]any{{doc("keep", "Kept document")}}})
	if _, err := e.coll.CollatePlugin(ctx, "collator"); err != nil {
		t.Fatal(err)
	}
	before := e.keys()
	long := strings.Repeat("x", 20<<10)
	for name, c := range map[string]struct {
		cfg  any
		want string
	}{
		"no title":        {map[string]any{"pages": [][]map[string]any{{{"id": "a", "location": "/x"}}}}, "title is required"},
		"no id":           {map[string]any{"pages": [][]map[string]any{{{"title": "A", "location": "/x"}}}}, "id is required"},
		"bad location":    {map[string]any{"pages": [][]map[string]any{{{"id": "a", "title": "A", "location": "javascript:alert(1)"}}}}, "location"},
		"no location":     {map[string]any{"pages": [][]map[string]any{{{"id": "a", "title": "A"}}}}, "location is required"},
		"bad entity ref":  {map[string]any{"pages": [][]map[string]any{{{"id": "a", "title": "A", "entityRef": "payments"}}}}, "entityRef"},
		"bad type":        {map[string]any{"pages": [][]map[string]any{{{"id": "a", "title": "A", "location": "/x", "type": "Bad Type"}}}}, "type"},
		"reserved field":  {map[string]any{"pages": [][]map[string]any{{{"id": "a", "title": "A", "location": "/x", "fields": map[string]string{"title": "x"}}}}}, "field name"},
		"long text":       {map[string]any{"pages": [][]map[string]any{{{"id": "a", "title": "A", "location": "/x", "text": long}}}}, "text is"},
		"duplicate id":    {map[string]any{"pages": [][]map[string]any{{doc("a", "A"), doc("a", "B")}}}, "duplicate id"},
		"dup across page": {map[string]any{"pages": [][]map[string]any{{doc("a", "A")}, {doc("a", "B")}}}, "returned twice"},
		"too many":        {map[string]any{"flood": 501}, "501 documents in one page, limit 500"},
		"output cap":      {map[string]any{"raw": `{"abi":1,"documents":[],"pad":"` + strings.Repeat("y", 300<<10) + `"}`}, "output too large"},
		"not abi":         {map[string]any{"raw": `{"documents":[]}`}, `"abi": 1`},
		"no documents":    {map[string]any{"raw": `{"abi":1}`}, "no documents list"},
		"not json":        {map[string]any{"raw": `nope`}, "not a JSON object"},
		"plugin fails":    {map[string]any{"fail": "upstream down"}, "upstream down"},
	} {
		t.Run(name, func(t *testing.T) {
			e.config(c.cfg)
			_, err := e.coll.CollatePlugin(ctx, "collator")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.want)
			}
			if got := e.keys(); strings.Join(got, ",") != strings.Join(before, ",") {
				t.Fatalf("index changed by a refused run: %v, want %v", got, before)
			}
		})
	}
	// Too many documents over several pages (the per-plugin cap).
	small := &search.PluginCollator{Source: hostsource.Source{Host: e.h}, Index: e.ix, MaxDocs: 2}
	e.config(map[string]any{"pages": [][]map[string]any{{doc("a", "A"), doc("b", "B")}, {doc("c", "C")}}})
	if _, err := small.CollatePlugin(ctx, "collator"); !errors.Is(err, search.ErrCollate) || !strings.Contains(err.Error(), "more than 2 documents") {
		t.Fatalf("MaxDocs: %v", err)
	}
	if got := e.keys(); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Fatalf("index changed by a refused run: %v", got)
	}
}

func TestCollatePrunesDepartedPlugins(t *testing.T) {
	e := newEnv(t, nil)
	e.config(map[string]any{"pages": [][]map[string]any{{doc("a", "A"), doc("b", "B")}}})
	e.coll.RunDue(ctx, time.Now())
	if got := e.keys(); len(got) != 2 {
		t.Fatalf("after RunDue: %v", got)
	}
	// Not due yet: nothing is called (a failing config would show).
	e.config(map[string]any{"fail": "must not be called"})
	e.coll.RunDue(ctx, time.Now().Add(time.Minute))
	if got := e.keys(); len(got) != 2 {
		t.Fatalf("RunDue before the period: %v", got)
	}
	// A failing run keeps the previous documents.
	e.coll.RunDue(ctx, time.Now().Add(6*time.Minute))
	if got := e.keys(); len(got) != 2 {
		t.Fatalf("a failing run dropped documents: %v", got)
	}
	// The grant is revoked: the plugin no longer collates, its documents go.
	e.load(func(g *services.Grant) { g.Collate = false })
	e.coll.RunDue(ctx, time.Now().Add(12*time.Minute))
	if got := e.keys(); len(got) != 0 {
		t.Fatalf("documents of a plugin that lost its grant: %v", got)
	}
	// Uninstalled: same.
	e.load(nil)
	e.config(map[string]any{"pages": [][]map[string]any{{doc("c", "C")}}})
	e.coll.RunDue(ctx, time.Now().Add(20*time.Minute))
	if got := e.keys(); len(got) != 1 {
		t.Fatalf("reloaded: %v", got)
	}
	if err := e.h.Unload(ctx, "collator"); err != nil {
		t.Fatal(err)
	}
	e.coll.RunDue(ctx, time.Now().Add(30*time.Minute))
	if got := e.keys(); len(got) != 0 {
		t.Fatalf("documents of an unloaded plugin: %v", got)
	}
}
