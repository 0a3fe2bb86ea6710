package plugins_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/upstreams"
)

func k8sEnv(t testing.TB, o loadOpts) *env {
	e := newEnv(t, "kubernetes", o)
	e.config(map[string]any{"clusters": []map[string]any{
		{"name": "prod-eu", "url": e.url + "/k8s/prod-eu"},
		{"name": "prod-us", "url": e.url + "/k8s/prod-us", "tokenSecret": "token-2"},
	}})
	e.secret("token", upstreams.DefaultTokens[upstreams.Kubernetes])
	e.secret("token-2", upstreams.DefaultTokens[upstreams.Kubernetes])
	return e
}

func k8sEntity(name, ns, selector string) json.RawMessage {
	ann := map[string]string{"backstage.io/kubernetes-id": name}
	if ns != "" {
		ann["backstage.io/kubernetes-namespace"] = ns
	}
	if selector != "" {
		ann["backstage.io/kubernetes-label-selector"] = selector
	}
	return entity(name, ann)
}

func TestKubernetesCard(t *testing.T) {
	t.Parallel()
	e := k8sEnv(t, loadOpts{})
	for _, c := range []struct {
		name  string
		ent   json.RawMessage
		level string
	}{
		{"crashloop", k8sEntity("license-service", "playback", ""), "error"},
		{"healthy-statefulset", k8sEntity("session-cache", "playback", ""), "ok"},
		{"warning-events", k8sEntity("playback-service", "playback", ""), "warning"},
		{"label-selector-paged", k8sEntity("transcoder-worker", "media", "app.kubernetes.io/name=transcoder-worker"), "ok"},
		{"all-namespaces", k8sEntity("search-indexer", "", "app.kubernetes.io/name=search-indexer,app.kubernetes.io/part-of=search"), "ok"},
		{"nothing-found", k8sEntity("not-deployed", "", ""), "unknown"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.up.Requests()
			card := e.mustCard("kubernetes", c.ent)
			if card.Status.Level != c.level {
				t.Errorf("status %+v, want %s", card.Status, c.level)
			}
			e.golden(t, c.name, c.ent, card)
			if c.name == "label-selector-paged" {
				// 120 pods per cluster at 100 a page: two pages each, the
				// second with the continue token of the first.
				reqs := e.up.Requests()
				if n := requestsContaining(reqs, "/pods?"); n != 4 {
					t.Errorf("pod list requests = %d, want 4: %v", n, reqs)
				}
				if n := requestsContaining(reqs, "continue="); n != 2 {
					t.Errorf("continue requests = %d, want 2", n)
				}
			}
		})
	}
}

func TestKubernetesCheckNoCrashloop(t *testing.T) {
	t.Parallel()
	e := k8sEnv(t, loadOpts{})
	for _, c := range []struct {
		ent  json.RawMessage
		want string
	}{
		{k8sEntity("license-service", "playback", ""), "fail"},
		{k8sEntity("search-service", "content", ""), "pass"},
		{entity("no-k8s", nil), "skip"},
	} {
		got, err := e.check("no-crashloop", c.ent)
		if err != nil {
			t.Fatal(err)
		}
		if got.Result != c.want {
			t.Errorf("no-crashloop = %+v, want %s", got, c.want)
		}
	}
}

func TestKubernetesFaults(t *testing.T) {
	t.Parallel()
	e := k8sEnv(t, loadOpts{timeout: 1500 * time.Millisecond})
	ent := k8sEntity("search-service", "content", "")
	if _, err := e.card("kubernetes", entity("x", nil)); err == nil || !strings.Contains(err.Error(), "not_applicable: ") {
		t.Fatalf("no annotations: err = %v", err)
	}
	// One cluster's token is wrong: that cluster says so, the other still shows.
	e.secret("token-2", "eyJhbGciOi-wrong")
	c := e.mustCard("kubernetes", ent)
	if c.Status.Level != "error" || !strings.Contains(cardText(c), "prod-us") || !strings.Contains(cardText(c), "token-2") ||
		strings.Contains(cardText(c), "eyJhbGciOi") || len(c.Tables) != 1 {
		t.Fatalf("401 on one cluster: %s", cardText(c))
	}
	e.secret("token-2", upstreams.DefaultTokens[upstreams.Kubernetes])
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Kubernetes, PathContains: "/prod-eu/", Status: 403, Count: 1})
	if c := e.mustCard("kubernetes", ent); !strings.Contains(cardText(c), "403") {
		t.Fatalf("403: %s", cardText(c))
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Kubernetes, PathContains: "/pods", Malformed: true, Count: 1})
	if _, err := e.card("kubernetes", ent); err == nil || !strings.Contains(err.Error(), "malformed response for pods") {
		t.Fatalf("malformed: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Kubernetes, Status: 429, RetryAfter: "7", Count: 1})
	if _, err := e.card("kubernetes", ent); err == nil || !strings.Contains(err.Error(), "retry-after=7s") {
		t.Fatalf("429: err = %v", err)
	}
	e.up.SetFault(upstreams.Fault{Vendor: upstreams.Kubernetes, Delay: 4 * time.Second, Count: 1})
	if _, err := e.card("kubernetes", ent); !isTimeout(err) {
		t.Fatalf("slow: err = %v", err)
	}
}
