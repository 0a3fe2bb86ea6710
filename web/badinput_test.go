package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/webtest"
)

// TestBadInputNeverCrashes sends garbage to every route with a body: each
// answer is a 4xx with Backstage's error body (or validate-entity's errors
// array), never a 5xx, and the server keeps serving.
func TestBadInputNeverCrashes(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{Examples: true})
	api := srv.URL + "/api/catalog"
	routes := []struct{ method, path string }{
		{"POST", "/entities/by-query"}, {"POST", "/entities/by-refs"}, {"POST", "/entity-facets"},
		{"POST", "/refresh"}, {"POST", "/validate-entity"}, {"POST", "/locations"}, {"PUT", "/locations/x"},
		{"POST", "/locations/by-query"}, {"POST", "/analyze-location"},
	}
	bodies := []string{
		`{`, `}`, `null`, `"x"`, `42`, `[]`, `{"a":}`, "\xff\xfe{}", `{"entityRefs":"x"}`, `{"entityRefs":[1,2]}`,
		`{"facets":"kind"}`, `{"facets":[null]}`, `{"query":"kind=x"}`, `{"query":{"kind":{"$in":"x"}}}`,
		`{"query":{"$all":{}}}`, `{"cursor":123}`, `{"cursor":"e30="}`, `{"limit":-1}`, `{"limit":1e308}`, `{"offset":1.5}`,
		`{"orderBy":[{"field":"","order":"up"}]}`, `{"fullTextFilter":"x"}`, `{"fields":["a["]}`,
		`{"type":1,"target":true}`, `{"location":"x"}`, `{"location":{"type":"url","target":"ftp://x"}}`,
		`{"entity":[],"location":5}`, `{"entityRef":["x"]}`, `{"entityRef":"::::"}`,
		`{"query":` + strings.Repeat(`{"$not":`, 200) + `{}` + strings.Repeat(`}`, 201),
		strings.Repeat("[", 100000),
	}
	for _, r := range routes {
		for _, b := range bodies {
			status, _, body := call(t, r.method, api+r.path, "application/json", b)
			if status >= 500 {
				t.Errorf("%s %s with %q: %d %s", r.method, r.path, b, status, body)
				continue
			}
			if status < 400 {
				// The by-query routes accept unknown keys (their schemas allow them).
				if r.path != "/entities/by-query" && r.path != "/locations/by-query" {
					t.Errorf("%s %s with %q: %d %s, want a 4xx", r.method, r.path, b, status, body)
				}
				continue
			}
			var anyBody map[string]any
			if err := json.Unmarshal(body, &anyBody); err != nil || (anyBody["error"] == nil && anyBody["errors"] == nil) {
				t.Errorf("%s %s with %q: body %s is not an error body", r.method, r.path, b, body)
			}
		}
	}
	for _, q := range []string{
		"/entities?filter=" + strings.Repeat("a=b,", 5000), "/entities?fields=" + strings.Repeat(".", 1000),
		"/entities/by-query?cursor=" + strings.Repeat("A", 4000), "/entities/by-query?limit=-5",
		"/entities/by-query?orderField=,sideways", "/entities/by-query?totalItems=maybe",
		"/entities/by-query?fullTextFilterTerm=%00", "/entities?order=asc:", "/entity-facets?facet=",
	} {
		status, _, body := call(t, "GET", api+q, "", "")
		if status >= 500 {
			t.Errorf("GET %s: %d %s", q[:min(len(q), 80)], status, body)
		}
	}
	if status, _, _ := call(t, "GET", api+"/entities/by-name/component/default/artist-lookup", "", ""); status != 200 {
		t.Fatalf("server unhealthy after bad input: %d", status)
	}
}

// TestBodyLimit sends a body over the limit on a raw connection: the server
// answers 413 with the error body as soon as it sees the Content-Length.
func TestBodyLimit(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/catalog/entities/by-refs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"entityRefs\":[", web.DefaultBodyLimit+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	wantError(t, http.StatusRequestEntityTooLarge, resp.StatusCode, body, "PayloadTooLargeError", "too large")
}

// panicStore panics on every call, like a store with a bug.
type panicStore struct{ catalog.Store }

func (panicStore) EntityByRef(context.Context, string, catalog.Filter) (catalog.Record, error) {
	panic("store bug")
}

func TestPanicIsA500AndLogged(t *testing.T) {
	var logs bytes.Buffer
	app := web.New(web.Options{Store: panicStore{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	req := httptest.NewRequest("GET", "/api/catalog/entities/by-name/component/default/x", nil)
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	wantError(t, 500, resp.StatusCode, body, "Error", "store bug")
	if !strings.Contains(logs.String(), "panic") || !strings.Contains(logs.String(), "status=500") {
		t.Errorf("panic and request not logged: %s", logs.String())
	}
	// The app still serves.
	resp, err = app.Test(httptest.NewRequest("GET", "/healthz", nil), -1)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after panic: %v %v", resp, err)
	}
	if !strings.Contains(logs.String(), "method=GET path=/healthz status=200") {
		t.Errorf("request not logged: %s", logs.String())
	}
}

func TestReadOnly(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{ReadOnly: true})
	api := srv.URL + "/api/catalog"
	const loc = `{"type":"url","target":"http://127.0.0.1:1/catalog-info.yaml"}`
	status, _, body := call(t, "POST", api+"/locations", "application/json", loc)
	wantError(t, 403, status, body, "NotAllowedError", "This operation not allowed in readonly mode")
	status, _, body = call(t, "PUT", api+"/locations/x", "application/json", loc)
	wantError(t, 403, status, body, "NotAllowedError", "readonly")
	status, _, body = call(t, "DELETE", api+"/locations/x", "", "")
	wantError(t, 403, status, body, "NotAllowedError", "readonly")
	// A dry run is allowed in readonly mode: here it fails to read, which is a 400, not a 403.
	status, _, body = call(t, "POST", api+"/locations?dryRun=true", "application/json", loc)
	if status == 403 {
		t.Fatalf("dry run refused in readonly mode: %s", body)
	}
}
