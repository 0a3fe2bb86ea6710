package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// storeWithLocation opens a store (closed when the test ends) with one url location.
func storeWithLocation(t *testing.T, target string) (*sqlite.Store, catalog.Location) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	l, err := s.AddLocation(context.Background(), catalog.Location{Type: "url", Target: target})
	if err != nil {
		t.Fatal(err)
	}
	return s, l
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

// An identical re-apply writes no entity or relation row.
func TestIdenticalApplyWritesNoRows(t *testing.T) {
	ctx := context.Background()
	s, l := storeWithLocation(t, "https://example.com/x.yaml")
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

// The writer does not checkpoint at commit; the background checkpointer
// copies the write into the database file while the store stays open.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/c.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "catalog.db")
	size := func() int64 {
		fi, err := os.Stat(db)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: storetest.Generate(3, 400)}); err != nil {
		t.Fatal(err)
	}
	// Waiting, not timing: the checkpoint runs when the checkpointer gets to it.
	for deadline := time.Now().Add(30 * time.Second); size() <= before; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 30 s after a 400-entity write: no checkpoint", before)
		}
	}
	if got, err := s.EntityByRef(ctx, "component:default/"+firstComponent(t, s), catalog.Filter{}); err != nil || len(got.JSON) == 0 {
		t.Fatalf("entity after the checkpoint: %v %v", got, err)
	}
}

func firstComponent(t *testing.T, s catalog.Store) string {
	t.Helper()
	p, err := s.QueryEntities(context.Background(), catalog.Query{Filter: catalog.Eq("kind", "component"), Limit: 1})
	if err != nil || len(p.Items) == 0 {
		t.Fatalf("no component: %v", err)
	}
	_, name, _ := strings.Cut(p.Items[0].Ref, "/")
	return name
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

// Groups and systems that later parts point at are stitched once, at the end
// of a streamed apply: every entity row is written once (no second stitch),
// and their relations still hold every later part's rows.
func TestStreamedTargetsWrittenOnce(t *testing.T) {
	ctx := context.Background()
	s, l := storeWithLocation(t, "https://example.com/w.yaml")
	mk := func(kind, name string) *catalog.Entity {
		return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name}}
	}
	var ps []catalog.Processed
	for g := 0; g < 3; g++ {
		ps = append(ps, catalog.Processed{Entity: mk("Group", "team-"+strconv.Itoa(g))})
	}
	ps = append(ps, catalog.Processed{Entity: mk("System", "sys")})
	rows := 0
	for c := 0; c < 20; c++ {
		e := mk("Component", "svc-"+strconv.Itoa(c))
		r, owner := e.Ref().String(), "group:default/team-"+strconv.Itoa(c%3)
		ps = append(ps, catalog.Processed{Entity: e, Relations: []catalog.RelationRow{
			{Source: r, Type: "ownedBy", Target: owner}, {Source: owner, Type: "ownerOf", Target: r},
			{Source: r, Type: "partOf", Target: "system:default/sys"}, {Source: "system:default/sys", Type: "hasPart", Target: r}}})
		rows += 2 // two pairs, each stored as one row
	}
	stream := func(emit func([]catalog.Processed) error) (catalog.StreamEnd, error) {
		for i := 0; i < len(ps); i += 3 {
			if err := emit(ps[i:min(i+3, len(ps))]); err != nil {
				return catalog.StreamEnd{}, err
			}
		}
		return catalog.StreamEnd{}, nil
	}
	before := s.RowWrites()
	res, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Stream: stream})
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != len(ps) {
		t.Fatalf("apply: %+v, want %d added", res, len(ps))
	}
	if got, want := s.RowWrites()-before, int64(len(ps)+rows); got != want {
		t.Fatalf("streamed apply wrote %d rows, want %d (each entity once, each relation pair once)", got, want)
	}
	for g := 0; g < 3; g++ {
		rec, err := s.EntityByRef(ctx, "group:default/team-"+strconv.Itoa(g), catalog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		e, err := rec.Entity()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range e.Relations {
			if r.Type == "ownerOf" {
				n++
			}
		}
		if want := len(ps[4:]) / 3; n < want || e.Metadata.UID == "" || e.Metadata.Etag == "" {
			t.Fatalf("%s: %d ownerOf relations (want >= %d), uid %q etag %q", e.Ref(), n, want, e.Metadata.UID, e.Metadata.Etag)
		}
	}
	rec, err := s.EntityByRef(ctx, "system:default/sys", catalog.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	sys, err := rec.Entity()
	if err != nil {
		t.Fatal(err)
	}
	if len(sys.Relations) != 20 {
		t.Fatalf("system relations: %d, want 20", len(sys.Relations))
	}
}

// Closing the store while an apply is in flight must not take the process
// down: the apply finishes or fails, and the store stays closed.
func TestCloseDuringApply(t *testing.T) {
	ctx := context.Background()
	s, l := storeWithLocation(t, "https://example.com/c.yaml")
	started, closed := make(chan struct{}), make(chan struct{})
	ents := storetest.Generate(4, 50)
	stream := func(emit func([]catalog.Processed) error) (catalog.StreamEnd, error) {
		if err := emit(ents[:25]); err != nil {
			return catalog.StreamEnd{}, err
		}
		close(started)
		<-closed
		return catalog.StreamEnd{}, emit(ents[25:])
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Stream: stream})
		done <- err
	}()
	<-started
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	close(closed)
	<-done // either outcome is fine; a panic is not
	if _, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/d.yaml"}); err == nil {
		t.Fatal("a write after Close succeeded")
	}
}
