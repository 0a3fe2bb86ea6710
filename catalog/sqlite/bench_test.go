package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/catalog/storetest"
)

// benchStore ingests n entities into a fresh store. With PORTICO_BENCH_DIR
// set, BenchmarkQuery reuses the store found there (BenchmarkApply fills it),
// so a million-entity read battery does not re-ingest.
func benchStore(b *testing.B, n int, reuse bool) (*sqlite.Store, string, time.Duration) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	if d := os.Getenv("PORTICO_BENCH_DIR"); d != "" {
		dir = d
		if _, err := os.Stat(filepath.Join(dir, "catalog.db")); err == nil {
			if !reuse {
				b.Fatalf("PORTICO_BENCH_DIR=%s already holds a catalog", dir)
			}
			start := time.Now()
			s, err := sqlite.Open(ctx, dir)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("reopened %s (index rebuilt) in %v", dir, time.Since(start))
			return s, dir, 0
		}
	}
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/bench.yaml"})
	if err != nil {
		b.Fatal(err)
	}
	ents := storetest.Generate(1, n)
	for i := range ents {
		ents[i].Hash = "h" + strconv.Itoa(i)
	}
	runtime.GC()
	start := time.Now()
	res, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ents})
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	if res.Added != n {
		b.Fatalf("added %d of %d", res.Added, n)
	}
	return s, dir, took
}

// BenchmarkApply ingests n generated entities from one location in one Apply.
func BenchmarkApply(b *testing.B) {
	n := storetest.BenchSize(b, "PORTICO_BENCH_N")
	for i := 0; i < b.N; i++ {
		s, dir, took := benchStore(b, n, false)
		b.ReportMetric(float64(n)/took.Seconds(), "entities/s")
		s.Close()
		start := time.Now()
		s2, err := sqlite.Open(context.Background(), dir)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "reopen-ms")
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB-after-reopen")
		s2.Close()
	}
}

// BenchmarkQuery measures the read battery on a store of n entities and
// reports p50/p99 per operation.
func BenchmarkQuery(b *testing.B) {
	n := storetest.BenchSize(b, "PORTICO_BENCH_N")
	s, _, _ := benchStore(b, n, true)
	defer s.Close()
	ctx := context.Background()
	var refs []string
	p, err := s.QueryEntities(ctx, catalog.Query{Limit: 100, Offset: n / 3})
	if err != nil {
		b.Fatal(err)
	}
	for _, it := range p.Items {
		refs = append(refs, it.Ref)
	}
	paged := catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.type", "service"))
	ops := []struct {
		name string
		fn   func(i int) error
	}{
		{"by-name", func(i int) error { _, err := s.EntityByRef(ctx, refs[i%len(refs)], catalog.Filter{}); return err }},
		{"paged-list", func(i int) error {
			_, err := s.QueryEntities(ctx, catalog.Query{Filter: paged, Limit: 50, Offset: (i % 20) * 50})
			return err
		}},
		{"by-query-total", func(i int) error {
			_, err := s.QueryEntities(ctx, catalog.Query{Filter: paged, Limit: 50, CountTotal: true, Order: []catalog.Order{{Field: "metadata.name"}}})
			return err
		}},
		{"facets", func(i int) error {
			_, err := s.Facets(ctx, catalog.Filter{}, []string{"kind", "spec.type", "spec.owner"})
			return err
		}},
		{"facets-filtered", func(i int) error {
			_, err := s.Facets(ctx, catalog.Eq("kind", "component"), []string{"kind", "spec.type", "spec.owner"})
			return err
		}},
		{"count-only", func(i int) error {
			_, err := s.QueryEntities(ctx, catalog.Query{Filter: catalog.Eq("spec.lifecycle", "production"), Limit: 1, CountTotal: true})
			return err
		}},
		{"by-refs-100", func(i int) error { _, err := s.EntitiesByRefs(ctx, refs, catalog.Filter{}); return err }},
		{"full-text", func(i int) error {
			_, err := s.QueryEntities(ctx, catalog.Query{FullText: &catalog.FullText{Term: "payments", Fields: []string{"metadata.description"}}, Limit: 50, CountTotal: true})
			return err
		}},
	}
	for _, op := range ops {
		b.Run(op.name, func(b *testing.B) {
			const samples = 200
			for i := 0; i < 5; i++ { // warm lazily built orderings and caches
				if err := op.fn(i); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, samples*b.N)
			for i := 0; i < samples*b.N; i++ {
				t0 := time.Now()
				if err := op.fn(i); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
