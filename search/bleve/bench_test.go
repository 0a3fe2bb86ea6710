package bleve

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// The search benchmarks build one index per size (once per process) and
// report: indexing rate (docs/s), query latency p50/p99 (ms) over a mix of
// exact, typo, prefix, multi-word and filtered queries, and size on disk
// (MB). 1,000,000 documents only with PORTICO_BENCH_SEARCH_1M=1.

var benchWords = strings.Fields(`payments billing invoice ledger search catalog pager alert metrics grafana
kubernetes cluster deploy pipeline build artifact registry gateway proxy auth login session token user
profile account order cart checkout shipping inventory warehouse pricing discount coupon email notify
queue stream kafka event audit report export import sync cache redis postgres mysql storage backup
archive media image video upload thumbnail render template portal docs wiki forum chat message inbox
calendar schedule booking travel flight hotel weather maps geo routing fleet driver rider fraud risk
score model training feature flag experiment analytics dashboard tracing logging health status probe`)

type builtIndex struct {
	ix      *Index
	dir     string
	rate    float64
	sizeMB  float64
	queries []search.Query
	kinds   []string // the query's category, parallel to queries
}

var (
	benchMu    sync.Mutex
	benchBuilt = map[int]*builtIndex{}
)

func benchDoc(r *rand.Rand, i int) search.Document {
	w := func() string { return benchWords[r.Intn(len(benchWords))] }
	kinds := []string{"Component", "API", "Resource", "System", "Group", "User"}
	kind := kinds[r.Intn(len(kinds))]
	name := fmt.Sprintf("%s-%s-%d", w(), w(), i)
	ref := strings.ToLower(kind) + ":default/" + name
	team := fmt.Sprintf("team-%d", r.Intn(200))
	words := make([]string, 12)
	for j := range words {
		words[j] = w()
	}
	return search.Document{Key: search.CatalogKey(ref), Type: search.TypeCatalog, Ref: ref, Name: name, Kind: kind,
		Namespace: "default", Title: strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "-", " "),
		Text: strings.Join(words, " "), Location: "/catalog/default/" + strings.ToLower(kind) + "/" + name,
		EntityType: []string{"service", "website", "library"}[r.Intn(3)], Lifecycle: []string{"production", "experimental"}[r.Intn(2)],
		Owner: team, OwnedBy: []string{"group:default/" + team}, Tags: []string{w(), w()}, Keywords: kind + " " + team}
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

func buildBench(b *testing.B, n int) *builtIndex {
	benchMu.Lock()
	defer benchMu.Unlock()
	if bi := benchBuilt[n]; bi != nil {
		return bi
	}
	dir, err := os.MkdirTemp("", "portico-search-bench-")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ix, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	start := time.Now()
	const batch = 5000
	docs := make([]search.Document, 0, batch)
	var sample []search.Document
	for i := 0; i < n; i++ {
		d := benchDoc(r, i)
		docs = append(docs, d)
		if i%(n/50) == 0 {
			sample = append(sample, d)
		}
		if len(docs) == batch || i == n-1 {
			if err := ix.Upsert(ctx, docs); err != nil {
				b.Fatal(err)
			}
			docs = docs[:0]
		}
	}
	rate := float64(n) / time.Since(start).Seconds()
	var qs []search.Query
	var kinds []string
	for i, d := range sample {
		first := strings.Split(d.Name, "-")[0]
		typo := first
		if len(first) >= 5 {
			typo = first[:2] + first[3:] // one letter dropped
		}
		qs = append(qs,
			search.Query{Term: d.Name, Limit: 25},                       // exact name
			search.Query{Term: typo, Limit: 25},                         // typo
			search.Query{Term: first[:min(3, len(first))], Limit: 25},   // prefix as you type
			search.Query{Term: first + " " + strings.Fields(d.Text)[0]}, // two words
			search.Query{Term: first, Filter: catalog.Eq("kind", "component"), // filtered, permission-like
				Facets: []string{search.FieldKind}},
			search.Query{Term: typo, Filter: catalog.AnyOf(catalog.Eq("relations.ownedby", d.OwnedBy[0]),
				catalog.NotOf(catalog.Eq("kind", "component", "api"))), Offset: 25 * (i % 3)},
		)
		kinds = append(kinds, "exact", "typo", "prefix", "words", "filter", "perm")
	}
	bi := &builtIndex{ix: ix, dir: dir, rate: rate, sizeMB: float64(dirSize(dir)) / (1 << 20), queries: qs, kinds: kinds}
	benchBuilt[n] = bi
	return bi
}

func benchScale(b *testing.B, n int) {
	bi := buildBench(b, n)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	byKind := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := bi.queries[i%len(bi.queries)]
		t0 := time.Now()
		if _, err := bi.ix.Search(ctx, q); err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		lat = append(lat, d)
		k := bi.kinds[i%len(bi.kinds)]
		byKind[k] = append(byKind[k], d)
	}
	b.StopTimer()
	pct := func(lat []time.Duration, p float64) float64 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(bi.rate, "index-docs/s")
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	for k, l := range byKind {
		b.ReportMetric(pct(l, 0.99), "p99-"+k+"-ms")
	}
	b.ReportMetric(bi.sizeMB, "disk-MB")
}

func BenchmarkSearch100k(b *testing.B) { benchScale(b, 100_000) }

func BenchmarkSearch1M(b *testing.B) {
	if os.Getenv("PORTICO_BENCH_SEARCH_1M") != "1" {
		b.Skip("set PORTICO_BENCH_SEARCH_1M=1 for the 1,000,000-document run (slow)")
	}
	benchScale(b, 1_000_000)
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, bi := range benchBuilt {
		bi.ix.Close()
		os.RemoveAll(bi.dir)
	}
	os.Exit(code)
}
