package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/web/ui"
)

// fakeCards is a Cards whose behaviour per card is set by the test.
type fakeCards struct {
	slots  []ui.CardSlot
	render func(ctx context.Context, s ui.CardSlot) (*host.Card, ui.CardState, error)
}

func (f *fakeCards) Slots(_ context.Context, entity json.RawMessage) []ui.CardSlot {
	if !strings.Contains(string(entity), `"example.com/card":"yes"`) {
		return nil
	}
	return f.slots
}

func (f *fakeCards) Render(ctx context.Context, s ui.CardSlot, _ string, _ json.RawMessage) (*host.Card, ui.CardState, error) {
	return f.render(ctx, s)
}

func TestPluginCards(t *testing.T) {
	fc := &fakeCards{
		slots: []ui.CardSlot{{Plugin: "good", Card: "c", Title: "Good"}, {Plugin: "slow", Card: "c", Title: "Slow"},
			{Plugin: "hostile", Card: "c", Title: "Hostile"}, {Plugin: "stale", Card: "c", Title: "Stale"}, {Plugin: "broken", Card: "c", Title: "Broken"}},
		render: func(ctx context.Context, s ui.CardSlot) (*host.Card, ui.CardState, error) {
			switch s.Plugin {
			case "good":
				return &host.Card{Title: "On-call", Status: &host.CardStatus{Level: "ok", Text: "all quiet"},
					Fields: []host.CardField{{Label: "Primary", Value: "Jane", URL: "https://pd.example.com/jane"}},
					Tables: []host.CardTable{{Title: "Incidents", Columns: []string{"id", "title"}, Rows: [][]string{{"P1", "db down"}}}},
					Series: []host.CardSeries{{Name: "latency", Unit: "ms", Points: []host.CardPoint{{T: time.Unix(0, 0), V: 1}, {T: time.Unix(60, 0), V: 3}}}},
					Badges: []host.CardBadge{{Label: "tier-1", Tone: "info"}}}, ui.CardFresh, nil
			case "slow":
				<-ctx.Done() // never answers in time
				return nil, ui.CardError, ctx.Err()
			case "hostile":
				return &host.Card{Title: "<script>alert('card')</script>", Summary: "<img src=x onerror=alert(1)>",
					Links:  []host.CardLink{{Title: "x", URL: "javascript:alert(1)"}},
					Fields: []host.CardField{{Label: "<b>l</b>", Value: "v", URL: "javascript:alert(2)"}}}, ui.CardFresh, nil
			case "stale":
				return &host.Card{Title: "Deploys", Summary: "last known"}, ui.CardStale, nil
			}
			return nil, ui.CardError, errors.New("upstream answered 503")
		},
	}
	e := newEnv(t, "catalog.yaml", ui.Options{Cards: fc, CardTimeout: 200 * time.Millisecond})
	page := e.mustGet("/catalog/default/component/svc-a")
	for _, p := range []string{"good", "slow", "hostile", "stale", "broken"} {
		contains(t, "entity page", page, `data-src="/catalog/default/component/svc-a/cards/`+p+`/c"`)
	}
	contains(t, "entity page", page, `data-state="loading"`, "Loading…")
	// an entity no card applies to
	contains(t, "other entity", e.mustGet("/catalog/default/component/svc-b"), "No installed plugin has a card")

	good := e.mustGet("/catalog/default/component/svc-a/cards/good/c")
	contains(t, "good card", good, `data-state="fresh"`, "On-call", "all quiet", `href="https://pd.example.com/jane"`, "<caption>Incidents</caption>", "db down", "<polyline points=", "tier-1")
	lacks(t, "good card", good, "<html")

	slow := e.mustGet("/catalog/default/component/svc-a/cards/slow/c")
	contains(t, "slow card", slow, `data-state="error"`, "did not answer within 200ms", `role="alert"`)

	hostile := e.mustGet("/catalog/default/component/svc-a/cards/hostile/c")
	lacks(t, "hostile card", hostile, "<script>alert", "<img src=x", "javascript:", "<b>l</b>")
	contains(t, "hostile card", hostile, "&lt;script&gt;alert(&#39;card&#39;)&lt;/script&gt;")

	contains(t, "stale card", e.mustGet("/catalog/default/component/svc-a/cards/stale/c"), `data-state="stale"`, "stale", "last known")
	contains(t, "broken card", e.mustGet("/catalog/default/component/svc-a/cards/broken/c"), `data-state="error"`, "upstream answered 503")

	if st, _ := e.get("/catalog/default/component/svc-a/cards/nope/c"); st != 404 {
		t.Fatalf("unknown card: status %d, want 404", st)
	}
	if st, _ := e.get("/catalog/default/component/svc-b/cards/good/c"); st != 404 {
		t.Fatalf("card on an entity it does not apply to: status %d, want 404", st)
	}
}

type fakePlugins []ui.PluginInfo

func (f fakePlugins) Installed() []ui.PluginInfo { return f }

func TestPluginsPage(t *testing.T) {
	e := newEnv(t, "", ui.Options{Plugins: fakePlugins{{Name: "pagerduty", Version: "1.0.0", ABI: 1, Digest: "sha256:abc",
		Grant: []string{"http: api.pagerduty.com"}, Provides: []string{"card pagerduty"}, Calls: 7, Errors: 1, P95: "≤ 5 ms", Parked: true}}})
	body := e.mustGet("/plugins")
	contains(t, "plugins", body, "pagerduty", "1.0.0", "sha256:abc", "http: api.pagerduty.com", "card pagerduty", "<td>7</td>", "≤ 5 ms", "parked")
	e2 := newEnv(t, "", ui.Options{Plugins: fakePlugins{}})
	contains(t, "no plugins", e2.mustGet("/plugins"), "no plugin is installed")
}
