package web_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico/web/webtest"
)

// call sends one request and returns status, headers and body.
func call(t *testing.T, method, u, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return resp.StatusCode, resp.Header, b
}

type errorBody struct {
	Error struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
	Request struct {
		Method string `json:"method"`
		URL    string `json:"url"`
	} `json:"request"`
	Response struct {
		StatusCode int `json:"statusCode"`
	} `json:"response"`
}

// wantError asserts Backstage's error body with the status, name and (when
// non-empty) a message containing msg.
func wantError(t *testing.T, status int, gotStatus int, body []byte, name, msg string) {
	t.Helper()
	if gotStatus != status {
		t.Fatalf("status %d, want %d; body %s", gotStatus, status, body)
	}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	if eb.Error.Name != name || eb.Response.StatusCode != status || eb.Request.Method == "" || eb.Request.URL == "" {
		t.Fatalf("error body %s, want name %s and status %d", body, name, status)
	}
	if msg != "" && !strings.Contains(eb.Error.Message, msg) {
		t.Fatalf("error message %q, want it to contain %q", eb.Error.Message, msg)
	}
}

func TestErrorsAndStatuses(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{Examples: true})
	api := srv.URL + "/api/catalog"
	const js = "application/json"
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		errName, msg                 string
	}{
		{"by-name missing", "GET", "/entities/by-name/component/default/nope", "", "", 404, "NotFoundError",
			"No entity named 'nope' found, with kind 'component' in namespace 'default'"},
		{"by-uid missing", "GET", "/entities/by-uid/abc", "", "", 404, "NotFoundError", "No entity with uid abc"},
		{"ancestry missing", "GET", "/entities/by-name/component/default/nope/ancestry", "", "", 404, "NotFoundError", "No such entity component:default/nope"},
		{"location missing", "GET", "/locations/nope", "", "", 404, "NotFoundError", "Found no location with ID nope"},
		{"facets without facet", "GET", "/entity-facets", "", "", 400, "InputError", "Missing facet parameter"},
		{"post facets empty", "POST", "/entity-facets", js, `{"facets":[]}`, 400, "InputError", "Missing facet parameter"},
		{"bad filter", "GET", "/entities?filter=" + url.QueryEscape("=x"), "", "", 400, "InputError", "Invalid filter"},
		{"bad order", "GET", "/entities?order=up:metadata.name", "", "", 400, "InputError", "Invalid order parameter"},
		{"negative offset", "GET", "/entities?offset=-1", "", "", 400, "InputError", "Invalid offset"},
		{"zero limit", "GET", "/entities?limit=0", "", "", 400, "InputError", "Invalid limit"},
		{"non-integer limit", "GET", "/entities?limit=ten", "", "", 400, "InputError", "not an integer"},
		{"empty after", "GET", "/entities?after=", "", "", 400, "InputError", "Invalid after"},
		{"malformed after", "GET", "/entities?after=%25%25%25", "", "", 400, "InputError", "Malformed after cursor"},
		{"after not json", "GET", "/entities?after=" + base64.StdEncoding.EncodeToString([]byte("nope")), "", "", 400, "InputError", "Malformed after cursor"},
		{"array fields", "GET", "/entities?fields=metadata.tags[0]", "", "", 400, "InputError", "array type fields are not supported"},
		{"malformed cursor", "GET", "/entities/by-query?cursor=!!!", "", "", 400, "InputError", "Malformed cursor"},
		{"cursor wrong shape", "GET", "/entities/by-query?cursor=" + base64.StdEncoding.EncodeToString([]byte(`{"orderFieldValues":[1]}`)), "", "", 400, "InputError", "Malformed cursor"},
		{"empty cursor POST", "POST", "/entities/by-query", js, `{"cursor":""}`, 400, "InputError", "cursor"},
		{"query not an object", "POST", "/entities/by-query", js, `{"query":[1]}`, 400, "InputError", "query"},
		{"bad predicate", "POST", "/entities/by-query", js, `{"query":{"$nope":[]}}`, 400, "InputError", "unknown operator"},
		{"by-query malformed JSON", "POST", "/entities/by-query", js, `{"limit":`, 400, "InputError", "Malformed"},
		{"by-query wrong type", "POST", "/entities/by-query", js, `{"limit":"ten"}`, 400, "InputError", "limit"},
		{"by-refs no content type", "POST", "/entities/by-refs", "", `{"entityRefs":[]}`, 400, "InputError", "Content-Type missing"},
		{"by-refs illegal content type", "POST", "/entities/by-refs", "text/plain", `{"entityRefs":[]}`, 400, "InputError", "Illegal Content-Type"},
		{"by-refs missing body", "POST", "/entities/by-refs", js, ``, 400, "InputError", "Missing request body"},
		{"by-refs array body", "POST", "/entities/by-refs", js, `[1,2]`, 400, "InputError", "Expected body to be a JSON object"},
		{"by-refs empty body", "POST", "/entities/by-refs", js, `{}`, 400, "InputError", "Empty request body"},
		{"by-refs no refs", "POST", "/entities/by-refs", js, `{"fields":["kind"]}`, 400, "InputError", "entityRefs"},
		{"by-refs malformed", "POST", "/entities/by-refs", js, `{"entityRefs":["a"`, 400, "InputError", "Malformed"},
		{"refresh missing ref", "POST", "/refresh", js, `{"authorizationToken":"x"}`, 400, "InputError", "entityRef"},
		{"refresh extra key", "POST", "/refresh", js, `{"entityRef":"component:default/artist-lookup","x":1}`, 400, "InputError", "unknown field"},
		{"refresh unknown", "POST", "/refresh", js, `{"entityRef":"component:default/nope"}`, 404, "NotFoundError", ""},
		{"location wrong type", "POST", "/locations", js, `{"type":"file","target":"/etc"}`, 400, "InputError", `Registered locations must be of an allowed type ["url"]`},
		{"location extra key", "POST", "/locations", js, `{"type":"url","target":"http://x/y","rules":[]}`, 400, "InputError", "unknown field"},
		{"location no target", "POST", "/locations", js, `{"type":"url"}`, 400, "InputError", "target"},
		{"location bad dryRun", "POST", "/locations?dryRun=maybe", js, `{"type":"url","target":"http://x/y"}`, 400, "InputError", "dryRun"},
		{"location bad onConflict", "POST", "/locations?onConflict=merge", js, `{"type":"url","target":"http://x/y"}`, 400, "InputError", "onConflict"},
		{"put missing location", "PUT", "/locations/nope", js, `{"type":"url","target":"http://x/y"}`, 404, "NotFoundError", "Found no location with ID nope"},
		{"delete missing location", "DELETE", "/locations/nope", "", "", 404, "NotFoundError", "Found no location with ID nope"},
		{"location by entity missing", "GET", "/locations/by-entity/component/default/nope", "", "", 404, "NotFoundError", ""},
		{"analyze non-URL", "POST", "/analyze-location", js, `{"location":{"type":"url","target":"/etc/passwd"}}`, 400, "InputError", "The given location.target is not a URL"},
		{"analyze no location", "POST", "/analyze-location", js, `{"catalogFilename":"x.yaml"}`, 400, "InputError", "location"},
		{"locations by-query bad cursor", "POST", "/locations/by-query", js, `{"cursor":"###"}`, 400, "InputError", "Malformed cursor"},
		{"locations by-query zero limit", "POST", "/locations/by-query", js, `{"limit":0}`, 400, "InputError", "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := call(t, tt.method, api+tt.path, tt.ct, tt.body)
			wantError(t, tt.status, status, body, tt.errName, tt.msg)
		})
	}

	t.Run("router 404 has an empty body", func(t *testing.T) {
		for _, p := range []string{"GET /api/catalog/nope", "GET /nope", "GET /api/catalog/entities/by-name/a/b", "PATCH /api/catalog/entities", "DELETE /api/catalog/entities"} {
			method, path, _ := strings.Cut(p, " ")
			status, _, body := call(t, method, srv.URL+path, "", "")
			if status != 404 || len(body) != 0 {
				t.Errorf("%s: %d %q, want 404 and an empty body", p, status, body)
			}
		}
	})
	t.Run("error echoes the request", func(t *testing.T) {
		_, _, body := call(t, "GET", api+"/entities/by-uid/zzz", "", "")
		var eb errorBody
		_ = json.Unmarshal(body, &eb)
		if eb.Request.Method != "GET" || eb.Request.URL != "/api/catalog/entities/by-uid/zzz" {
			t.Errorf("request echoed as %+v", eb.Request)
		}
	})
	t.Run("validate-entity puts every failure in errors", func(t *testing.T) {
		for _, body := range []string{``, `[]`, `{"entity":{"kind":"Component"}}`, `{"entity":"x","location":"url:http://a/b"}`, `{"entity":{},"location":"file:/x"}`} {
			status, _, b := call(t, "POST", api+"/validate-entity", js, body)
			var out struct {
				Errors []struct{ Name, Message string } `json:"errors"`
			}
			if status != 400 || json.Unmarshal(b, &out) != nil || len(out.Errors) == 0 || out.Errors[0].Name == "" || out.Errors[0].Message == "" {
				t.Errorf("body %s: %d %s, want 400 {errors:[…]}", body, status, b)
			}
		}
		status, _, b := call(t, "POST", api+"/validate-entity", js,
			`{"entity":{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"g"},"spec":{"type":"team","children":[]}},"location":"url:http://a/b.yaml"}`)
		if status != 200 || len(b) != 0 {
			t.Errorf("valid entity: %d %s, want 200 with an empty body", status, b)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		status, _, b := call(t, "GET", srv.URL+"/healthz", "", "")
		if status != 200 || !bytes.Contains(b, []byte(`"ok"`)) {
			t.Errorf("healthz: %d %s", status, b)
		}
	})
}
