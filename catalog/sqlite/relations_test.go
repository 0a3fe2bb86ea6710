package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

func TestPackRelations(t *testing.T) {
	const self = "component:default/c"
	row := func(s, typ, d string) catalog.RelationRow {
		return catalog.RelationRow{Source: s, Type: typ, Target: d}
	}
	in := []catalog.RelationRow{
		row(self, "ownedBy", "group:default/g"), row("group:default/g", "ownerOf", self), // a pair
		row(self, "ownedBy", "group:default/g"),                       // a duplicate
		row(self, "partOf", "system:default/s"),                       // no twin
		row("api:default/a", "apiProvidedBy", self),                   // no twin either
		row(self, "dependsOn", self), row(self, "dependencyOf", self), // a pair with itself
		row(self, "custom", "resource:default/r"), row("resource:default/r", "custom", self), // unknown type: no pair
	}
	got := packRelations(self, in)
	want := []pairRow{
		{"ownedBy", "group:default/g", dirBoth}, {"partOf", "system:default/s", dirOut},
		{"dependsOn", self, dirBoth}, {"custom", "resource:default/r", dirOut},
		{"apiProvidedBy", "api:default/a", dirIn}, {"custom", "resource:default/r", dirIn},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("packed:\n got %v\nwant %v", got, want)
	}
	// Many rows (a group listing its members) pack alike.
	many := slices.Clone(in)
	wantMany := slices.Clone(want)
	for i := 0; i < 2*smallRows; i++ {
		u := fmt.Sprintf("user:default/u%d", i)
		many = append(many, row(u, "memberOf", self), row(self, "hasMember", u), row(u, "memberOf", self))
		wantMany = slices.Insert(wantMany, len(wantMany)-2, pairRow{"hasMember", u, dirBoth})
	}
	if got := packRelations(self, many); !reflect.DeepEqual(got, wantMany) {
		t.Fatalf("packed many:\n got %v\nwant %v", got, wantMany)
	}
	// Expanding the stored rows gives the input back, without the duplicate.
	var back []catalog.RelationRow
	for _, p := range got {
		back = appendRows(back, self, p.typ, p.other, p.dir)
	}
	if len(back) != len(in)-1 {
		t.Fatalf("expanded %d rows, want %d: %v", len(back), len(in)-1, back)
	}
	uniq := map[string]bool{}
	for _, s := range rowStrings(in) {
		uniq[s] = true
	}
	for _, s := range rowStrings(back) {
		if !uniq[s] {
			t.Fatalf("expanded row %s was not in the input", s)
		}
		delete(uniq, s)
	}
	if len(uniq) != 0 {
		t.Fatalf("rows lost: %v", uniq)
	}
}

func rowStrings(rows []catalog.RelationRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Source + " " + r.Type + " " + r.Target
	}
	sort.Strings(out)
	return out
}

