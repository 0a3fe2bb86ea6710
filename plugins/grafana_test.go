package plugins_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/internal/upstreams"
)

func gfEnv(t testing.TB, o loadOpts) *env {
	e := newEnv(t, "grafana", o)
	e.config(map[string]any{"url": e.url + "/grafana"})
	e.secret("token", upstreams.DefaultTokens[upstreams.Grafana])
	return e
}

func gfEntity(name string) json.RawMessage {
	return entity(name, map[string]string{
		"grafana/dashboard-selector":   "tags @> '" + name + "'",
		"grafana/alert-label-selector": "service=" + name,
	})
}

func TestGrafanaCard(t *testing.T) {
	t.Parallel()
	e := gfEnv(t, loadOpts{})
	for _, c := range []struct {
		name  string
		ent   json.RawMessage
		level string
	}{
		{"firing", gfEntity("license-service"), "error"},
		{"pending", gfEntity("playback-service"), "warning"},
		{"normal", gfEntity("search-service"), "ok"},
		{"dashboards-only", entity("catalog-service", map[string]string{"grafana/dashboard-selector": "tags @> 'catalog-service' || tags @> 'search-service'"}), "ok"},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := e.mustCard("grafana", c.ent)
			if card.Status.Level != c.level {
				t.Errorf("status %+v, want %s", card.Status, c.level)
			}
			e.golden(t, c.name, c.ent, card)
		})
	}
}

func TestGrafanaFaults(t *testing.T) {
	t.Parallel()
	e := gfEnv(t, loadOpts{timeout: 1500 * time.Millisecond})
	ent := gfEntity("license-service")
	if _, err := e.card("grafana", entity("x", nil)); err == nil || !strings.Contains(err.Error(), "not_applicable: ") {
		t.Fatalf("no annotations: err = %v", err)
	}
	e.secret("token", "glsa_wrong_secret_value")
	c := e.mustCard("grafana", ent)
	if c.Status.Level != "error" || !strings.Contains(c.Status.Text, "401") || strings.Contains(cardText(c), "glsa_wrong") {
		t.Fatalf("401 card %s", cardText(c))
	}
	e.secret("token", upstreams.DefaultTokens[upstreams.Grafana])
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Grafana, Status: 403, Count: 1})
	if c := e.mustCard("grafana", ent); !strings.Contains(c.Status.Text, "403") {
		t.Fatalf("403 card %+v", c.Status)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Grafana, PathContains: "/rules", Malformed: true, Count: 1})
	if _, err := e.card("grafana", ent); err == nil || !strings.Contains(err.Error(), "malformed response for alert rules") {
		t.Fatalf("malformed: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Grafana, Status: 429, RetryAfter: "12", Count: 1})
	if _, err := e.card("grafana", ent); err == nil || !strings.Contains(err.Error(), "retry-after=12s") {
		t.Fatalf("429: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Grafana, Status: 502, Count: 1})
	if _, err := e.card("grafana", ent); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("502: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Grafana, Delay: 4 * time.Second, Count: 1})
	if _, err := e.card("grafana", ent); !isTimeout(err) {
		t.Fatalf("slow: err = %v", err)
	}
}

func isTimeout(err error) bool {
	ce, ok := err.(*host.CallError)
	return ok && ce.Kind == host.ErrTimeout
}
