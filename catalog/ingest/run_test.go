package ingest

import (
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRefreshDue(t *testing.T) {
	st := openStore(t)
	clk := &clock{t: time.Now()}
	e := newEngine(t, st, Options{Interval: time.Minute, Now: clk.now})
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", component("r"))
	if _, err := e.RegisterLocation(ctx, "file", f); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "c.yaml", component("r", "  system: later"))
	if st, err := e.RefreshDue(ctx); err != nil || st.Locations != 0 {
		t.Fatalf("refresh before the interval: %+v, %v", st, err)
	}
	clk.add(2 * time.Minute) // past Interval × 1.5
	st2, err := e.RefreshDue(ctx)
	if err != nil || st2.Locations != 1 || st2.Result.Updated != 1 {
		t.Fatalf("refresh after the interval: %+v, %v", st2, err)
	}
	if mustGet(t, st, "component:default/r").SpecString("system") != "later" {
		t.Error("refresh did not reprocess")
	}
}

func TestSyncConfigLocations(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", component("from-a"))
	b := writeFile(t, dir, "b.yaml", component("from-b"))
	api := writeFile(t, dir, "api.yaml", component("from-api"))
	e := newEngine(t, st, Options{ConfigLocations: []ConfigLocation{{Type: "file", Target: a}, {Type: "file", Target: b}}})
	if err := e.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RegisterLocation(ctx, "file", api); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ProcessAll(ctx); err != nil {
		t.Fatal(err)
	}
	mustGet(t, st, "component:default/from-b")

	// b leaves the config: its location and entities go; the API one stays.
	e2 := newEngine(t, st, Options{ConfigLocations: []ConfigLocation{{Type: "file", Target: a}}})
	if err := e2.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	locs, err := st.Locations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range locs {
		got[l.Target] = l.Origin
	}
	if len(got) != 2 || got[a] != OriginConfig || got[api] != OriginAPI {
		t.Errorf("locations after sync = %v", got)
	}
	if get(t, st, "component:default/from-b") != nil {
		t.Error("entity of a removed config location survived (strategy delete)")
	}
	mustGet(t, st, "component:default/from-api")
}
