package webtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/postgres"
	"github.com/portico-dev/portico/catalog/sqlite"
)

// OpenStore returns a fresh real store, closed when the test ends: the
// embedded SQLite store in a temporary directory, or, with
// PORTICO_TEST_WEB_STORE=postgres, a PostgreSQL store in its own schema
// (dropped afterwards) at PORTICO_TEST_PG_URL.
func OpenStore(t testing.TB) catalog.Store {
	t.Helper()
	ctx := context.Background()
	if os.Getenv("PORTICO_TEST_WEB_STORE") == "postgres" {
		return openPostgres(t)
	}
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("webtest: open sqlite store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openPostgres(t testing.TB) catalog.Store {
	t.Helper()
	ctx := context.Background()
	url := os.Getenv("PORTICO_TEST_PG_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	schema := "t_web_" + hex.EncodeToString(b)
	s, err := postgres.Open(ctx, url, postgres.WithSchema(schema))
	if err != nil {
		t.Fatalf("webtest: open postgres store (PORTICO_TEST_WEB_STORE=postgres): %v", err)
	}
	t.Cleanup(func() {
		_ = s.Close()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("webtest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("webtest: drop schema %s: %v", schema, err)
		}
	})
	return s
}
