package postgres

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

func addLocation(t *testing.T, s *Store, target string) catalog.Location {
	t.Helper()
	l, err := s.AddLocation(context.Background(), catalog.Location{Type: "url", Target: target})
	if err != nil {
		t.Fatalf("AddLocation: %v", err)
	}
	return l
}

func component(name string) catalog.Processed {
	return catalog.Processed{Entity: &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
		Metadata: catalog.Metadata{Name: name}, Spec: map[string]any{"type": "service"}}}
}

// Two stores on one schema stand for two replicas: an Apply on one is heard
// by the other's change feed, with the location id as payload.
var quietLog = slog.New(slog.DiscardHandler)

func TestChangesAcrossReplicas(t *testing.T) {
	a := openTest(t)
	b, err := Open(context.Background(), testURL(), WithSchema(a.Schema()), WithLogger(quietLog))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	feed := b.Changes(ctx)
	l := addLocation(t, a, "https://example.com/changes.yaml")
	if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{component("c1")}}); err != nil {
		t.Fatal(err)
	}
	if got := <-feed; got != l.ID {
		t.Fatalf("change feed payload %q, want %q", got, l.ID)
	}
	// A failed apply notifies nobody: the next notification is the next commit.
	if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{{}}}); err == nil {
		t.Fatal("apply of an entity without a body succeeded")
	}
	l2 := addLocation(t, a, "https://example.com/changes-2.yaml")
	if _, err := a.ApplyLocation(ctx, catalog.Apply{LocationID: l2.ID, Entities: []catalog.Processed{component("c2")}}); err != nil {
		t.Fatal(err)
	}
	if got := <-feed; got != l2.ID {
		t.Fatalf("change feed payload %q, want %q (a failed apply must not notify)", got, l2.ID)
	}
	cancel()
	for range feed { // closes when the context ends
	}
}

func TestTryLeaderIsExclusive(t *testing.T) {
	a := openTest(t)
	b, err := Open(context.Background(), testURL(), WithSchema(a.Schema()), WithLogger(quietLog))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	release, ok, err := a.TryLeader(ctx)
	if err != nil || !ok {
		t.Fatalf("first TryLeader: ok=%v err=%v", ok, err)
	}
	if _, ok, err := b.TryLeader(ctx); err != nil || ok {
		t.Fatalf("second replica became leader while the first holds it: ok=%v err=%v", ok, err)
	}
	if _, ok, err := a.TryLeader(ctx); err != nil || ok {
		t.Fatalf("a second TryLeader in the same process succeeded: ok=%v err=%v", ok, err)
	}
	release()
	release() // idempotent
	rb, ok, err := b.TryLeader(ctx)
	if err != nil || !ok {
		t.Fatalf("TryLeader after release: ok=%v err=%v", ok, err)
	}
	rb()
	// A different schema is a different catalog with its own leader.
	c := openTest(t)
	ra, ok, err := a.TryLeader(ctx)
	if err != nil || !ok {
		t.Fatalf("re-acquire: ok=%v err=%v", ok, err)
	}
	defer ra()
	rc, ok, err := c.TryLeader(ctx)
	if err != nil || !ok {
		t.Fatalf("leader of another schema blocked: ok=%v err=%v", ok, err)
	}
	rc()
}

// A backend killed under the pool makes the in-flight query fail with an
// error; the pool then replaces the connection and the next query works.
func TestPoolRecoversFromTerminatedBackends(t *testing.T) {
	s := openTest(t, WithMaxConns(2))
	ctx := context.Background()
	l := addLocation(t, s, "https://example.com/recover.yaml")
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: []catalog.Processed{component("survivor")}}); err != nil {
		t.Fatal(err)
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pid uint32
	if err := conn.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	// Kill it from another session while it runs a long query.
	killer := openTest(t)
	done := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, `SELECT pg_sleep(30)`)
		done <- err
	}()
	for {
		var active bool
		if err := killer.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%pg_sleep%' AND state = 'active')`, pid).Scan(&active); err != nil {
			t.Fatal(err)
		}
		if active {
			break
		}
	}
	if _, err := killer.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("query on a terminated backend returned no error")
	}
	conn.Release()
	// Then kill every idle backend of the pool too.
	var pids []uint32
	var held []interface{ Release() }
	for range 2 {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		var p uint32
		if err := c.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&p); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p)
	}
	if _, err := killer.pool.Exec(ctx, `SELECT pg_terminate_backend(p) FROM unnest($1::int[]) p`, pids); err != nil {
		t.Fatal(err)
	}
	for _, c := range held {
		c.Release()
	}
	var lastErr error
	for i := 0; i < 3; i++ { // a dead idle connection may surface once per pooled conn (MaxConns 2)
		if _, lastErr = s.EntityByRef(ctx, "component:default/survivor", catalog.Filter{}); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("pool did not recover: %v", lastErr)
	}
}

// A cancelled Apply rolls back: the previous state is intact and a retry works.
func TestFailedApplyKeepsPreviousState(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	l := addLocation(t, s, "https://example.com/atomic.yaml")
	first := []catalog.Processed{component("a"), component("b")}
	if _, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: first}); err != nil {
		t.Fatal(err)
	}
	before, err := s.QueryEntities(ctx, catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	actx, cancel := context.WithCancel(ctx)
	s.beforeWrite = cancel // cancel after planning and stitching, before any row is written
	second := []catalog.Processed{component("a"), component("c")}
	second[0].Entity.Spec["type"] = "website"
	_, err = s.ApplyLocation(actx, catalog.Apply{LocationID: l.ID, Entities: second, OrphanStrategy: catalog.OrphanDelete})
	s.beforeWrite = nil
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled apply: want context.Canceled, got %v", err)
	}
	after, err := s.QueryEntities(ctx, catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Fatalf("after a failed apply: %d entities, want %d", len(after.Items), len(before.Items))
	}
	for i := range before.Items {
		if string(after.Items[i].JSON) != string(before.Items[i].JSON) {
			t.Fatalf("entity %s changed by a failed apply:\n%s\n%s", before.Items[i].Ref, before.Items[i].JSON, after.Items[i].JSON)
		}
	}
	res, err := s.ApplyLocation(ctx, catalog.Apply{LocationID: l.ID, Entities: second, OrphanStrategy: catalog.OrphanDelete})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res.Added != 1 || res.Updated != 1 || res.Deleted != 1 {
		t.Fatalf("retry result %+v", res)
	}
}
