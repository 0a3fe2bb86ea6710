package upstreams

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type client struct {
	t   *testing.T
	url string
}

func newClient(t *testing.T) (*client, *Server) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &client{t: t, url: srv.URL}, s
}

func (c *client) get(path string, hdr map[string]string, v any) *http.Response {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.url+path, nil)
	for k, val := range hdr {
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, v); err != nil {
			c.t.Fatalf("GET %s: %v: %s", path, err, b)
		}
	}
	return resp
}

var (
	pdAuth = map[string]string{"Authorization": "Token token=" + DefaultTokens[PagerDuty]}
	ghAuth = map[string]string{"Authorization": "Bearer " + DefaultTokens[GitHub]}
	glAuth = map[string]string{"PRIVATE-TOKEN": DefaultTokens[GitLab]}
	k8Auth = map[string]string{"Authorization": "Bearer " + DefaultTokens[Kubernetes]}
	gfAuth = map[string]string{"Authorization": "Bearer " + DefaultTokens[Grafana]}
)

func TestPagerDutyPaging(t *testing.T) {
	c, _ := newClient(t)
	seen := map[string]bool{}
	for off := 0; ; off += 25 {
		var page struct {
			Incidents []struct {
				ID      string `json:"id"`
				Service struct {
					ID string `json:"id"`
				} `json:"service"`
			} `json:"incidents"`
			More   bool `json:"more"`
			Offset int  `json:"offset"`
			Limit  int  `json:"limit"`
		}
		c.get("/pagerduty/incidents?service_ids[]=PP3ANZ5&statuses[]=acknowledged&limit=25&offset="+itoa(off), pdAuth, &page)
		if page.Limit != 25 || page.Offset != off {
			t.Fatalf("limit/offset echoed as %d/%d", page.Limit, page.Offset)
		}
		for _, in := range page.Incidents {
			if seen[in.ID] || in.Service.ID != "PP3ANZ5" {
				t.Fatalf("duplicate or foreign incident %+v", in)
			}
			seen[in.ID] = true
		}
		if !page.More {
			break
		}
	}
	if len(seen) != 57 {
		t.Fatalf("incidents = %d, want 57", len(seen))
	}
	if r := c.get("/pagerduty/services/PNC0AQK", map[string]string{"Authorization": "Token token=nope"}, nil); r.StatusCode != 401 {
		t.Fatalf("bad token: %d", r.StatusCode)
	}
	if r := c.get("/pagerduty/services/PNOSUCH", pdAuth, nil); r.StatusCode != 404 {
		t.Fatalf("unknown service: %d", r.StatusCode)
	}
}

func TestGitHubLinkHeader(t *testing.T) {
	c, _ := newClient(t)
	var runs struct {
		Total int              `json:"total_count"`
		Runs  []map[string]any `json:"workflow_runs"`
	}
	r := c.get("/github/repos/acme-streaming/playback-service/actions/runs?per_page=50&page=2", ghAuth, &runs)
	link := r.Header.Get("Link")
	if runs.Total != 130 || len(runs.Runs) != 50 || !strings.Contains(link, `page=3&per_page=50>; rel="next"`) || !strings.Contains(link, `rel="prev"`) {
		t.Fatalf("total %d runs %d link %q", runs.Total, len(runs.Runs), link)
	}
	r = c.get("/github/repos/acme-streaming/playback-service/actions/runs?per_page=50&page=3", ghAuth, &runs)
	if strings.Contains(r.Header.Get("Link"), `rel="next"`) || len(runs.Runs) != 30 {
		t.Fatalf("last page: link %q runs %d", r.Header.Get("Link"), len(runs.Runs))
	}
	if r := c.get("/github/repos/acme-streaming/nope/actions/runs", ghAuth, nil); r.StatusCode != 404 {
		t.Fatalf("unknown repo: %d", r.StatusCode)
	}
}

func TestGitLabNextPageAndEncodedPath(t *testing.T) {
	c, _ := newClient(t)
	var ps []map[string]any
	r := c.get("/gitlab/api/v4/projects/media%2Ftranscoder/pipelines?per_page=50&page=1", glAuth, &ps)
	if len(ps) != 50 || r.Header.Get("X-Next-Page") != "2" || r.Header.Get("X-Total") != "75" {
		t.Fatalf("page 1: %d items, next %q total %q", len(ps), r.Header.Get("X-Next-Page"), r.Header.Get("X-Total"))
	}
	r = c.get("/gitlab/api/v4/projects/media%2Ftranscoder/pipelines?per_page=50&page=2", glAuth, &ps)
	if len(ps) != 25 || r.Header.Get("X-Next-Page") != "" {
		t.Fatalf("page 2: %d items, next %q", len(ps), r.Header.Get("X-Next-Page"))
	}
	var p map[string]any
	c.get("/gitlab/api/v4/projects/media%2Ftranscoder/pipelines/"+itoa(int(ps[0]["id"].(float64))), glAuth, &p)
	if p["duration"] == nil || p["user"] == nil {
		t.Fatalf("pipeline detail %v", p)
	}
}

