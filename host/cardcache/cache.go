// Package cardcache caches rendered plugin cards per plugin, card and entity
// with the TTL the plugin's manifest gives (spec.provides[].card.cacheTTL), so
// a busy entity page does not hammer upstream APIs. When a refresh fails —
// the plugin reports 429/Retry-After, an upstream error, a timeout — after an
// earlier success, it serves the last good card marked "stale since"; it
// waits for Retry-After (or a short back-off) before asking the plugin
// again. Concurrent requests for one key share one render. The cache is
// bounded (least recently used entries are evicted).
//
// The generic Cache is pure Go. Cards (cards.go) adapts it to the host's
// *host.Card and turns failures into error cards. It must never import web,
// the catalog stores or search implementations.
package cardcache

import (
	"container/list"
	"context"
	"errors"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// Key identifies one cached card. Viewer separates callers: a card is
// rendered with the requesting user's catalog permissions, so one user's card
// is never served to another (see Cards.Card).
type Key struct {
	Plugin, Card, Entity string
	Viewer               string
}

// Options configure a Cache. Zero values take the defaults.
type Options struct {
	// MaxEntries bounds the cache (default 10 000).
	MaxEntries int
	// DefaultTTL applies when a card's manifest gives none (default 60 s).
	DefaultTTL time.Duration
	// ErrorBackoff is the least time before a failed key is rendered again
	// (default 10 s); a longer Retry-After wins.
	ErrorBackoff time.Duration
	// MaxStale is how long after its render a good card may still be served
	// in place of failures (default 24 h).
	MaxStale time.Duration
	// MaxRetryAfter caps an honoured Retry-After (default 10 min).
	MaxRetryAfter time.Duration
	// RetryAfter extracts a Retry-After from a render error (default
	// RetryAfterFromError).
	RetryAfter func(error) time.Duration
	// Cacheable reports whether an error is remembered at all (default:
	// every error except NotApplicable ones).
	Cacheable func(error) bool
	// Now is the clock (nil = time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 10_000
	}
	if o.DefaultTTL <= 0 {
		o.DefaultTTL = 60 * time.Second
	}
	if o.ErrorBackoff <= 0 {
		o.ErrorBackoff = 10 * time.Second
	}
	if o.MaxStale <= 0 {
		o.MaxStale = 24 * time.Hour
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 10 * time.Minute
	}
	if o.RetryAfter == nil {
		o.RetryAfter = RetryAfterFromError
	}
	if o.Cacheable == nil {
		o.Cacheable = func(err error) bool { return !IsNotApplicable(err) }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Result is what Get returns.
type Result[C any] struct {
	// Card is the fresh or last good card (zero when Err has no card to
	// fall back on).
	Card C
	// HasCard reports whether Card is set.
	HasCard bool
	// RenderedAt is when Card was rendered.
	RenderedAt time.Time
	// Cached reports that Card came from the cache rather than this call.
	Cached bool
	// StaleSince is non-zero when Card is the last good card served because
	// refreshing it failed since that time; Err is the latest failure.
	StaleSince time.Time
	// Err is the latest render failure (nil for a fresh or in-TTL card).
	Err error
	// RetryAt is when the plugin will be asked again after a failure.
	RetryAt time.Time
}

// Stale reports whether the card is a last good card served after failures.
func (r Result[C]) Stale() bool { return !r.StaleSince.IsZero() }

type entry[C any] struct {
	key  Key
	elem *list.Element

	card       C
	hasCard    bool
	renderedAt time.Time
	ttl        time.Duration

	err      error
	failedAt time.Time // first failure since the last success
	retryAt  time.Time
	flight   *flight[C]
}

type flight[C any] struct {
	done chan struct{}
	res  Result[C]
}

// Cache is a bounded per-key card cache. It is safe for concurrent use.
type Cache[C any] struct {
	o       Options
	mu      sync.Mutex
	entries map[Key]*entry[C]
	lru     *list.List // front = most recently used
}

// New returns an empty cache.
func New[C any](o Options) *Cache[C] {
	return &Cache[C]{o: o.withDefaults(), entries: map[Key]*entry[C]{}, lru: list.New()}
}

// Len is the number of cached keys.
func (c *Cache[C]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// Invalidate forgets one key.
func (c *Cache[C]) Invalidate(k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[k]; e != nil {
		c.lru.Remove(e.elem)
		delete(c.entries, k)
	}
}

// Get returns the card for k: the cached one while it is younger than ttl
// (0 = DefaultTTL), else a fresh render. On a failed render it returns the
// last good card marked stale, or the error when there is none; the plugin
// is not asked again for that key before the back-off or Retry-After ends.
// The returned error is non-nil only when there is no card to show.
func (c *Cache[C]) Get(ctx context.Context, k Key, ttl time.Duration, render func(context.Context) (C, error)) (Result[C], error) {
	if ttl <= 0 {
		ttl = c.o.DefaultTTL
	}
	c.mu.Lock()
	now := c.o.Now()
	e := c.entries[k]
	if e == nil {
		e = &entry[C]{key: k}
		e.elem = c.lru.PushFront(e)
		c.entries[k] = e
		c.evictLocked()
	} else {
		c.lru.MoveToFront(e.elem)
	}
	e.ttl = ttl
	switch {
	case e.err == nil && e.hasCard && now.Before(e.renderedAt.Add(ttl)):
		res := c.resultLocked(e, now)
		res.Cached = true
		c.mu.Unlock()
		return res, nil
	case e.err != nil && now.Before(e.retryAt):
		res := c.resultLocked(e, now)
		res.Cached = true
		c.mu.Unlock()
		return res, errIfNoCard(res)
	}
	f := e.flight
	if f == nil {
		f = &flight[C]{done: make(chan struct{})}
		e.flight = f
		c.mu.Unlock()
		c.run(ctx, e, f, render)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-f.done:
		return f.res, errIfNoCard(f.res)
	case <-ctx.Done():
		return Result[C]{Err: ctx.Err()}, ctx.Err()
	}
}

func errIfNoCard[C any](r Result[C]) error {
	if !r.HasCard && r.Err != nil {
		return r.Err
	}
	return nil
}

// run renders once for every waiter of f. The render gets the first
// caller's context.
func (c *Cache[C]) run(ctx context.Context, e *entry[C], f *flight[C], render func(context.Context) (C, error)) {
	card, err := render(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.o.Now()
	switch {
	case err == nil:
		e.card, e.hasCard, e.renderedAt, e.err, e.failedAt, e.retryAt = card, true, now, nil, time.Time{}, time.Time{}
		f.res = c.resultLocked(e, now)
	case !c.o.Cacheable(err):
		f.res = Result[C]{Err: err}
		if !e.hasCard && e.err == nil {
			c.removeLocked(e)
		}
	default:
		if e.err == nil {
			e.failedAt = now
		}
		e.err = err
		wait := c.o.ErrorBackoff
		if ra := c.o.RetryAfter(err); ra > wait {
			wait = min(ra, c.o.MaxRetryAfter)
		}
		e.retryAt = now.Add(wait)
		f.res = c.resultLocked(e, now)
	}
	e.flight = nil
	close(f.done)
}

func (c *Cache[C]) resultLocked(e *entry[C], now time.Time) Result[C] {
	r := Result[C]{Err: e.err, RetryAt: e.retryAt}
	if e.hasCard && (e.err == nil || now.Sub(e.renderedAt) <= c.o.MaxStale) {
		r.Card, r.HasCard, r.RenderedAt = e.card, true, e.renderedAt
		if e.err != nil {
			r.StaleSince = e.failedAt
		}
	}
	return r
}

func (c *Cache[C]) evictLocked() {
	for len(c.entries) > c.o.MaxEntries {
		back := c.lru.Back()
		if back == nil {
			return
		}
		c.removeLocked(back.Value.(*entry[C]))
	}
}

func (c *Cache[C]) removeLocked(e *entry[C]) {
	if c.entries[e.key] == e {
		c.lru.Remove(e.elem)
		delete(c.entries, e.key)
	}
}

// NotApplicablePrefix starts the error of a card call on an entity the
// plugin does not apply to (plugins/internal/kit.NotApplicable).
const NotApplicablePrefix = "not_applicable:"

var notApplicableRE = regexp.MustCompile(`(^|: )` + NotApplicablePrefix)

// IsNotApplicable reports whether err says the plugin does not apply to the
// entity (the card is hidden, not an error).
func IsNotApplicable(err error) bool {
	return err != nil && notApplicableRE.MatchString(err.Error())
}

var retryAfterRE = regexp.MustCompile(`retry-after=(\d+)s`)

// RetryAfterFromError finds "retry-after=Ns" in an error message (how the
// first-party plugins report a vendor's Retry-After), 0 when absent.
func RetryAfterFromError(err error) time.Duration {
	if err == nil {
		return 0
	}
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter()
	}
	m := retryAfterRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return time.Duration(n) * time.Second
}

// inflight reports whether a render for k is running (tests).
func (c *Cache[C]) inflight(k Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	return e != nil && e.flight != nil
}
