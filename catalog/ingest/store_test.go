package ingest

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

func pgURL() string {
	if u := os.Getenv("PORTICO_TEST_PG_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openPG opens the PostgreSQL store on a fresh schema dropped after the test;
// it skips (or fails with PORTICO_TEST_REQUIRE_PG=1) without a server.
func openPG(t *testing.T) catalog.Store {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL())
	if err == nil {
		err = conn.Ping(ctx)
	}
	if err != nil {
		if os.Getenv("PORTICO_TEST_REQUIRE_PG") == "1" {
			t.Fatalf("PostgreSQL required but unreachable at %s: %v", pgURL(), err)
		}
		t.Skipf("PostgreSQL not reachable at %s: %v", pgURL(), err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	s, err := postgres.Open(ctx, pgURL(), postgres.WithSchema(schema), postgres.WithMaxConns(4))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openStore is the store the ingestion tests run on: the embedded one.
func openStore(t *testing.T) catalog.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
