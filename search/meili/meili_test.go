package meili_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/portico-dev/portico/search"
	"github.com/portico-dev/portico/search/indextest"
	"github.com/portico-dev/portico/search/meili"
	"github.com/portico-dev/portico/search/meili/meilifake"
)

func startFake(t *testing.T, o meilifake.Options) *meilifake.Server {
	t.Helper()
	s := meilifake.New(o)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func uid(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "t_" + hex.EncodeToString(b)
}

func open(t *testing.T, o meili.Options) *meili.Index {
	t.Helper()
	ix, err := meili.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestConformanceFake runs the suite with the real client against the fake.
func TestConformanceFake(t *testing.T) {
	fake := startFake(t, meilifake.Options{Key: "master-key"})
	indextest.Run(t, func(t *testing.T) search.Index {
		return open(t, meili.Options{URL: fake.URL(), Key: "master-key", Index: uid(t)})
	})
}

// TestConformanceReal runs the suite against a real Meilisearch when
// PORTICO_TEST_MEILI_URL is set (key from PORTICO_TEST_MEILI_KEY).
func TestConformanceReal(t *testing.T) {
	url := os.Getenv("PORTICO_TEST_MEILI_URL")
	if url == "" {
		t.Skip("PORTICO_TEST_MEILI_URL not set: no real Meilisearch to test against (the fake suite ran)")
	}
	key := os.Getenv("PORTICO_TEST_MEILI_KEY")
	indextest.Run(t, func(t *testing.T) search.Index {
		name := uid(t)
		ix := open(t, meili.Options{URL: url, Key: key, Index: name})
		t.Cleanup(func() { _ = meili.DropIndex(context.Background(), url, key, name) })
		return ix
	})
}

// TestRidesOutRestart: while Meilisearch is down, writes retry with backoff
// and succeed once it is back; past RetryFor they fail as ErrUnavailable.
func TestRidesOutRestart(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t, meilifake.Options{TaskDelay: 2 * time.Millisecond})
	ix := open(t, meili.Options{URL: fake.URL(), Index: uid(t), RetryFor: 20 * time.Second})
	defer ix.Close()
	if err := ix.Upsert(ctx, []search.Document{indextest.Doc("Component", "a", "Alpha", "")}); err != nil {
		t.Fatal(err)
	}
	fake.SetDown(true)
	done := make(chan error, 1)
	go func() { done <- ix.Upsert(ctx, []search.Document{indextest.Doc("Component", "b", "Bravo", "")}) }()
	// The write cannot finish while the server is down.
	select {
	case err := <-done:
		t.Fatalf("Upsert finished while Meilisearch was down: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	fake.SetDown(false)
	if err := <-done; err != nil {
		t.Fatalf("Upsert after restart: %v", err)
	}
	if res, err := ix.Search(ctx, search.Query{Term: "bravo"}); err != nil || res.Total != 1 {
		t.Fatalf("after restart: %+v, %v", res, err)
	}

	short := open(t, meili.Options{URL: fake.URL(), Index: uid(t), RetryFor: 200 * time.Millisecond})
	defer short.Close()
	fake.SetDown(true)
	defer fake.SetDown(false)
	err := short.Upsert(ctx, []search.Document{indextest.Doc("Component", "c", "Charlie", "")})
	if !errors.Is(err, search.ErrUnavailable) {
		t.Fatalf("Upsert during a long outage: %v, want ErrUnavailable", err)
	}
}

// TestRecreatesLostIndex: a Meilisearch that lost the index (restarted
// without its data) gets it back with the settings on the next use.
func TestRecreatesLostIndex(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t, meilifake.Options{})
	name := uid(t)
	ix := open(t, meili.Options{URL: fake.URL(), Index: name})
	defer ix.Close()
	if err := ix.Upsert(ctx, []search.Document{indextest.Doc("Component", "a", "Alpha", "")}); err != nil {
		t.Fatal(err)
	}
	if err := meili.DropIndex(ctx, fake.URL(), "", name); err != nil {
		t.Fatal(err)
	}
	if err := ix.Upsert(ctx, []search.Document{indextest.Doc("Component", "b", "Bravo", "")}); err != nil {
		t.Fatalf("Upsert after the index was lost: %v", err)
	}
	res, err := ix.Search(ctx, search.Query{Term: "bravo", Filter: indextest.OracleFilters["kind"]})
	if err != nil || res.Total != 1 {
		t.Fatalf("search on the re-created index (settings applied?): %+v, %v", res, err)
	}
	if lost, err := ix.Verify(ctx); err != nil || !lost {
		t.Fatalf("Verify after the index was lost = %v, %v; want lost (reindex needed)", lost, err)
	}
	if lost, err := ix.Verify(ctx); err != nil || lost {
		t.Fatalf("Verify again = %v, %v; want not lost", lost, err)
	}
}
