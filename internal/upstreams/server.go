// Package upstreams simulates the vendor APIs Portico's first-party plugins
// read — PagerDuty REST API v2, Grafana's HTTP API, the Kubernetes API,
// GitHub REST (Actions runs) and GitLab REST (pipelines) — in the shapes of
// their public documentation, seeded with data for the demo catalog
// (examples/catalog), with configurable faults (status codes, Retry-After,
// malformed JSON, delays). Tests start it with httptest; `portico dev
// upstreams` serves it for `make demo`.
//
// Every vendor lives under its own path prefix on one server:
//
//	/pagerduty   PagerDuty REST API v2 (base URL of api.pagerduty.com)
//	/grafana     Grafana HTTP API (base URL of a Grafana instance)
//	/k8s/{name}  one Kubernetes cluster's API server
//	/github      GitHub REST (base URL of api.github.com)
//	/gitlab/api/v4  GitLab REST v4
//
// It is test and demo tooling: it must never import the host, the catalog
// stores or web.
package upstreams

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Vendor names used in faults and tokens.
const (
	PagerDuty  = "pagerduty"
	Grafana    = "grafana"
	Kubernetes = "kubernetes"
	GitHub     = "github"
	GitLab     = "gitlab"
)

// DefaultTokens are the credentials the simulators accept unless Options
// say otherwise.
var DefaultTokens = map[string]string{
	PagerDuty:  "pd-demo-token",
	Grafana:    "grafana-demo-token",
	Kubernetes: "k8s-demo-token",
	GitHub:     "gh-demo-token",
	GitLab:     "gl-demo-token",
}

// Options configure a Server.
type Options struct {
	// Now is the clock the seed data is relative to (nil = time.Now).
	Now func() time.Time
	// Tokens overrides DefaultTokens per vendor.
	Tokens map[string]string
	// Clusters are the Kubernetes cluster names served (default prod-eu, prod-us).
	Clusters []string
}

// Fault is an injected misbehaviour. It applies to requests of Vendor ("" =
// every vendor) whose path contains PathContains; Count limits how many
// requests it hits (0 = until cleared).
type Fault struct {
	Vendor       string        `json:"vendor,omitempty"`
	PathContains string        `json:"pathContains,omitempty"`
	Status       int           `json:"status,omitempty"`
	RetryAfter   string        `json:"retryAfter,omitempty"`
	Malformed    bool          `json:"malformed,omitempty"`
	Delay        time.Duration `json:"delay,omitempty"`
	Count        int           `json:"count,omitempty"`
}

// Server is the simulator. It is safe for concurrent use.
type Server struct {
	mux    *http.ServeMux
	now    func() time.Time
	base   time.Time
	tokens map[string]string
	data   *seed

	mu       sync.Mutex
	faults   []*Fault
	requests []string
	incSeq   int
}

// New returns a Server seeded with the demo data.
func New(o Options) *Server {
	s := &Server{mux: http.NewServeMux(), now: o.Now, tokens: map[string]string{}}
	if s.now == nil {
		s.now = time.Now
	}
	for k, v := range DefaultTokens {
		s.tokens[k] = v
	}
	for k, v := range o.Tokens {
		s.tokens[k] = v
	}
	clusters := o.Clusters
	if len(clusters) == 0 {
		clusters = []string{"prod-eu", "prod-us"}
	}
	// Seed times sit half a minute off whole minutes so that ages rendered to
	// the minute stay the same for the first 30 s after start.
	s.base = s.now().Truncate(time.Minute).Add(30 * time.Second)
	if s.base.After(s.now()) {
		s.base = s.base.Add(-time.Minute)
	}
	s.data = newSeed(s.base, clusters)
	s.routePagerDuty()
	s.routeGrafana()
	s.routeKubernetes()
	s.routeGitHub()
	s.routeGitLab()
	s.mux.HandleFunc("POST /_faults", s.postFault)
	s.mux.HandleFunc("DELETE /_faults", func(w http.ResponseWriter, r *http.Request) { s.ClearFaults(); w.WriteHeader(204) })
	return s
}

