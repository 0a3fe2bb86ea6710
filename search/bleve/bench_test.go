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

// The search benchmarks build one index per size and corpus (once per
// process) and report: indexing rate (docs/s), query latency p50/p99 (ms)
// over a mix of exact, typo, prefix, multi-word and filtered queries, and
// size on disk (MB). 1,000,000 documents only with PORTICO_BENCH_SEARCH_1M=1.
// PORTICO_BENCH_SEARCH_DIR=dir keeps the indexes there and reuses them on
// the next run (index-docs/s is then 0: not measured);
// PORTICO_BENCH_SEARCH_SLOW=1 logs the slowest 1% of the queries.
//
// Two corpora: "worst" draws every word from 110 words, so each query word
// matches ~13% of the documents (every query scores a tenth of the index);
// "zipf" draws from 32,768 generated words with Zipf frequencies (s=1.1,
// v=20: the most common word is in about a third of the documents),
// like names and descriptions in a real catalog (a few very common words, a
// long tail).

var benchWords = strings.Fields(`payments billing invoice ledger search catalog pager alert metrics grafana
kubernetes cluster deploy pipeline build artifact registry gateway proxy auth login session token user
profile account order cart checkout shipping inventory warehouse pricing discount coupon email notify
queue stream kafka event audit report export import sync cache redis postgres mysql storage backup
archive media image video upload thumbnail render template portal docs wiki forum chat message inbox
calendar schedule booking travel flight hotel weather maps geo routing fleet driver rider fraud risk
score model training feature flag experiment analytics dashboard tracing logging health status probe`)

// zipfWords is the zipf corpus's vocabulary: three syllables each.
var zipfWords = func() []string {
	syl := strings.Fields(`ka lo mi ne pu ra si to vu we ba de fi go hu ja ke li mo nu pa re sa ti vo xa ze bo cu da ex in on ul ar`)
	out := make([]string, 0, 1<<15)
	for _, a := range syl {
		for _, b := range syl {
			for _, c := range syl {
				if len(out) < 1<<15 {
					out = append(out, a+b+c)
				}
			}
		}
	}
	rand.New(rand.NewSource(7)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}()

type corpusKind string

const (
	worstCorpus corpusKind = "worst"
	zipfCorpus  corpusKind = "zipf"
)

func wordSource(r *rand.Rand, c corpusKind) func() string {
	if c == zipfCorpus {
		z := rand.NewZipf(r, 1.1, 20, uint64(len(zipfWords)-1))
		return func() string { return zipfWords[z.Uint64()] }
	}
	return func() string { return benchWords[r.Intn(len(benchWords))] }
}

type builtIndex struct {
	ix      *Index
	dir     string
	keep    bool // PORTICO_BENCH_SEARCH_DIR: not removed
	rate    float64
	sizeMB  float64
	queries []search.Query
	kinds   []string // the query's category, parallel to queries
}

var (
	benchMu    sync.Mutex
	benchBuilt = map[string]*builtIndex{}
)

func benchDoc(r *rand.Rand, w func() string, i int) search.Document {
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

func buildBench(b *testing.B, n int, c corpusKind) *builtIndex {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprint(n, c)
	if bi := benchBuilt[key]; bi != nil {
		return bi
	}
	// PORTICO_BENCH_SEARCH_DIR keeps the indexes in that directory (one per
	// size and corpus) and reuses one that holds all n documents (a mapping
	// change recreates it empty, so it is rebuilt): to iterate on queries
	// without rebuilding 1,000,000 documents every run.
	keep := os.Getenv("PORTICO_BENCH_SEARCH_DIR")
	var dir string
	var err error
	if keep != "" {
		dir = filepath.Join(keep, fmt.Sprintf("%d-%s", n, c))
	} else if dir, err = os.MkdirTemp("", "portico-search-bench-"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	ix, err := Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	reuse := false
	if keep != "" {
		if have, err := ix.Count(ctx); err == nil && have == n {
			reuse = true
		} else if err := ix.DeleteType(ctx, search.TypeCatalog); err != nil {
			b.Fatal(err)
		}
	}
	r := rand.New(rand.NewSource(1))
	words := wordSource(r, c)
	start := time.Now()
	const batch = 5000
	docs := make([]search.Document, 0, batch)
	var sample []search.Document
	for i := 0; i < n; i++ {
		d := benchDoc(r, words, i)
		docs = append(docs, d)
		if i%(n/50) == 0 {
			sample = append(sample, d)
		}
		if !reuse && (len(docs) == batch || i == n-1) {
			if err := ix.Upsert(ctx, docs); err != nil {
				b.Fatal(err)
			}
		}
		if len(docs) == batch {
			docs = docs[:0]
		}
	}
	rate := float64(n) / time.Since(start).Seconds()
	if reuse {
		rate = 0 // not measured: the index was reused
	}
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
	bi := &builtIndex{ix: ix, dir: dir, keep: keep != "", rate: rate, sizeMB: float64(dirSize(dir)) / (1 << 20), queries: qs, kinds: kinds}
	benchBuilt[key] = bi
	return bi
}

func benchScale(b *testing.B, n int, c corpusKind) {
	bi := buildBench(b, n, c)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	byKind := map[string][]time.Duration{}
	type timed struct {
		d     time.Duration
		i     int
		total int
	}
	var all []timed
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := bi.queries[i%len(bi.queries)]
		t0 := time.Now()
		res, err := bi.ix.Search(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		lat = append(lat, d)
		k := bi.kinds[i%len(bi.kinds)]
		byKind[k] = append(byKind[k], d)
		all = append(all, timed{d, i % len(bi.queries), res.Total})
	}
	b.StopTimer()
	if os.Getenv("PORTICO_BENCH_SEARCH_SLOW") == "1" {
		// The slowest 1%: which queries make the p99.
		sort.Slice(all, func(i, j int) bool { return all[i].d > all[j].d })
		for _, t := range all[:max(1, len(all)/100)] {
			q := bi.queries[t.i]
			b.Logf("%7.1f ms %-6s total %7d %q offset %d facets %v", float64(t.d.Microseconds())/1000, bi.kinds[t.i], t.total, q.Term, q.Offset, q.Facets)
		}
	}
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

func BenchmarkSearch100k(b *testing.B)     { benchScale(b, 100_000, worstCorpus) }
func BenchmarkSearch100kZipf(b *testing.B) { benchScale(b, 100_000, zipfCorpus) }

func BenchmarkSearch1M(b *testing.B) {
	if os.Getenv("PORTICO_BENCH_SEARCH_1M") != "1" {
		b.Skip("set PORTICO_BENCH_SEARCH_1M=1 for the 1,000,000-document run (slow)")
	}
	benchScale(b, 1_000_000, worstCorpus)
}

func BenchmarkSearch1MZipf(b *testing.B) {
	if os.Getenv("PORTICO_BENCH_SEARCH_1M") != "1" {
		b.Skip("set PORTICO_BENCH_SEARCH_1M=1 for the 1,000,000-document run (slow)")
	}
	benchScale(b, 1_000_000, zipfCorpus)
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, bi := range benchBuilt {
		bi.ix.Close()
		if !bi.keep {
			os.RemoveAll(bi.dir)
		}
	}
	os.Exit(code)
}