// A store of schema version 5 (one row per direction) opens at the latest
// version — rows as pairs (6), then an originator's pairs in one row (9) —
// with the same relations and stitches them as before.
func TestRelationPairsMigration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/m.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(kind, name string, spec map[string]any) *catalog.Entity {
		return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name}, Spec: spec}
	}
	var ps []catalog.Processed
	for _, e := range []*catalog.Entity{
		mk("Group", "g", map[string]any{"type": "team"}),
		mk("Component", "a", map[string]any{"type": "service", "lifecycle": "production", "owner": "g", "dependsOn": []any{"component:b", "component:a"}}),
		mk("Component", "b", map[string]any{"type": "service", "lifecycle": "production", "owner": "g", "dependencyOf": []any{"component:a"}}),
		mk("Component", "c", map[string]any{"type": "service", "lifecycle": "production", "owner": "missing"}),
	} {
		rows, errs := catalog.EmitRelations(e)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		ps = append(ps, catalog.Processed{Entity: e, Relations: rows})
	}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps}); err != nil {
		t.Fatal(err)
	}
	refs := []string{"group:default/g", "component:default/a", "component:default/b", "component:default/c", "group:default/missing"}
	snapshot := func(s *Store) (string, string) {
		rows, err := s.Relations(ctx, refs)
		if err != nil {
			t.Fatal(err)
		}
		var finals []string
		for _, r := range refs[:4] {
			rec, err := s.EntityByRef(ctx, r, catalog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			finals = append(finals, string(rec.JSON))
		}
		return fmt.Sprint(rowStrings(rows)), fmt.Sprint(finals)
	}
	wantRows, wantFinals := snapshot(s)
	// Turn the store back into schema version 5: the rows of each originator
	// in both directions, one table row each.
	for _, q := range []string{
		`CREATE TABLE relations (originator_id INTEGER NOT NULL, source_ref TEXT NOT NULL, type TEXT NOT NULL, target_ref TEXT NOT NULL,
			PRIMARY KEY (originator_id, source_ref, type, target_ref)) WITHOUT ROWID`,
		`CREATE INDEX relations_source ON relations (source_ref)`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	sets, err := s.w.QueryContext(ctx, "SELECT originator_id, anchor_ref, pairs FROM relation_sets")
	if err != nil {
		t.Fatal(err)
	}
	type old struct {
		id  int64
		row catalog.RelationRow
	}
	var olds []old
	for sets.Next() {
		var id int64
		var anchor string
		var enc []byte
		if err := sets.Scan(&id, &anchor, &enc); err != nil {
			t.Fatal(err)
		}
		pairs, err := decodePairs(nil, enc)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			for _, r := range appendRows(nil, anchor, p.typ, p.other, p.dir) {
				olds = append(olds, old{id, r})
			}
		}
	}
	sets.Close()
	for _, o := range olds {
		if _, err := s.w.ExecContext(ctx, "INSERT OR IGNORE INTO relations VALUES (?, ?, ?, ?)", o.id, o.row.Source, o.row.Type, o.row.Target); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{"DROP TABLE relation_sets", "PRAGMA user_version = 5"} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	s = reopen(t, s, dir)
	defer s.Close()
	var n int
	if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'relations'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("old relations table left behind (%d, %v)", n, err)
	}
	if gotRows, gotFinals := snapshot(s); gotRows != wantRows || gotFinals != wantFinals {
		t.Fatalf("after migration:\nrows %s\nwant %s\nfinals %s\nwant %s", gotRows, wantRows, gotFinals, wantFinals)
	}
	// A write after the migration replaces the migrated rows of its
	// originator and re-stitches its peers as before.
	ps[1].Entity.Spec["owner"] = "other"
	ps[1].Relations, _ = catalog.EmitRelations(ps[1].Entity)
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: ps}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Relations(ctx, []string{"group:default/g"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rowStrings(rows)); got != "[component:default/b ownedBy group:default/g group:default/g ownerOf component:default/b]" {
		t.Fatalf("relations of g after a move: %s", got)
	}
}

// A new store gets pageSize pages in WAL mode; an existing store keeps the
// page size it has.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	pragma := func(s *Store, name string) string {
		var v string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if ps, jm := pragma(s, "page_size"), pragma(s, "journal_mode"); ps != fmt.Sprint(pageSize) || jm != "wal" {
		t.Fatalf("new store: page_size %s, journal_mode %s", ps, jm)
	}
	if err := s.KVSet(ctx, "t", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	s.r.Close() // leaving WAL mode needs the only connection
	for _, q := range []string{"PRAGMA journal_mode=DELETE", "PRAGMA page_size=4096", "VACUUM", "PRAGMA journal_mode=WAL"} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if s, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ps := pragma(s, "page_size"); ps != "4096" {
		t.Fatalf("reopened 4 KiB store has page_size %s", ps)
	}
	if v, ok, err := s.KVGet(ctx, "t", "k"); err != nil || !ok || string(v) != "v" {
		t.Fatalf("reopened store lost its data: %q %v %v", v, ok, err)
	}
}

