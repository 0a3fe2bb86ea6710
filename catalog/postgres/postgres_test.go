package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/storetest"
)

func testURL() string {
	if u := os.Getenv("PORTICO_TEST_PG_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// requirePG skips (or, with PORTICO_TEST_REQUIRE_PG=1, fails) when no
// PostgreSQL server answers.
func requirePG(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testURL())
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(ctx)
	}
	if err != nil {
		if os.Getenv("PORTICO_TEST_REQUIRE_PG") == "1" {
			t.Fatalf("PostgreSQL required (PORTICO_TEST_REQUIRE_PG=1) but unreachable at %s: %v", testURL(), err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set PORTICO_TEST_PG_URL; PORTICO_TEST_REQUIRE_PG=1 makes this fatal): %v", testURL(), err)
	}
}

// newSchema returns a fresh schema name that is dropped when the test ends.
func newSchema(t testing.TB) string {
	t.Helper()
	requirePG(t)
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "t_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, testURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// Other packages' tests drop their schemas at the same time; catalog
		// locks taken by concurrent DROP ... CASCADE can deadlock, so retry.
		for attempt := 1; ; attempt++ {
			_, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
			var pe *pgconn.PgError
			if err == nil {
				return
			}
			if attempt < 5 && errors.As(err, &pe) && pe.Code == "40P01" {
				continue
			}
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
	})
	return name
}

// openTest opens a store on a fresh schema; it is closed when the test ends.
func openTest(t testing.TB, opts ...Option) *Store {
	t.Helper()
	schema := newSchema(t)
	s, err := Open(context.Background(), testURL(), append([]Option{WithSchema(schema), WithLogger(quietLog)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	requirePG(t)
	storetest.Run(t, func(t *testing.T) catalog.Store { return openTest(t, WithMaxConns(4)) })
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	schema := newSchema(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, testURL(), WithSchema(schema), WithMaxConns(2), WithLogger(quietLog))
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
	}
	s, err := Open(ctx, testURL(), WithSchema(schema), WithLogger(quietLog))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(ms))
	}
}

func TestOptionsRejectBadInput(t *testing.T) {
	for _, name := range []string{"", "Public", "a-b", "x; DROP TABLE y", "1abc"} {
		if _, err := Open(context.Background(), testURL(), WithSchema(name)); err == nil {
			t.Errorf("WithSchema(%q) accepted", name)
		}
	}
	if _, err := Open(context.Background(), "::not a url::"); err == nil {
		t.Error("a malformed URL was accepted")
	}
	if _, err := Open(context.Background(), testURL(), WithMaxConns(1)); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("WithMaxConns(1): err = %v, want a refusal (an apply needs two connections)", err)
	}
}
