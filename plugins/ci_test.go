package plugins_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/upstreams"
)

func ciEnv(t testing.TB, o loadOpts) *env {
	e := newEnv(t, "ci", o)
	e.config(map[string]any{"github": map[string]any{"apiURL": e.url + "/github"}, "gitlab": map[string]any{"apiURL": e.url + "/gitlab/api/v4"}})
	e.secret("github-token", upstreams.DefaultTokens[upstreams.GitHub])
	e.secret("gitlab-token", upstreams.DefaultTokens[upstreams.GitLab])
	return e
}

func ghEntity(slug string) json.RawMessage {
	return entity(strings.Split(slug, "/")[1], map[string]string{"github.com/project-slug": slug})
}

func glEntity(slug string) json.RawMessage {
	return entity(strings.Split(slug, "/")[1], map[string]string{"gitlab.com/project-slug": slug})
}

func TestCICards(t *testing.T) {
	t.Parallel()
	e := ciEnv(t, loadOpts{})
	for _, c := range []struct {
		name, card string
		ent        json.RawMessage
		level      string
		pages      string // request substring counted
		wantPages  int
	}{
		{"github-failing", "github-actions", ghEntity("acme-streaming/license-service"), "error", "/actions/runs?", 1},
		{"github-bounded", "github-actions", ghEntity("acme-streaming/playback-service"), "ok", "/actions/runs?", 2},
		{"gitlab-paged", "gitlab-ci", glEntity("media/transcoder"), "ok", "/pipelines?", 2},
		{"gitlab-small", "gitlab-ci", glEntity("media/packager"), "ok", "/pipelines?", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.up.Requests()
			card := e.mustCard(c.card, c.ent)
			if card.Status.Level != c.level {
				t.Errorf("status %+v, want %s", card.Status, c.level)
			}
			e.golden(t, c.name, c.ent, card)
			reqs := e.up.Requests()
			if n := requestsContaining(reqs, c.pages); n != c.wantPages {
				t.Errorf("pages read = %d, want %d: %v", n, c.wantPages, reqs)
			}
			if c.name == "github-bounded" && requestsContaining(reqs, "page=3") != 0 {
				t.Errorf("read past the page bound: %v", reqs)
			}
		})
	}
}

func TestCICheckPassing(t *testing.T) {
	t.Parallel()
	e := ciEnv(t, loadOpts{})
	both := entity("x", map[string]string{"github.com/project-slug": "acme-streaming/search-service", "gitlab.com/project-slug": "media/packager"})
	for _, c := range []struct {
		ent  json.RawMessage
		want string
	}{
		{ghEntity("acme-streaming/license-service"), "fail"},
		{ghEntity("acme-streaming/search-service"), "pass"},
		{both, "pass"},
		{entity("none", nil), "skip"},
	} {
		got, err := e.check("ci-passing", c.ent)
		if err != nil {
			t.Fatal(err)
		}
		if got.Result != c.want {
			t.Errorf("ci-passing = %+v, want %s", got, c.want)
		}
	}
}

func TestCIFaults(t *testing.T) {
	t.Parallel()
	e := ciEnv(t, loadOpts{timeout: 1500 * time.Millisecond})
	gh, gl := ghEntity("acme-streaming/search-service"), glEntity("media/packager")
	if cs := e.plugin.CardsFor(gh); len(cs) != 1 || cs[0].ID != "github-actions" {
		t.Fatalf("cards for a GitHub entity: %v", cs)
	}
	if _, err := e.card("gitlab-ci", gh); err == nil || !strings.Contains(err.Error(), "not_applicable: ") {
		t.Fatalf("gitlab card on a GitHub entity: err = %v", err)
	}
	e.secret("github-token", "ghp_wrongwrongwrong")
	c := e.mustCard("github-actions", gh)
	if c.Status.Level != "error" || !strings.Contains(c.Status.Text, "401") || !strings.Contains(c.Summary, "github-token") || strings.Contains(cardText(c), "ghp_") {
		t.Fatalf("401 card %s", cardText(c))
	}
	e.secret("github-token", upstreams.DefaultTokens[upstreams.GitHub])
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.GitLab, Status: 403, Count: 1})
	if c := e.mustCard("gitlab-ci", gl); !strings.Contains(c.Status.Text, "403") {
		t.Fatalf("403 card %+v", c.Status)
	}
	if c := e.mustCard("github-actions", ghEntity("acme-streaming/no-such-repo")); c.Status.Level != "warning" || !strings.Contains(c.Status.Text, "no-such-repo") {
		t.Fatalf("404 card %+v", c.Status)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.GitLab, PathContains: "/pipelines", Status: 429, RetryAfter: "60", Count: 1})
	if _, err := e.card("gitlab-ci", gl); err == nil || !strings.Contains(err.Error(), "retry-after=60s") {
		t.Fatalf("429: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.GitHub, PathContains: "/actions/runs", Malformed: true, Count: 1})
	if _, err := e.card("github-actions", gh); err == nil || !strings.Contains(err.Error(), "malformed response") {
		t.Fatalf("malformed: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.GitHub, Delay: 4 * time.Second, Count: 1})
	if _, err := e.card("github-actions", gh); !isTimeout(err) {
		t.Fatalf("slow: err = %v", err)
	}
}
