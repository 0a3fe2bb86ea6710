package catalogbench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/gen"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/postgres"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/catalog/storetest"
)

// BenchmarkCatalog ingests N generated entities through a single Location and
// times the read paths. Sizes come from PORTICO_BENCH_ENTITIES (comma list,
// default 100000) and stores from PORTICO_BENCH_STORES (default
// "sqlite,postgres"); PORTICO_BENCH_READS=0 stops after the ingest and the
// unchanged refresh (for profiling them). Run one store and size per process (make bench does) so
// that peak RSS belongs to that case alone. For profiling: PORTICO_BENCH_INGESTPROFILE
// (a CPU profile of the ingest alone), PORTICO_BENCH_HEAPPROFILE (the heap after the
// ingest) and PORTICO_BENCH_MIDHEAP_S (the heap that many seconds into it, to
// PORTICO_BENCH_HEAPPROFILE + ".mid").
//
// Figures are reported as benchmark metrics: ingest_ent/s, peak_rss_MiB,
// db_MiB, and <query>_p50/_p95/_p99 in microseconds.
func BenchmarkCatalog(b *testing.B) {
	sizes := envList("PORTICO_BENCH_ENTITIES", "100000")
	stores := envList("PORTICO_BENCH_STORES", "sqlite,postgres")
	for _, store := range stores {
		for _, size := range sizes {
			n, err := strconv.Atoi(size)
			if err != nil {
				b.Fatalf("PORTICO_BENCH_ENTITIES: %v", err)
			}
			b.Run(fmt.Sprintf("%s/%d", store, n), func(b *testing.B) { benchCatalog(b, store, n) })
		}
	}
}

