package authz_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/catalog/storetest"
	"github.com/portico-dev/portico/identity"
)

// benchStore is one SQLite store holding PORTICO_BENCH_AUTHZ_ENTITIES
// generated entities (default 100,000), owned by four teams, shared by the
// sub-benchmarks of one process.
var benchStore struct {
	once sync.Once
	dir  string
	st   catalog.Store
	n    int
	err  error
}

// TestMain removes the benchmark store once every benchmark has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore.st != nil {
		_ = benchStore.st.Close()
	}
	if benchStore.dir != "" {
		_ = os.RemoveAll(benchStore.dir)
	}
	os.Exit(code)
}

func openBenchStore(b *testing.B) (catalog.Store, int) {
	benchStore.once.Do(func() {
		n := 100_000
		if v := os.Getenv("PORTICO_BENCH_AUTHZ_ENTITIES"); v != "" {
			if n, benchStore.err = strconv.Atoi(v); benchStore.err != nil {
				return
			}
		}
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "authz-bench-")
		if err != nil {
			benchStore.err = err
			return
		}
		benchStore.dir = dir
		st, err := sqlite.Open(ctx, dir)
		if err != nil {
			benchStore.err = err
			return
		}
		gen := storetest.Generate(7, n)
		const chunk = 10_000
		for i := 0; i < len(gen); i += chunk {
			loc, err := st.AddLocation(ctx, catalog.Location{Type: "url", Target: fmt.Sprintf("https://example.com/bench-%d.yaml", i)})
			if err == nil {
				_, err = st.ApplyLocation(ctx, catalog.Apply{LocationID: loc.ID, Entities: gen[i:min(i+chunk, len(gen))], OrphanStrategy: catalog.OrphanDelete})
			}
			if err != nil {
				benchStore.err = err
				return
			}
		}
		benchStore.st, benchStore.n = st, n
	})
	if benchStore.err != nil {
		b.Fatal(benchStore.err)
	}
	return benchStore.st, benchStore.n
}

// BenchmarkAuthzCatalog compares list and facet reads of a member of one
// team (the default-style ownership condition of catalog.entity.read, as
// the authorizer produces it and the store receives it) with the same reads
// unconditioned. The target: conditioned ≤ 1.5× unconditioned.
// Note: the store caches unfiltered facet counts per write generation, so
// facets/unconditioned is a cache hit; facets_filtered compares the same
// filtered path with and without the condition.
func BenchmarkAuthzCatalog(b *testing.B) {
	st, n := openBenchStore(b)
	ctx := context.Background()
	pol, err := authz.ParsePolicy([]byte(`
defaultRoles: [viewer]
roles: {viewer: {}}
rules:
  - {subject: viewer, permissions: [catalog.entity.read], conditions: {rule: IS_ENTITY_OWNER}}
`))
	if err != nil {
		b.Fatal(err)
	}
	az, err := authz.New(pol)
	if err != nil {
		b.Fatal(err)
	}
	member := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/jane", Claims: []string{"group:default/team-a", "user:default/jane"}}
	owned := az.DecideFor(member, authz.CatalogEntityRead).Filter()
	services := catalog.AllOf(catalog.Eq("kind", "component"), catalog.Eq("spec.type", "service"))
	for _, c := range []struct {
		name string
		perm catalog.Filter
	}{{"unconditioned", catalog.Filter{}}, {"owner", owned}} {
		b.Run(fmt.Sprintf("%d/list/%s", n, c.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := st.QueryEntities(ctx, catalog.Query{Filter: c.perm, Limit: 50}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/list_filtered_total/%s", n, c.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := st.QueryEntities(ctx, catalog.Query{Filter: catalog.And(services, c.perm), Limit: 50,
					Order: []catalog.Order{{Field: "metadata.name"}}, CountTotal: true, ExcludeMissingOrder: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/facets_filtered/%s", n, c.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := st.Facets(ctx, catalog.And(catalog.Eq("kind", "component"), c.perm), []string{"spec.type", "spec.owner", "spec.lifecycle"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%d/facets/%s", n, c.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := st.Facets(ctx, c.perm, []string{"kind", "spec.type", "spec.lifecycle"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
