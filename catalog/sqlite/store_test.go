package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/catalog/storetest"
)

func open(t *testing.T) catalog.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// An identical re-apply writes no entity or relation row.
func TestIdenticalApplyWritesNoRows(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/x.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	gen := storetest.Generate(7, 300)
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: gen}); err != nil {
		t.Fatal(err)
	}
	before := s.RowWrites()
	if before == 0 {
		t.Fatalf("first apply counted no writes")
	}
	res, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: storetest.Generate(7, 300)})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.RowWrites(); got != before {
		t.Fatalf("identical apply wrote %d rows (%+v)", got-before, res)
	}
}

// Data and index survive a restart: the index is rebuilt from SQLite.
func TestRestartPersistence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/p.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: storetest.Generate(3, 400)}); err != nil {
		t.Fatal(err)
	}
	if err := s.KVSet(ctx, "p", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	queries := []catalog.Query{
		{Filter: catalog.Eq("kind", "component"), CountTotal: true, Limit: 25},
		{Order: []catalog.Order{{Field: "spec.type", Desc: true}}, Limit: 30, CountTotal: true},
		{FullText: &catalog.FullText{Term: "svc"}, CountTotal: true},
	}
	answers := func(s *sqlite.Store) []string {
		var out []string
		for _, q := range queries {
			p, err := s.QueryEntities(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, strconv.Itoa(p.TotalItems))
			for _, it := range p.Items {
				out = append(out, it.Ref+" "+string(it.JSON))
			}
		}
		f, err := s.Facets(ctx, catalog.Filter{}, []string{"kind", "spec.type"})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"kind", "spec.type"} {
			for _, c := range f[k] {
				out = append(out, k+"="+c.Value+":"+strconv.Itoa(c.Count))
			}
		}
		return out
	}
	before := answers(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	after := answers(s2)
	if len(before) != len(after) {
		t.Fatalf("answers differ after restart: %d vs %d", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("answer %d differs after restart:\n%s\n%s", i, before[i], after[i])
		}
	}
	if v, ok, _ := s2.KVGet(ctx, "p", "k"); !ok || string(v) != "v" {
		t.Fatalf("kv lost on restart")
	}
	// Re-applying the same input after a restart is still a no-op.
	w := s2.RowWrites()
	if _, err := s2.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: storetest.Generate(3, 400)}); err != nil {
		t.Fatal(err)
	}
	if s2.RowWrites() != w {
		t.Fatalf("re-apply after restart wrote rows")
	}
}

// A database from a newer binary is refused, not silently used.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlite.Open(ctx, dir); err == nil || !strings.Contains(err.Error(), "schema version 999") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}
