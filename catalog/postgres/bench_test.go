package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/storetest"
)

// BenchmarkApply ingests N generated entities through one location in one
// Apply, then re-applies the same input (which must write nothing).
func BenchmarkApply(b *testing.B) {
	n := storetest.BenchSize(b, "PORTICO_BENCH_ENTITIES")
	ents := storetest.Generate(1, n)
	ctx := context.Background()
	for b.Loop() {
		s := openTest(b)
		l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/bench.yaml"})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ents})
		if err != nil {
			b.Fatal(err)
		}
		ingest := time.Since(start)
		if res.Added != n {
			b.Fatalf("added %d of %d", res.Added, n)
		}
		start = time.Now()
		res, err = s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ents})
		if err != nil {
			b.Fatal(err)
		}
		reapply := time.Since(start)
		if res.Unchanged != n {
			b.Fatalf("re-apply: %+v", res)
		}
		b.ReportMetric(float64(n)/ingest.Seconds(), "entities/s")
		b.ReportMetric(float64(n)/reapply.Seconds(), "unchanged-entities/s")
		var size int64
		if err := s.pool.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
			JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = $1 AND c.relkind = 'r'`, s.Schema()).Scan(&size); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size)/(1<<20), "MiB-on-disk")
		s.Close()
	}
}

// BenchmarkReads measures the read battery of issue #2 on N entities.
func BenchmarkReads(b *testing.B) {
	n := storetest.BenchSize(b, "PORTICO_BENCH_ENTITIES")
	ctx := context.Background()
	s := openTest(b)
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/bench.yaml"})
	if err != nil {
		b.Fatal(err)
	}
	ents := storetest.Generate(1, n)
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ents}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE entities; ANALYZE relations`); err != nil {
		b.Fatal(err)
	}
	refs := make([]string, 100)
	for i := range refs {
		refs[i] = ents[i*(n/100)].Entity.Ref().String()
	}
	list := catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.type", "service"))
	cases := []struct {
		name string
		fn   func() error
	}{
		{"by-name", func() error { _, err := s.EntityByRef(ctx, refs[37], catalog.Filter{}); return err }},
		{"paged-list", func() error {
			_, err := s.QueryEntities(ctx, catalog.Query{Filter: list, Limit: 50})
			return err
		}},
		{"paged-list-by-name", func() error {
			_, err := s.QueryEntities(ctx, catalog.Query{Filter: list, Limit: 50, Order: []catalog.Order{{Field: "metadata.name"}}})
			return err
		}},
		{"by-query-total", func() error {
			_, err := s.QueryEntities(ctx, catalog.Query{Filter: list, Limit: 50, CountTotal: true})
			return err
		}},
		{"facets", func() error {
			_, err := s.Facets(ctx, catalog.Filter{}, []string{"kind", "spec.type", "spec.owner"})
			return err
		}},
		{"by-refs-100", func() error { _, err := s.EntitiesByRefs(ctx, refs, catalog.Filter{}); return err }},
		{"full-text", func() error {
			_, err := s.QueryEntities(ctx, catalog.Query{Limit: 50, FullText: &catalog.FullText{Term: "payments", Fields: []string{"metadata.description"}}})
			return err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if err := c.fn(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
