// Package uitest starts the real portal for tests and benchmarks: the
// embedded store with the demo organisation (examples/catalog) ingested, the
// vendor simulators (internal/upstreams), the Wasm plugin host with every
// plugin built in the repository (examples/plugins/*-hello, plugins/* when
// built by `make plugins`) and, on request, a plugin whose card never
// answers, an embedded search index and a signed-in principal.
// The browser tests (web/browser_test) and the portal benchmarks use it.
//
// It must never be imported by non-test code.
package uitest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/internal/upstreams"
	"github.com/portico-dev/portico/pdk/go/plugintest"
	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/bleve"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/ui"
)

// RepoRoot is the repository root, from this file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Portal is a running portal over the demo catalog.
type Portal struct {
	URL     string
	App     *fiber.App
	Store   catalog.Store
	Host    *host.Host
	Loaded  []string // plugins loaded
	Missing []string // plugins skipped because their plugin.wasm is not built
}

// firstParty configures each first-party plugin against the simulator.
func firstParty(up string) map[string]struct {
	config  map[string]any
	secrets map[string]string
} {
	type cfg = struct {
		config  map[string]any
		secrets map[string]string
	}
	return map[string]cfg{
		"pagerduty": {map[string]any{"baseURL": up + "/pagerduty", "from": "ops@acmestreaming.example"},
			map[string]string{"token": upstreams.DefaultTokens[upstreams.PagerDuty]}},
		"grafana": {map[string]any{"url": up + "/grafana"}, map[string]string{"token": upstreams.DefaultTokens[upstreams.Grafana]}},
		"kubernetes": {map[string]any{"clusters": []map[string]any{{"name": "prod-eu", "url": up + "/k8s/prod-eu"}, {"name": "prod-us", "url": up + "/k8s/prod-us"}}},
			map[string]string{"token": upstreams.DefaultTokens[upstreams.Kubernetes]}},
		"ci": {map[string]any{"github": map[string]any{"apiURL": up + "/github"}, "gitlab": map[string]any{"apiURL": up + "/gitlab/api/v4"}},
			map[string]string{"github-token": upstreams.DefaultTokens[upstreams.GitHub], "gitlab-token": upstreams.DefaultTokens[upstreams.GitLab]}},
	}
}

// Options select what Start loads.
type Options struct {
	// Hello loads examples/plugins/*-hello (when built).
	Hello bool
	// FirstParty loads plugins/{pagerduty,grafana,kubernetes,ci} (when built)
	// against a simulator.
	FirstParty bool
	// Slow loads slow-card, whose card export never returns (limits.timeout 1.5s).
	Slow bool
	// CardTimeout is the portal's per-card deadline (default 10 s).
	CardTimeout time.Duration
	// Uncached calls the plugin for every card request instead of going
	// through host/cardcache (benchmarks of the plugin calls themselves).
	Uncached bool
	// Search gives the portal a real embedded search index (search/bleve)
	// built from the demo catalog, as serve wires it.
	Search bool
	// As is the principal every request runs as, set the way the auth
	// middleware sets it (nil: anonymous); the CSRF token is CSRFToken.
	As *identity.Principal
}

// CSRFToken is the CSRF token pages get under Options.As.
const CSRFToken = "uitest-csrf-token"

