package cardcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
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

// renderer returns the next queued answer and counts calls.
type renderer struct {
	calls   atomic.Int32
	answers chan answer
}

type answer struct {
	card string
	err  error
}

func newRenderer(as ...answer) *renderer {
	r := &renderer{answers: make(chan answer, 16)}
	for _, a := range as {
		r.answers <- a
	}
	return r
}

func (r *renderer) render(context.Context) (string, error) {
	r.calls.Add(1)
	a := <-r.answers
	return a.card, a.err
}

var k = Key{Plugin: "pagerduty", Card: "pagerduty", Entity: "component:default/payments"}

func TestFreshWithinTTL(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	c := New[string](Options{Now: clk.now})
	r := newRenderer(answer{card: "v1"}, answer{card: "v2"})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		res, err := c.Get(ctx, k, time.Minute, r.render)
		if err != nil || res.Card != "v1" || res.Stale() {
			t.Fatalf("get %d: %+v %v", i, res, err)
		}
		if res.Cached != (i > 0) {
			t.Fatalf("get %d: cached = %v", i, res.Cached)
		}
	}
	clk.add(61 * time.Second)
	res, err := c.Get(ctx, k, time.Minute, r.render)
	if err != nil || res.Card != "v2" || res.Cached {
		t.Fatalf("after TTL: %+v %v", res, err)
	}
	if n := r.calls.Load(); n != 2 {
		t.Fatalf("renders = %d, want 2", n)
	}
}

func TestStaleAfterFailureHonoursRetryAfter(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	c := New[string](Options{Now: clk.now, ErrorBackoff: 5 * time.Second})
	limited := errors.New("plugin pagerduty: card: plugin returned an error: unavailable: PagerDuty answered 429 Too Many Requests (retry-after=30s)")
	r := newRenderer(answer{card: "good"}, answer{err: limited}, answer{card: "better"})
	ctx := context.Background()
	if _, err := c.Get(ctx, k, time.Minute, r.render); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	failedAt := clk.now()
	res, err := c.Get(ctx, k, time.Minute, r.render)
	if err != nil || res.Card != "good" || !res.StaleSince.Equal(failedAt) || res.Err != limited {
		t.Fatalf("after 429: %+v %v", res, err)
	}
	if !res.RetryAt.Equal(failedAt.Add(30 * time.Second)) {
		t.Fatalf("retryAt = %v, want +30s", res.RetryAt)
	}
	// Within Retry-After the plugin is not asked again.
	clk.add(20 * time.Second)
	if res, _ := c.Get(ctx, k, time.Minute, r.render); res.Card != "good" || !res.Stale() || r.calls.Load() != 2 {
		t.Fatalf("within retry-after: %+v calls %d", res, r.calls.Load())
	}
	clk.add(11 * time.Second)
	res, err = c.Get(ctx, k, time.Minute, r.render)
	if err != nil || res.Card != "better" || res.Stale() || res.Err != nil {
		t.Fatalf("after retry-after: %+v %v", res, err)
	}
}

func TestErrorWithoutGoodCardIsReturnedAndBackedOff(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	c := New[string](Options{Now: clk.now, ErrorBackoff: 10 * time.Second})
	boom := errors.New("unavailable: upstream 503")
	r := newRenderer(answer{err: boom}, answer{card: "ok"})
	ctx := context.Background()
	if _, err := c.Get(ctx, k, 0, r.render); err != boom {
		t.Fatalf("err = %v", err)
	}
	if _, err := c.Get(ctx, k, 0, r.render); err != boom || r.calls.Load() != 1 {
		t.Fatalf("within back-off: err = %v, calls %d", err, r.calls.Load())
	}
	clk.add(10 * time.Second)
	if res, err := c.Get(ctx, k, 0, r.render); err != nil || res.Card != "ok" {
		t.Fatalf("after back-off: %+v %v", res, err)
	}
}

func TestMaxStaleDropsOldCard(t *testing.T) {
	clk := &clock{t: time.Unix(0, 0)}
	c := New[string](Options{Now: clk.now, MaxStale: time.Hour})
	boom := errors.New("down")
	r := newRenderer(answer{card: "old"}, answer{err: boom})
	ctx := context.Background()
	_, _ = c.Get(ctx, k, time.Minute, r.render)
	clk.add(2 * time.Hour)
	if res, err := c.Get(ctx, k, time.Minute, r.render); err != boom || res.HasCard {
		t.Fatalf("card older than MaxStale still served: %+v %v", res, err)
	}
}

func TestNotApplicableIsNotCached(t *testing.T) {
	c := New[string](Options{})
	na := errors.New("plugin ci: card: plugin returned an error: not_applicable: entity has no github.com/project-slug annotation")
	if !IsNotApplicable(na) || IsNotApplicable(errors.New("x not_applicable:y")) {
		t.Fatal("IsNotApplicable")
	}
	r := newRenderer(answer{err: na}, answer{err: na})
	for i := 0; i < 2; i++ {
		if _, err := c.Get(context.Background(), k, 0, r.render); err != na {
			t.Fatalf("err = %v", err)
		}
	}
	if r.calls.Load() != 2 || c.Len() != 0 {
		t.Fatalf("calls %d len %d", r.calls.Load(), c.Len())
	}
}

func TestConcurrentGetsShareOneRender(t *testing.T) {
	c := New[string](Options{})
	release := make(chan struct{})
	var calls atomic.Int32
	render := func(context.Context) (string, error) {
		calls.Add(1)
		<-release
		return "card", nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Get(context.Background(), k, time.Minute, render)
			if err != nil || res.Card != "card" {
				errs <- fmt.Errorf("%+v %v", res, err)
			}
		}()
	}
	// Let the goroutines queue on the flight, then finish it.
	for c.inflight(k) == false {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("renders = %d, want 1", n)
	}
}

func TestBoundedLRU(t *testing.T) {
	c := New[string](Options{MaxEntries: 3})
	ctx := context.Background()
	get := func(e string) {
		_, _ = c.Get(ctx, Key{Plugin: "p", Card: "c", Entity: e}, time.Minute, func(context.Context) (string, error) { return e, nil })
	}
	for _, e := range []string{"a", "b", "c"} {
		get(e)
	}
	get("a") // a is now most recently used
	get("d") // evicts b
	if c.Len() != 3 {
		t.Fatalf("len %d", c.Len())
	}
	c.mu.Lock()
	_, hasB := c.entries[Key{Plugin: "p", Card: "c", Entity: "b"}]
	_, hasA := c.entries[Key{Plugin: "p", Card: "c", Entity: "a"}]
	c.mu.Unlock()
	if hasB || !hasA {
		t.Fatalf("evicted the wrong entry: hasA %v hasB %v", hasA, hasB)
	}
}

func TestRetryAfterFromError(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"unavailable: x (retry-after=30s)": 30 * time.Second,
		"no hint":                          0,
	} {
		if got := RetryAfterFromError(errors.New(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