func benchCatalog(b *testing.B, kind string, n int) {
	ctx := context.Background()
	dir := b.TempDir()
	orgDir := filepath.Join(dir, "org")
	sum, err := gen.WriteDir(orgDir, n, 1)
	if err != nil {
		b.Fatal(err)
	}
	store, size, reopen := openStore(b, kind, filepath.Join(dir, "data"))
	closed := false
	defer func() {
		if !closed {
			store.Close()
		}
	}()

	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		b.Fatal(err)
	}
	eng := ingest.New(store, kinds, ingest.Options{OrphanStrategy: catalog.OrphanDelete})
	loc, err := store.AddLocation(ctx, catalog.Location{Type: "file", Target: sum.Root, Origin: ingest.OriginConfig})
	if err != nil {
		b.Fatal(err)
	}
	if at := os.Getenv("PORTICO_BENCH_MIDHEAP_S"); at != "" { // what is live while the ingest runs
		secs, err := strconv.ParseFloat(at, 64)
		if err != nil {
			b.Fatalf("PORTICO_BENCH_MIDHEAP_S: %v", err)
		}
		t := time.AfterFunc(time.Duration(secs*float64(time.Second)), func() {
			runtime.GC()
			f, err := os.Create(os.Getenv("PORTICO_BENCH_HEAPPROFILE") + ".mid")
			if err == nil {
				err = errors.Join(pprof.WriteHeapProfile(f), f.Close())
			}
			if err != nil {
				b.Errorf("mid-ingest heap profile: %v", err)
			}
		})
		defer t.Stop()
	}
	// PORTICO_BENCH_INGESTPROFILE names a CPU profile of the ingest alone
	// (-test.cpuprofile covers generating, ingesting and opening again).
	profile := os.Getenv("PORTICO_BENCH_INGESTPROFILE")
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuSeconds()
	rep, err := eng.ProcessLocation(ctx, loc)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		b.Fatal(err)
	}
	ingestDur := time.Since(start)
	b.StopTimer()
	if path := os.Getenv("PORTICO_BENCH_HEAPPROFILE"); path != "" { // what stays resident after an ingest
		writeHeapProfile(b, path)
	}
	h, err := store.Health(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if h.Entities < n {
		b.Fatalf("ingested %d entities of %d (report %+v)", h.Entities, n, rep)
	}
	b.ReportMetric(float64(h.Entities)/ingestDur.Seconds(), "ingest_ent/s")
	b.ReportMetric(ingestDur.Seconds(), "ingest_s")
	// CPU time (user+system) of the ingest: on a shared machine it says what
	// the ingest costs when the wall clock says how busy the neighbours were.
	b.ReportMetric(cpuSeconds()-cpu0, "ingest_cpu_s")
	b.ReportMetric(peakRSSMiB(), "peak_rss_MiB")

	// A second, unchanged refresh must write nothing and shows the cost of a no-op refresh.
	start = time.Now()
	if _, err := eng.ProcessLocation(ctx, loc); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "refresh_unchanged_s")

	if os.Getenv("PORTICO_BENCH_READS") == "0" { // ingest only, for profiling it
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
		closed = true
		b.ReportMetric(size()/(1<<20), "db_MiB")
		measureOpen(b, reopen)
		return
	}
	refs := sampleRefs(b, store, 5000)
	rng := rand.New(rand.NewPCG(1, 2))
	services := catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.type", "service"))

	measure(b, "byname", 5000, func() error {
		_, err := store.EntityByRef(ctx, refs[rng.IntN(len(refs))], catalog.Filter{})
		return err
	})
	var next *catalog.Position
	measure(b, "list", 2000, func() error {
		// Alternate first pages and cursor continuations, as a user paging does.
		p, err := store.QueryEntities(ctx, catalog.Query{Filter: services, Limit: 50, After: next})
		if err != nil {
			return err
		}
		if next == nil && p.HasMore {
			next = p.Last
		} else {
			next = nil
		}
		return nil
	})
	measure(b, "query_total", 1000, func() error {
		_, err := store.QueryEntities(ctx, catalog.Query{Filter: catalog.Eq("kind", "component"), Limit: 50,
			Order: []catalog.Order{{Field: "metadata.name"}}, CountTotal: true, ExcludeMissingOrder: true})
		return err
	})
	measure(b, "facets", 300, func() error {
		_, err := store.Facets(ctx, catalog.Filter{}, []string{"kind", "spec.type", "spec.owner"})
		return err
	})
	measure(b, "facets_filtered", 300, func() error {
		_, err := store.Facets(ctx, catalog.Eq("kind", "component"), []string{"spec.type", "spec.owner", "spec.lifecycle"})
		return err
	})
	// The facets above are answered from the per-generation cache; the first
	// call after any write counts afresh. A one-entity write to a location of
	// its own (untimed) before each call measures that.
	wl, err := store.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/bench-writes.yaml"})
	if err != nil {
		b.Fatal(err)
	}
	writes := 0
	write := func() error {
		writes++
		e := storetest.E("Component", "", "bench-writer")
		e.Metadata.Description = fmt.Sprintf("write %d", writes)
		e.Spec = map[string]any{"type": "service", "lifecycle": "production", "owner": "group:default/bench"}
		p := catalog.Processed{Entity: e}
		if err := catalog.HashBody(&p); err != nil {
			return err
		}
		_, err := store.ApplyLocation(ctx, catalog.Apply{LocationID: wl.ID, Entities: []catalog.Processed{p}})
		return err
	}
	measureAfter(b, "facets_after_write", 50, write, func() error {
		_, err := store.Facets(ctx, catalog.Filter{}, []string{"kind", "spec.type", "spec.owner"})
		return err
	})
	measureAfter(b, "facets_filtered_after_write", 50, write, func() error {
		_, err := store.Facets(ctx, catalog.Eq("kind", "component"), []string{"spec.type", "spec.owner", "spec.lifecycle"})
		return err
	})
	measure(b, "byrefs100", 1000, func() error {
		batch := make([]string, 100)
		for i := range batch {
			batch[i] = refs[rng.IntN(len(refs))]
		}
		_, err := store.EntitiesByRefs(ctx, batch, catalog.Filter{})
		return err
	})
	terms := []string{"pay", "search", "gate", "ord", "stream", "auth"}
	measure(b, "fulltext", 300, func() error {
		_, err := store.QueryEntities(ctx, catalog.Query{Limit: 50, CountTotal: true,
			FullText: &catalog.FullText{Term: terms[rng.IntN(len(terms))], Fields: []string{"metadata.name", "metadata.title"}}})
		return err
	})

	// Size on disk once the store is closed: SQLite checkpoints and removes
	// its WAL, which after a large transaction is as big as what it wrote.
	if err := store.Close(); err != nil {
		b.Fatal(err)
	}
	closed = true
	b.ReportMetric(size()/(1<<20), "db_MiB")
	measureOpen(b, reopen)
}

