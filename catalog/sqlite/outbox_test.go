package sqlite

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// The search outbox is written in the apply's transaction, after the
// entities; when that write fails, the apply fails whole: SQLite keeps what
// it had, and nothing of the apply reaches the index.
func TestFailedOutboxWriteLosesNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	loc := urlLocation(t, s, "https://example.com/outbox.yaml")
	apply := func(es ...*catalog.Entity) error {
		_, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: loc, Entities: processedOf(t, es...)})
		return err
	}
	if err := apply(testGroup("team", "first"), testComponent("kept", "team")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TRIGGER outbox_fails BEFORE INSERT ON search_outbox BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END`); err != nil {
		t.Fatal(err)
	}
	err := apply(testGroup("team", "second"), testComponent("kept", "team"), testComponent("new", "team", "component:kept"))
	if err == nil || !strings.Contains(err.Error(), "outbox unavailable") {
		t.Fatalf("apply with a failing outbox: %v", err)
	}
	for _, q := range []struct {
		f    catalog.Filter
		want []string
	}{
		{catalog.Filter{}, []string{"component:default/kept", "group:default/team"}},
		{catalog.Eq("metadata.description", "first"), []string{"group:default/team"}},
		{catalog.Eq("metadata.description", "second"), nil},
		{catalog.Eq("relations.dependencyOf", "component:default/new"), nil},
	} {
		p, err := s.QueryEntities(ctx, catalog.Query{Filter: q.f, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rec := range p.Items {
			got = append(got, rec.Ref)
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(q.want) {
			t.Fatalf("after the failed apply, %v matches %v, want %v", q.f, got, q.want)
		}
	}
	if _, err := s.w.ExecContext(ctx, `DROP TRIGGER outbox_fails`); err != nil {
		t.Fatal(err)
	}
	if err := apply(testGroup("team", "second"), testComponent("kept", "team"), testComponent("new", "team", "component:kept")); err != nil {
		t.Fatalf("the same apply once the outbox works: %v", err)
	}
	if rec, err := s.EntityByRef(ctx, "component:default/new", catalog.Filter{}); err != nil || rec.Ref != "component:default/new" {
		t.Fatalf("new entity after the retried apply: %v %v", rec.Ref, err)
	}
}