// Start serves the demo organisation (examples/catalog) with the plugins o
// selects, on a loopback port, until the test ends.
func Start(t testing.TB, o Options) *Portal {
	t.Helper()
	ctx := context.Background()
	root := RepoRoot()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: filepath.Join(root, "examples", "catalog", "all.yaml")}}})
	if err := eng.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}

	up := httptest.NewServer(upstreams.New(upstreams.Options{}))
	t.Cleanup(up.Close)
	mem := services.NewMemory()
	set := mem.Set()
	sc := &services.StoreCatalog{Store: st}
	set.Catalog, set.Search = sc, sc
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := host.New(host.Options{Services: set, Logger: quiet, CacheDir: filepath.Join(os.TempDir(), "portico-browser-test-cc")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	p := &Portal{Store: st, Host: h}

	var hello []string
	if o.Hello {
		hello, _ = filepath.Glob(filepath.Join(root, "examples", "plugins", "*-hello"))
	}
	for _, dir := range hello {
		if _, err := os.Stat(filepath.Join(dir, host.DefaultModuleFile)); err != nil {
			p.Missing = append(p.Missing, filepath.Base(dir))
			continue
		}
		pl, err := h.Load(ctx, dir, host.LoadOptions{})
		if err != nil {
			t.Fatalf("load %s: %v", dir, err)
		}
		p.Loaded = append(p.Loaded, pl.Name())
	}
	fp := firstParty(up.URL)
	if !o.FirstParty {
		fp = nil
	}
	for name, c := range fp {
		dir := filepath.Join(root, "plugins", name)
		if _, err := os.Stat(filepath.Join(dir, host.DefaultModuleFile)); err != nil {
			p.Missing = append(p.Missing, name)
			continue
		}
		src, err := host.ReadSource(dir)
		if err != nil {
			t.Fatalf("read %s: %v", dir, err)
		}
		grant := src.Manifest.Spec.Permissions
		grant.HTTP = []string{"127.0.0.1"} // the simulator, by IP literal
		if _, err := h.LoadSource(ctx, src, host.LoadOptions{Grant: &grant}); err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		b, _ := json.Marshal(c.config)
		mem.SetConfig(name, b)
		for k, v := range c.secrets {
			mem.SetSecret(name, k, v)
		}
		p.Loaded = append(p.Loaded, name)
	}
	if o.Slow {
		loadSlow(t, h, root)
		p.Loaded = append(p.Loaded, "slow-card")
	}
	timeout := o.CardTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}

	cards := ui.NewHostCards(h)
	if o.Uncached {
		cards = uncached{Cards: cards, h: h}
	}
	uo := ui.Options{Store: st, Cards: cards, Plugins: ui.HostPlugins{Host: h}, CardTimeout: timeout, Logger: quiet}
	if o.Search {
		uo.Search = SearchIndex(t, st)
	}
	u, err := ui.New(uo)
	if err != nil {
		t.Fatal(err)
	}
	signIn := SignIn(func() *identity.Principal { return o.As }, CSRFToken)
	app := web.New(web.Options{Store: st, Ingest: eng, Areas: []web.Area{signIn, u}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	p.URL = "http://" + ln.Addr().String()
	p.App = app
	if len(p.Missing) > 0 {
		t.Logf("plugins not built (run `make plugins`), skipped: %v", p.Missing)
	}
	return p
}

// SearchIndex is a real embedded search index (search/bleve) in a temporary
// directory, built from st as serve builds it on first start.
func SearchIndex(t testing.TB, st catalog.Store) search.Index {
	t.Helper()
	ix, err := bleve.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := search.Reindex(context.Background(), st, ix, 0, nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// SignIn is an area, mounted before the portal, that does what the auth
// middleware does for a signed-in request: the principal who returns (nil:
// anonymous) in the user context and in Locals("principal"), and csrf in
// Locals("csrf").
func SignIn(who func() *identity.Principal, csrf string) web.Area {
	return web.AreaFunc(func(r fiber.Router) {
		r.Use(func(c *fiber.Ctx) error {
			if p := who(); p != nil {
				c.SetUserContext(identity.With(c.UserContext(), *p))
				c.Locals("principal", *p)
			}
			c.Locals("csrf", csrf)
			return c.Next()
		})
	})
}

// loadSlow builds and loads testdata/slow (a card export with an infinite loop).
func loadSlow(t testing.TB, h *host.Host, root string) {
	t.Helper()
	slowDir := filepath.Join(root, "web", "ui", "uitest", "testdata", "slow")
	wasmPath, err := plugintest.BuildWasm(slowDir)
	if err != nil {
		t.Fatalf("build slow plugin: %v", err)
	}
	mb, err := os.ReadFile(filepath.Join(slowDir, host.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := host.ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(wasmPath)
	if err != nil {
		t.Fatal(err)
	}
	src, err := host.SourceFromBytes("slow-card", m, wasm)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.LoadSource(context.Background(), src, host.LoadOptions{}); err != nil {
		t.Fatal(err)
	}

}

// uncached renders every card by calling the plugin (no host/cardcache), to
// measure plugin calls themselves.
type uncached struct {
	ui.Cards
	h *host.Host
}

func (u uncached) Render(ctx context.Context, s ui.CardSlot, _ string, entity json.RawMessage) (*host.Card, ui.CardState, error) {
	p := u.h.Plugin(s.Plugin)
	if p == nil {
		return nil, ui.CardError, ui.ErrNoCard
	}
	c, err := p.Card(ctx, s.Card, entity)
	if err != nil {
		return nil, ui.CardError, err
	}
	return c, ui.CardFresh, nil
}
