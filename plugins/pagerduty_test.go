package plugins_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/internal/upstreams"
)

func pdEnv(t testing.TB, o loadOpts) *env {
	e := newEnv(t, "pagerduty", o)
	e.config(map[string]any{"baseURL": e.url + "/pagerduty", "from": "ops@acmestreaming.example"})
	e.secret("token", upstreams.DefaultTokens[upstreams.PagerDuty])
	return e
}

func pdEntity(name, id string) json.RawMessage {
	return entity(name, map[string]string{"pagerduty.com/service-id": id})
}

func TestPagerDutyCard(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{})
	for _, c := range []struct{ name, service, id string }{
		{"critical", "license-service", "PNC0AQK"},
		{"paginated", "playback-service", "PP3ANZ5"},
		{"nobody-on-call", "identity-service", "PWL20LD"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ent := pdEntity(c.service, c.id)
			e.up.Requests()
			card := e.mustCard("pagerduty", ent)
			e.golden(t, c.name, ent, card)
			reqs := e.up.Requests()
			if c.name == "paginated" {
				// 57 open incidents at 25 a page: offsets 0, 25, 50.
				if n := requestsContaining(reqs, "/pagerduty/incidents?"); n != 3 {
					t.Errorf("incident pages read = %d, want 3: %v", n, reqs)
				}
				if requestsContaining(reqs, "offset=50") != 1 {
					t.Errorf("third page not read: %v", reqs)
				}
			}
		})
	}
}

func TestPagerDutyCheckHasOncall(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{})
	for _, c := range []struct {
		ent  json.RawMessage
		want string
	}{
		{pdEntity("license-service", "PNC0AQK"), "pass"},
		{pdEntity("identity-service", "PWL20LD"), "fail"},
		{entity("no-annotation", nil), "skip"},
	} {
		got, err := e.check("has-oncall", c.ent)
		if err != nil {
			t.Fatal(err)
		}
		if got.Result != c.want || got.Message == "" {
			t.Errorf("has-oncall = %+v, want %s", got, c.want)
		}
	}
}

func TestPagerDutyNotApplicable(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{})
	ent := entity("no-pd", map[string]string{"github.com/project-slug": "acme/x"})
	if cs := e.plugin.CardsFor(ent); len(cs) != 0 {
		t.Fatalf("manifest when selects an entity without the annotation: %v", cs)
	}
	_, err := e.card("pagerduty", ent)
	if err == nil || !strings.Contains(err.Error(), "not_applicable: ") {
		t.Fatalf("card on an entity without annotation: err = %v, want not_applicable", err)
	}
}

func TestPagerDutyUpstreamFaults(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{timeout: 1500 * time.Millisecond})
	ent := pdEntity("license-service", "PNC0AQK")

	t.Run("401 wrong token", func(t *testing.T) {
		e.secret("token", "s3cr3t-wrong-token")
		defer e.secret("token", upstreams.DefaultTokens[upstreams.PagerDuty])
		c := e.mustCard("pagerduty", ent)
		if c.Status.Level != "error" || !strings.Contains(c.Status.Text, "401") || !strings.Contains(c.Summary, `"token"`) {
			t.Fatalf("card %+v", c)
		}
		if strings.Contains(cardText(c), "s3cr3t") {
			t.Fatalf("card shows the token: %s", cardText(c))
		}
	})
	t.Run("403", func(t *testing.T) {
		e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, Status: 403, Count: 1})
		c := e.mustCard("pagerduty", ent)
		if c.Status.Level != "error" || !strings.Contains(c.Status.Text, "403") {
			t.Fatalf("card %+v", c.Status)
		}
	})
	t.Run("404 unknown service", func(t *testing.T) {
		c := e.mustCard("pagerduty", pdEntity("ghost", "PNOSUCH"))
		if c.Status.Level != "warning" || !strings.Contains(c.Status.Text, "service PNOSUCH") {
			t.Fatalf("card %+v", c.Status)
		}
	})
	t.Run("429 Retry-After", func(t *testing.T) {
		e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, PathContains: "/incidents", Status: 429, RetryAfter: "30", Count: 1})
		_, err := e.card("pagerduty", ent)
		if err == nil || !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), "retry-after=30s") {
			t.Fatalf("err = %v, want 429 with retry-after=30s", err)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, PathContains: "/oncalls", Malformed: true, Count: 1})
		_, err := e.card("pagerduty", ent)
		if err == nil || !strings.Contains(err.Error(), "malformed response") {
			t.Fatalf("err = %v, want malformed response", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		e.up.SetFault(upstreams.Fault{Vendor: upstreams.PagerDuty, Delay: 5 * time.Second, Count: 1})
		_, err := e.card("pagerduty", ent)
		if !errors.Is(err, host.ErrTimeout) {
			t.Fatalf("err = %v, want timeout", err)
		}
	})
	t.Run("recovers", func(t *testing.T) {
		e.up.ClearFaults()
		if c := e.mustCard("pagerduty", ent); c.Status.Level != "error" || !strings.HasPrefix(c.Status.Text, "critical") {
			t.Fatalf("card after faults %+v", c.Status)
		}
	})
}

func TestPagerDutyCreateIncident(t *testing.T) {
	t.Parallel()
	e := pdEnv(t, loadOpts{})
	e.mem.AddEntity(pdEntity("license-service", "PNC0AQK"))
	call := func(input map[string]any, dry bool) (map[string]any, error) {
		in, err := e.plugin.Input(ctxUser(), map[string]any{"action": "pagerduty:incident:create", "input": input, "dryRun": dry})
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.plugin.Call(ctxUser(), "action", in)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Output map[string]any `json:"output"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Output, nil
	}
	if _, err := call(map[string]any{"serviceId": "PNC0AQK"}, false); err == nil || !strings.Contains(err.Error(), "title is required") {
		t.Fatalf("missing title: err = %v", err)
	}
	if out, err := call(map[string]any{"entityRef": "component:default/license-service", "title": "x"}, true); err != nil || out["serviceId"] != "PNC0AQK" {
		t.Fatalf("dry run: %v %v", out, err)
	}
	if n := requestsContaining(e.up.Requests(), "POST"); n != 0 {
		t.Fatalf("dry run sent %d POSTs", n)
	}
	out, err := call(map[string]any{"entityRef": "component:default/license-service", "title": "Checkout is slow", "urgency": "low"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out["status"] != "triggered" || !strings.HasPrefix(out["url"].(string), "https://") {
		t.Fatalf("output %v", out)
	}
	c := e.mustCard("pagerduty", pdEntity("license-service", "PNC0AQK"))
	if !strings.Contains(cardText(c), "Checkout is slow") || !strings.Contains(c.Status.Text, "3 open incidents") {
		t.Fatalf("new incident not on the card: %+v", c.Status)
	}
}