// Base is the instant the seed data is relative to.
func (s *Server) Base() time.Time { return s.base }

// ServeHTTP implements http.Handler: faults first, then the vendor route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vendor := vendorOf(r.URL.Path)
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	var hit *Fault
	for _, f := range s.faults {
		if (f.Vendor == "" || f.Vendor == vendor) && strings.Contains(r.URL.Path, f.PathContains) && vendor != "" {
			hit = f
			if f.Count > 0 {
				f.Count--
				if f.Count == 0 {
					s.removeFaultLocked(f)
				}
			}
			break
		}
	}
	s.mu.Unlock()
	if hit != nil {
		if hit.Delay > 0 {
			select {
			case <-time.After(hit.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if hit.Status != 0 {
			if hit.RetryAfter != "" {
				w.Header().Set("Retry-After", hit.RetryAfter)
			}
			writeJSON(w, hit.Status, vendorError(vendor, hit.Status))
			return
		}
		if hit.Malformed {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"truncated": [`))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func vendorOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/pagerduty/"):
		return PagerDuty
	case strings.HasPrefix(path, "/grafana/"):
		return Grafana
	case strings.HasPrefix(path, "/k8s/"):
		return Kubernetes
	case strings.HasPrefix(path, "/github/"):
		return GitHub
	case strings.HasPrefix(path, "/gitlab/"):
		return GitLab
	}
	return ""
}

// SetFault adds a fault (the first matching fault wins).
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) removeFaultLocked(f *Fault) {
	for i, g := range s.faults {
		if g == f {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return
		}
	}
}

// Requests returns the requests served so far ("GET /path?query") and
// forgets them.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

func (s *Server) postFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		http.Error(w, "bad fault: "+err.Error(), 400)
		return
	}
	s.SetFault(f)
	w.WriteHeader(204)
}

// authorized checks the vendor's credential header.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, vendor string) bool {
	want := s.tokens[vendor]
	var got string
	h := r.Header.Get("Authorization")
	switch vendor {
	case PagerDuty:
		got = strings.TrimPrefix(h, "Token token=")
	case GitLab:
		got = r.Header.Get("PRIVATE-TOKEN")
		if got == "" {
			got = strings.TrimPrefix(h, "Bearer ")
		}
	case GitHub:
		got = strings.TrimPrefix(strings.TrimPrefix(h, "Bearer "), "token ")
	default:
		got = strings.TrimPrefix(h, "Bearer ")
	}
	if h == "" && got == "" || got != want {
		writeJSON(w, 401, vendorError(vendor, 401))
		return false
	}
	return true
}

// vendorError is the documented error body of each vendor.
func vendorError(vendor string, status int) any {
	text := http.StatusText(status)
	switch vendor {
	case PagerDuty:
		code := map[int]int{401: 2006, 403: 2010, 404: 2100, 429: 2020}[status]
		return map[string]any{"error": map[string]any{"message": text, "code": code}}
	case Kubernetes:
		reason := strings.ReplaceAll(text, " ", "")
		return map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{},
			"status": "Failure", "message": strings.ToLower(text), "reason": reason, "code": status}
	case GitHub:
		msg := text
		if status == 401 {
			msg = "Bad credentials"
		}
		return map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest"}
	case GitLab:
		return map[string]any{"message": strconv.Itoa(status) + " " + text}
	}
	return map[string]any{"message": text}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// intParam reads a non-negative integer query parameter.
func intParam(r *http.Request, name string, def, max int) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n <= 0 {
		return def
	}
	if n > max {
		return max
	}
	return n
}

func (s *Server) ts(ago time.Duration) string { return s.base.Add(-ago).UTC().Format(time.RFC3339) }
