package plugins_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/host/cardcache"
	"github.com/portico-dev/portico/internal/upstreams"
)

// The host's card cache in front of a real plugin: TTL from the manifest,
// last good card marked stale on 429/Retry-After and upstream errors, error
// cards that say why, hidden cards for entities the plugin does not apply to.
func TestCardCacheThroughHost(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{timeout: 1500 * time.Millisecond})
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	cards := cardcache.NewCards(cardcache.Options{Now: clock})
	ent := pdEntity("license-service", "PNC0AQK")
	ref := "component:default/license-service"
	get := func() (*cardTuple, error) {
		c, res, err := cards.Card(ctxUser(), e.plugin, "pagerduty", ref, ent)
		return &cardTuple{c.Title, c.Status.Level, c.Status.Text, c.Summary, badges(c.Badges), res.Cached, res.Stale()}, err
	}

	first, err := get()
	if err != nil || first.cached || first.level != "error" || !strings.HasPrefix(first.text, "critical") {
		t.Fatalf("first: %+v %v", first, err)
	}
	e.up.Requests()
	if c, _ := get(); !c.cached || len(e.up.Requests()) != 0 {
		t.Fatalf("second render within cacheTTL (60s) reached the upstream: %+v", c)
	}

	// After the TTL, PagerDuty rate-limits: the last good card, marked stale.
	advance(61 * time.Second)
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, Status: 429, RetryAfter: "30"})
	c, err := get()
	if err != nil || !c.stale || !strings.Contains(c.badges, "stale since 12:01:01 UTC") || !strings.Contains(c.summary, "429") || !strings.HasPrefix(c.text, "critical") {
		t.Fatalf("stale: %+v %v", c, err)
	}
	e.up.Requests()
	advance(20 * time.Second)
	if c, _ := get(); !c.stale || len(e.up.Requests()) != 0 {
		t.Fatalf("asked the plugin again within Retry-After: %+v", c)
	}
	// Retry-After has passed and the upstream is back: fresh again.
	advance(11 * time.Second)
	e.up.ClearFaults()
	if c, err := get(); err != nil || c.stale || c.cached || strings.Contains(c.badges, "stale") {
		t.Fatalf("after recovery: %+v %v", c, err)
	}

	// An upstream error after a success: stale again (default back-off).
	advance(61 * time.Second)
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, Status: 503})
	if c, _ := get(); !c.stale || !strings.Contains(c.summary, "503") {
		t.Fatalf("503 after success: %+v", c)
	}
	e.up.ClearFaults()

	// Slow upstream with no good card to fall back on: an error card that says why.
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, Delay: 4 * time.Second})
	other := pdEntity("search-service", "PHKGXEZ")
	oc, res, err := cards.Card(ctxUser(), e.plugin, "pagerduty", "component:default/search-service", other)
	if err != nil || res.HasCard || oc.Title != "PagerDuty" || oc.Status.Level != "error" || !strings.Contains(oc.Status.Text, "did not answer within 1.5s") {
		t.Fatalf("slow upstream error card: %+v %+v %v", oc, oc.Status, err)
	}
	e.up.ClearFaults()

	// Upstream down (connection refused), no good card: an error card that says why.
	e.config(map[string]any{"baseURL": "http://127.0.0.1:1/pagerduty", "from": "ops@acmestreaming.example"})
	dc, _, err := cards.Card(ctxUser(), e.plugin, "pagerduty", "component:default/catalog-service", pdEntity("catalog-service", "PHGZAZP"))
	if err != nil || dc.Status.Level != "error" || !strings.Contains(dc.Status.Text, "connection refused") {
		t.Fatalf("upstream down error card: %+v %v", dc.Status, err)
	}
	t.Logf("upstream down: %s", dc.Status.Text)

	// Not applicable: no card at all.
	if c, _, err := cards.Card(ctxUser(), e.plugin, "pagerduty", "component:default/x", entity("x", nil)); !errors.Is(err, cardcache.ErrNotApplicable) || c != nil {
		t.Fatalf("not applicable: %v %v", c, err)
	}
}

type cardTuple struct {
	title, level, text, summary, badges string
	cached, stale                       bool
}

func badges[B any](bs []B) string {
	var s []string
	for _, b := range bs {
		s = append(s, strings.TrimSpace(strings.Trim(fmtAny(b), "{}")))
	}
	return strings.Join(s, "; ")
}