// measureOpen times opening the stored catalog again — a restart, or a
// new replica on PostgreSQL: migrations checked and the index loaded.
func measureOpen(b *testing.B, reopen func() (catalog.Store, error)) {
	start, cpu0 := time.Now(), cpuSeconds()
	s, err := reopen()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "open_s")
	b.ReportMetric(cpuSeconds()-cpu0, "open_cpu_s")
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// openStore opens an empty store of kind; size is its size on disk and
// reopen opens what it holds again.
func openStore(b *testing.B, kind, dir string) (store catalog.Store, size func() float64, reopen func() (catalog.Store, error)) {
	ctx := context.Background()
	switch kind {
	case "sqlite":
		s, err := sqlite.Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		return s, func() float64 { return dirSize(dir) }, func() (catalog.Store, error) { return sqlite.Open(ctx, dir) }
	case "postgres":
		url := os.Getenv("PORTICO_TEST_PG_URL")
		if url == "" {
			url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
		s, err := postgres.Open(ctx, url, postgres.WithSchema(schema))
		if err != nil {
			b.Skipf("PostgreSQL not available at %s: %v", url, err)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			conn.Close(ctx)
		})
		return s, func() float64 {
			var bytes int64
			err := conn.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)),0)::bigint
				FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE n.nspname = $1 AND c.relkind = 'r'`, schema).Scan(&bytes)
			if err != nil {
				b.Fatal(err)
			}
			return float64(bytes)
		}, func() (catalog.Store, error) { return postgres.Open(ctx, url, postgres.WithSchema(schema)) }
	}
	b.Fatalf("unknown store %q", kind)
	return nil, nil, nil
}

// sampleRefs returns up to n refs of stored entities, spread over the catalog.
func sampleRefs(b *testing.B, s catalog.Store, n int) []string {
	p, err := s.QueryEntities(context.Background(), catalog.Query{Limit: n})
	if err != nil {
		b.Fatal(err)
	}
	refs := make([]string, 0, len(p.Items))
	for _, r := range p.Items {
		refs = append(refs, r.Ref)
	}
	if len(refs) == 0 {
		b.Fatal("no entities to sample")
	}
	return refs
}

// measureBudget bounds one measurement: a slow store (PostgreSQL facets at a
// million entities take seconds each) stops after this long, with at least
// minSamples samples, so a benchmark run stays in minutes.
const (
	measureBudget = 30 * time.Second
	minSamples    = 20
)

// measure runs fn up to iters times and reports p50/p95/p99 in microseconds
// and how many samples they come from.
func measure(b *testing.B, name string, iters int, fn func() error) {
	measureAfter(b, name, iters, nil, fn)
}

// measureAfter is measure with an untimed prep (when not nil) before each call.
func measureAfter(b *testing.B, name string, iters int, prep, fn func() error) {
	d := make([]time.Duration, 0, iters)
	start := time.Now()
	for len(d) < iters && (len(d) < minSamples || time.Since(start) < measureBudget) {
		if prep != nil {
			if err := prep(); err != nil {
				b.Fatalf("%s: prepare: %v", name, err)
			}
		}
		t := time.Now()
		if err := fn(); err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		d = append(d, time.Since(t))
	}
	b.ReportMetric(float64(len(d)), name+"_samples")
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(pct(0.50), name+"_p50_us")
	b.ReportMetric(pct(0.95), name+"_p95_us")
	b.ReportMetric(pct(0.99), name+"_p99_us")
}

func peakRSSMiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func writeHeapProfile(b *testing.B, path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// cpuSeconds is the process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func dirSize(dir string) float64 {
	var total int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return float64(total)
}

func envList(name, def string) []string {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	return strings.Split(v, ",")
}
