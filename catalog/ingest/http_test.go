package ingest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// flakyServer serves a small catalog over HTTP and can be switched to fail.
type flakyServer struct {
	mu    sync.Mutex
	mode  string // "ok", "500", "hang"
	files map[string]string
	stop  chan struct{}
}

func (s *flakyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode := s.mode
	body, ok := s.files[r.URL.Path]
	s.mu.Unlock()
	switch mode {
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "hang":
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write([]byte(body))
}

func (s *flakyServer) set(mode string) { s.mu.Lock(); s.mode = mode; s.mu.Unlock() }

// TestURLLocation uses the real http reader: relative targets and $text
// under a URL, then a 500 and a timeout that record an error and keep the
// previous entities.
func TestURLLocation(t *testing.T) {
	fs := &flakyServer{mode: "ok", stop: make(chan struct{}), files: map[string]string{
		"/org/catalog.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: remote\nspec:\n  targets: [./svc/catalog-info.yaml]\n",
		"/org/svc/catalog-info.yaml": component("remote-svc") + "---\n" +
			"apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: remote-api\nspec:\n  type: openapi\n  lifecycle: production\n  owner: team-a\n  definition:\n    $text: ./openapi.yaml\n",
		"/org/svc/openapi.yaml": "openapi: 3.0.0\n",
	}}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	defer close(fs.stop)

	st := openStore(t)
	e := New(st, testKinds(t), Options{HTTPTimeout: 300 * time.Millisecond})
	target := srv.URL + "/org/catalog.yaml"
	loc, err := e.RegisterLocation(ctx, "url", target)
	if err != nil {
		t.Fatal(err)
	}
	svc := mustGet(t, st, "component:default/remote-svc")
	if got := svc.Metadata.Annotations[catalog.AnnotationManagedByLocation]; got != "url:"+srv.URL+"/org/svc/catalog-info.yaml" {
		t.Errorf("managed-by-location = %q", got)
	}
	if got := svc.Metadata.Annotations[catalog.AnnotationManagedByOriginLocation]; got != "url:"+target {
		t.Errorf("managed-by-origin-location = %q", got)
	}
	if api := mustGet(t, st, "api:default/remote-api"); api.SpecString("definition") != "openapi: 3.0.0\n" {
		t.Errorf("$text under a URL: definition = %q", api.SpecString("definition"))
	}

	for _, c := range []struct{ mode, want string }{
		{"500", "500 Internal Server Error"},
		{"hang", "no answer within"},
	} {
		fs.set(c.mode)
		r := process(t, e, loc)
		pe := findError(r.Errors, c.want)
		if pe == nil || !strings.Contains(pe.Message, target) {
			t.Fatalf("%s: want an error naming %q and the URL, got %+v", c.mode, c.want, r.Errors)
		}
		if r.Result.Orphaned+r.Result.Deleted != 0 {
			t.Fatalf("%s: entities lost: %+v", c.mode, r.Result)
		}
		mustGet(t, st, "component:default/remote-svc")
		mustGet(t, st, "api:default/remote-api")
		mustGet(t, st, "location:default/remote")
	}

	// A URL location never reaches local files: paths resolve on its server.
	fs.set("ok")
	fs.mu.Lock()
	fs.files["/org/evil.yaml"] = "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: evil\nspec:\n  type: file\n  target: /etc/passwd\n"
	fs.mu.Unlock()
	_, r := addLocation(t, e, st, "url", srv.URL+"/org/evil.yaml")
	// an absolute path under a URL stays on that server
	if pe := findError(r.Errors, srv.URL+"/etc/passwd"); pe == nil || pe.Name != "NotFoundError" {
		t.Errorf("want the path resolved on the server, got %+v", r.Errors)
	}

}