func TestKubernetesContinueAndSelectors(t *testing.T) {
	c, _ := newClient(t)
	var list struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Continue string `json:"continue"`
		} `json:"metadata"`
		Items []map[string]any `json:"items"`
	}
	c.get("/k8s/prod-eu/api/v1/namespaces/media/pods?labelSelector=app.kubernetes.io/name%3Dtranscoder-worker&limit=100", k8Auth, &list)
	if list.Kind != "PodList" || len(list.Items) != 100 || list.Metadata.Continue == "" {
		t.Fatalf("page 1: kind %s items %d continue %q", list.Kind, len(list.Items), list.Metadata.Continue)
	}
	cont := list.Metadata.Continue
	list.Metadata.Continue = ""
	c.get("/k8s/prod-eu/api/v1/namespaces/media/pods?labelSelector=app.kubernetes.io/name%3Dtranscoder-worker&limit=100&continue="+cont, k8Auth, &list)
	if len(list.Items) != 20 || list.Metadata.Continue != "" {
		t.Fatalf("page 2: items %d continue %q", len(list.Items), list.Metadata.Continue)
	}
	if r := c.get("/k8s/prod-eu/api/v1/pods?continue=garbage!", k8Auth, nil); r.StatusCode != 410 {
		t.Fatalf("bad continue: %d", r.StatusCode)
	}
	c.get("/k8s/prod-eu/apis/apps/v1/statefulsets?labelSelector=backstage.io/kubernetes-id%3Dsession-cache", k8Auth, &list)
	if list.Kind != "StatefulSetList" || len(list.Items) != 1 {
		t.Fatalf("statefulsets %s %d", list.Kind, len(list.Items))
	}
	c.get("/k8s/prod-eu/api/v1/namespaces/playback/events?fieldSelector=type%3DWarning", k8Auth, &list)
	for _, ev := range list.Items {
		if ev["type"] != "Warning" {
			t.Fatalf("non-warning event %v", ev)
		}
	}
	if r := c.get("/k8s/prod-eu/api/v1/pods", nil, nil); r.StatusCode != 401 {
		t.Fatalf("no token: %d", r.StatusCode)
	}
	if r := c.get("/k8s/nowhere/api/v1/pods", k8Auth, nil); r.StatusCode != 404 {
		t.Fatalf("unknown cluster: %d", r.StatusCode)
	}
}

func TestGrafanaSearchAndRules(t *testing.T) {
	c, _ := newClient(t)
	var ds []map[string]any
	c.get("/grafana/api/search?type=dash-db&tag=license-service", gfAuth, &ds)
	if len(ds) != 2 || !strings.HasPrefix(ds[0]["url"].(string), "/d/") {
		t.Fatalf("dashboards %v", ds)
	}
	var rules struct {
		Status string `json:"status"`
		Data   struct {
			Groups []struct {
				Rules []struct {
					State string `json:"state"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	c.get("/grafana/api/prometheus/grafana/api/v1/rules", gfAuth, &rules)
	states := map[string]int{}
	for _, g := range rules.Data.Groups {
		for _, r := range g.Rules {
			states[r.State]++
		}
	}
	if rules.Status != "success" || states["firing"] == 0 || states["pending"] == 0 || states["inactive"] == 0 {
		t.Fatalf("rule states %v", states)
	}
}

func TestFaults(t *testing.T) {
	c, s := newClient(t)
	s.SetFault(Fault{Vendor: GitHub, Status: 429, RetryAfter: "30", Count: 1})
	r := c.get("/github/repos/acme-streaming/search-service", ghAuth, nil)
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "30" {
		t.Fatalf("429 fault: %d %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := c.get("/github/repos/acme-streaming/search-service", ghAuth, nil); r.StatusCode != 200 {
		t.Fatalf("fault with Count 1 hit twice: %d", r.StatusCode)
	}
	// Faults over HTTP, as `portico dev upstreams` takes them.
	resp, err := http.Post(c.url+"/_faults", "application/json", strings.NewReader(`{"vendor":"pagerduty","malformed":true}`))
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("POST /_faults: %v %v", resp, err)
	}
	var v any
	req, _ := http.NewRequest("GET", c.url+"/pagerduty/services/PNC0AQK", nil)
	req.Header.Set("Authorization", pdAuth["Authorization"])
	resp, _ = http.DefaultClient.Do(req)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if json.Unmarshal(b, &v) == nil {
		t.Fatalf("malformed fault served valid JSON: %s", b)
	}
	if r := c.get("/grafana/api/search", gfAuth, nil); r.StatusCode != 200 {
		t.Fatalf("pagerduty fault hit grafana: %d", r.StatusCode)
	}
	s.ClearFaults()
	s.SetFault(Fault{Vendor: Grafana, Delay: 300 * time.Millisecond, Count: 1})
	start := time.Now()
	c.get("/grafana/api/search", gfAuth, nil)
	if time.Since(start) < 300*time.Millisecond {
		t.Fatal("delay fault did not delay")
	}
	if reqs := s.Requests(); len(reqs) == 0 || !strings.HasPrefix(reqs[0], "GET /github/") {
		t.Fatalf("request log %v", reqs)
	}
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
