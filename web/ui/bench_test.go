package ui_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/gen"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/ui"
	"github.com/portico-dev/portico/web/ui/uitest"
)

// The targets: server time p95 < 50 ms for the entity page with four
// plugin cards (upstreams answering instantly) and for the catalog list at
// 100,000 entities; page weight < 200 KB.

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: time.Minute}

func fetch(tb testing.TB, url string) []byte {
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("GET %s: %d %.300s", url, resp.StatusCode, b)
	}
	return b
}

// cpuTime is the process's user+system CPU time so far. Client, portal and
// plugins run in this process, so CPU per operation is what a page costs,
// and is far less disturbed than wall time by other work on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func p95(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[(len(ds)*95+99)/100-1].Microseconds()) / 1000
}

var slotSrc = regexp.MustCompile(`data-src="([^"]+)"`)

// fourCards starts the portal with four card plugins: the first-party ones
// against the simulators when built, else the hello examples.
func fourCards(tb testing.TB, uncached bool) (*uitest.Portal, string) {
	p := uitest.Start(tb, uitest.Options{FirstParty: true, Uncached: uncached})
	if len(p.Loaded) < 4 {
		tb.Logf("first-party plugins not all built (%v missing); using the hello examples", p.Missing)
		p = uitest.Start(tb, uitest.Options{Hello: true, Uncached: uncached})
	}
	if len(p.Loaded) < 4 {
		tb.Skipf("fewer than four plugins built (run `make plugins`): %v", p.Loaded)
	}
	return p, p.URL + "/catalog/default/component/identity-service"
}

// pageLoad fetches what a browser fetches for an entity page: the HTML, then
// its card fragments concurrently (CSS and JS are cached after the first view).
func pageLoad(tb testing.TB, page string, base string) (n int) {
	html := fetch(tb, page)
	n = len(html)
	srcs := slotSrc.FindAllStringSubmatch(string(html), -1)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, m := range srcs {
		wg.Add(1)
		go func(u string) {
			defer wg.Done()
			b := fetch(tb, base+strings.ReplaceAll(u, "&amp;", "&"))
			mu.Lock()
			n += len(b)
			mu.Unlock()
		}(m[1])
	}
	wg.Wait()
	return n
}

// BenchmarkEntityPageFourCards: cards from host/cardcache (as served within
// each card's cacheTTL) and with every card rendered by its plugin.
func BenchmarkEntityPageFourCards(b *testing.B) {
	for _, mode := range []string{"cached", "plugin-calls"} {
		b.Run(mode, func(b *testing.B) {
			p, page := fourCards(b, mode == "plugin-calls")
			pageLoad(b, page, p.URL) // warm instances and the card cache's first render
			var ds []time.Duration
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				pageLoad(b, page, p.URL)
				ds = append(ds, time.Since(start))
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(p95(ds), "p95-ms")
		})
	}
}

// The entity page's own HTML, without its card fragments.
func BenchmarkEntityPageHTMLOnly(b *testing.B) {
	_, page := fourCards(b, false)
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		fetch(b, page)
		ds = append(ds, time.Since(start))
	}
	b.ReportMetric(p95(ds), "p95-ms")
}

// TestPageWeight: the heaviest ordinary page, the entity page with every
// plugin's card plus the stylesheet and script, stays under 200 KB.
func TestPageWeight(t *testing.T) {
	p := uitest.Start(t, uitest.Options{Hello: true, FirstParty: true})
	n := pageLoad(t, p.URL+"/catalog/default/component/identity-service", p.URL)
	n += len(fetch(t, p.URL+"/static/portico.css")) + len(fetch(t, p.URL+"/static/portico.js"))
	t.Logf("entity page with %d plugins: %d bytes", len(p.Loaded), n)
	if n > 200<<10 {
		t.Fatalf("entity page weighs %d bytes, over 200 KB", n)
	}
	for _, path := range []string{"/", "/catalog", "/catalog/default/component/identity-service/graph", "/catalog/default/api/storefront-graphql", "/plugins"} {
		w := len(fetch(t, p.URL+path))
		if w > 200<<10 {
			t.Errorf("%s weighs %d bytes, over 200 KB", path, w)
		}
	}
}