// An apply cut into many small chunks — entities of deferred kinds stitched
// chunk by chunk while the next one is read, targets of later parts
// re-stitched chunk by chunk — stores the same catalog as one chunk does.
func TestSmallChunksSameCatalog(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(9))
	mk := func(kind, name string, spec map[string]any) *catalog.Entity {
		return &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: kind, Metadata: catalog.Metadata{Name: name}, Spec: spec}
	}
	var es []*catalog.Entity
	for i := 0; i < 12; i++ {
		es = append(es, mk("Group", fmt.Sprintf("g%d", i), map[string]any{"type": "team", "children": []any{}}))
		es = append(es, mk("System", fmt.Sprintf("s%d", i), map[string]any{"owner": fmt.Sprintf("g%d", rng.Intn(12))}))
	}
	for i := 0; i < 150; i++ {
		es = append(es, mk("Component", fmt.Sprintf("c%d", i), map[string]any{"type": "service", "lifecycle": "production",
			"owner": fmt.Sprintf("g%d", rng.Intn(12)), "system": fmt.Sprintf("s%d", rng.Intn(12)),
			"dependsOn": []any{fmt.Sprintf("component:c%d", rng.Intn(150)), fmt.Sprintf("component:c%d", rng.Intn(150))}}))
	}
	rng.Shuffle(len(es), func(i, j int) { es[i], es[j] = es[j], es[i] })
	input := func() []catalog.Processed {
		var ps []catalog.Processed
		for _, e := range es {
			c := *e
			rows, errs := catalog.EmitRelations(&c)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			ps = append(ps, catalog.Processed{Entity: &c, Relations: rows})
		}
		return ps
	}
	catalogWith := func(chunk int) (finals []string, facets string) {
		defer func(n int) { applyChunk = n }(applyChunk)
		applyChunk = chunk
		s, err := Open(ctx, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		l, err := s.AddLocation(ctx, catalog.Location{Type: "url", Target: "https://example.com/c.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: input()}); err != nil {
			t.Fatal(err)
		}
		p, err := s.QueryEntities(ctx, catalog.Query{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range p.Items {
			e, err := rec.Entity()
			if err != nil {
				t.Fatal(err)
			}
			e.Metadata.UID, e.Metadata.Etag = "", "" // random per store
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			finals = append(finals, string(b))
		}
		f, err := s.Facets(ctx, catalog.Filter{}, []string{"relations.dependencyof", "relations.ownerof", "relations.haspart", "kind"})
		if err != nil {
			t.Fatal(err)
		}
		return finals, fmt.Sprint(f)
	}
	wantFinals, wantFacets := catalogWith(len(es))
	gotFinals, gotFacets := catalogWith(4)
	if len(wantFinals) != len(es) {
		t.Fatalf("one chunk stored %d entities of %d", len(wantFinals), len(es))
	}
	if !reflect.DeepEqual(gotFinals, wantFinals) {
		for i := range wantFinals {
			if i >= len(gotFinals) || gotFinals[i] != wantFinals[i] {
				t.Fatalf("entity %d differs with small chunks:\n got %s\nwant %s", i, gotFinals[min(i, len(gotFinals)-1)], wantFinals[i])
			}
		}
		t.Fatalf("small chunks stored %d entities, one chunk %d", len(gotFinals), len(wantFinals))
	}
	if gotFacets != wantFacets {
		t.Fatalf("index differs with small chunks:\n got %s\nwant %s", gotFacets, wantFacets)
	}
}

// The pairs column reads back what was written, strings needing escapes
// included, in the form encodePairs writes and in SQLite's JSON (migration
// 0009); anything else is an error, not a guess.
func TestPairsColumn(t *testing.T) {
	pairs := []pairRow{{"ownedBy", "group:default/g", dirBoth}, {"custom", `res:"quoted"\back` + "\n\u2028é", dirIn}, {"partOf", "system:default/s", dirOut}}
	enc := encodePairs(nil, pairs)
	got, err := decodePairs(nil, enc)
	if err != nil || !reflect.DeepEqual(got, pairs) {
		t.Fatalf("round trip of %s: %v %v", enc, got, err)
	}
	var viaJSON []pairRow
	var generic [][]any
	if err := json.Unmarshal(enc, &generic); err != nil {
		t.Fatalf("not JSON: %s: %v", enc, err)
	}
	for _, g := range generic {
		viaJSON = append(viaJSON, pairRow{g[0].(string), g[1].(string), int(g[2].(float64))})
	}
	if !reflect.DeepEqual(viaJSON, pairs) {
		t.Fatalf("as JSON: %v", viaJSON)
	}
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var fromSQL []byte
	if err := s.w.QueryRow(`SELECT json_group_array(json_array(t, o, d)) FROM (SELECT ? t, ? o, ? d UNION ALL SELECT ?, ?, ? UNION ALL SELECT ?, ?, ?)`,
		pairs[0].typ, pairs[0].other, pairs[0].dir, pairs[1].typ, pairs[1].other, pairs[1].dir, pairs[2].typ, pairs[2].other, pairs[2].dir).Scan(&fromSQL); err != nil {
		t.Fatal(err)
	}
	if got, err := decodePairs(nil, fromSQL); err != nil || !reflect.DeepEqual(got, pairs) {
		t.Fatalf("SQLite's %s: %v %v", fromSQL, got, err)
	}
	if got, err := decodePairs(nil, []byte(" [ ] ")); err != nil || len(got) != 0 {
		t.Fatalf("empty: %v %v", got, err)
	}
	for _, bad := range []string{``, `{}`, `[`, `[["a","b",3]`, `[["a","b",4]]`, `[["a","b",0]]`, `[["a","b"]]`, `[["a",1,3]]`, `[["a","b",3],]`, `[["a","b",3]]x`, `[["a","b\x",3]]`, `[["a","b,3]]`} {
		if _, err := decodePairs(nil, []byte(bad)); err == nil {
			t.Errorf("decoded %q", bad)
		}
	}
}