var (
	bigOnce sync.Once
	bigURL  string
	bigErr  error
	bigDir  string
	bigStop func()
)

// bigCatalog ingests a generated organisation of 100,000 entities into a
// fresh embedded store once per process (PORTICO_UI_BENCH_ENTITIES overrides).
func bigCatalog(b *testing.B) string {
	bigOnce.Do(func() {
		n := 100_000
		if v := os.Getenv("PORTICO_UI_BENCH_ENTITIES"); v != "" {
			fmt.Sscan(v, &n)
		}
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "portico-ui-bench-")
		if err != nil {
			bigErr = err
			return
		}
		bigDir = dir
		if _, err := gen.WriteDir(filepath.Join(dir, "org"), n, 1); err != nil {
			bigErr = err
			return
		}
		st, err := sqlite.Open(ctx, filepath.Join(dir, "data"))
		if err != nil {
			bigErr = err
			return
		}
		kinds, _ := catalog.NewKinds(nil)
		eng := ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: filepath.Join(dir, "org", gen.RootFile)}}})
		start := time.Now()
		if err := eng.SyncConfigLocations(ctx); err != nil {
			bigErr = err
			return
		}
		stats, err := eng.ProcessAll(ctx)
		if err != nil {
			bigErr = err
			return
		}
		b.Logf("ingested %d entities in %s", stats.Entities, time.Since(start).Round(time.Millisecond))
		u, err := ui.New(ui.Options{Store: st})
		if err != nil {
			bigErr = err
			return
		}
		app := web.New(web.Options{Store: st, Areas: []web.Area{u}})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			bigErr = err
			return
		}
		go func() { _ = app.Listener(ln) }()
		bigURL = "http://" + ln.Addr().String()
		bigStop = func() { _ = app.Shutdown(); st.Close() }
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigURL
}

var nextHref = regexp.MustCompile(`href="([^"]+)" rel="next"`)

func BenchmarkCatalogList100k(b *testing.B) {
	base := bigCatalog(b)
	b.Cleanup(func() {
		if bigStop != nil {
			bigStop()
		}
		os.RemoveAll(bigDir)
	})
	page2 := nextHref.FindStringSubmatch(string(fetch(b, base+"/catalog")))
	cases := map[string]string{
		"first-page":      "/catalog",
		"kind-facet":      "/catalog?kind=Component&lifecycle=production",
		"text-filter":     "/catalog?q=payment",
		"sorted-by-owner": "/catalog?sort=owner",
	}
	if page2 != nil {
		cases["next-page"] = strings.ReplaceAll(page2[1], "&amp;", "&")
	}
	names := make([]string, 0, len(cases))
	for k := range cases {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		path := cases[name]
		b.Run(name, func(b *testing.B) {
			var ds []time.Duration
			size := 0
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				size = len(fetch(b, base+path))
				ds = append(ds, time.Since(start))
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(p95(ds), "p95-ms")
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkPluginCard times one uncached card call of each first-party
// plugin alone (no page, no concurrency): where the entity page's plugin
// time goes.
func BenchmarkPluginCard(b *testing.B) {
	p := uitest.Start(b, uitest.Options{FirstParty: true})
	ctx := context.Background()
	rec, err := p.Store.EntityByRef(ctx, "component:default/identity-service", catalog.Filter{})
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range ui.NewHostCards(p.Host).Slots(ctx, rec.JSON) {
		b.Run(s.Plugin, func(b *testing.B) {
			pl := p.Host.Plugin(s.Plugin)
			if _, err := pl.Card(ctx, s.Card, rec.JSON); err != nil {
				b.Fatal(err)
			}
			var ds []time.Duration
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if _, err := pl.Card(ctx, s.Card, rec.JSON); err != nil {
					b.Fatal(err)
				}
				ds = append(ds, time.Since(start))
			}
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(p95(ds), "p95-ms")
		})
	}
}
