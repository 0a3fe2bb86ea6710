package catalogapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"testing"

	"github.com/portico-dev/portico/web/catalogapi"
	"github.com/portico-dev/portico/web/webtest"
)

func getEntities(t *testing.T, u string) []map[string]any {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %s", u, resp.StatusCode, err, b)
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("GET %s: not a JSON array: %v", u, err)
	}
	return out
}

func refs(es []map[string]any) []string {
	out := make([]string, len(es))
	for i, e := range es {
		md := e["metadata"].(map[string]any)
		out[i] = e["kind"].(string) + ":" + md["namespace"].(string) + "/" + md["name"].(string)
	}
	return out
}

// TestStreamAll checks that GET /entities without paging streams every match
// exactly once across store chunks, with order and fields applied.
func TestStreamAll(t *testing.T) {
	srv := webtest.Start(t, webtest.Options{Examples: true})
	api := srv.URL + "/api/catalog"
	whole := getEntities(t, api+"/entities?order=asc:metadata.name")
	if len(whole) < 50 {
		t.Fatalf("only %d entities", len(whole))
	}
	defer catalogapi.SetStreamChunk(7)()
	streamed := getEntities(t, api+"/entities?order=asc:metadata.name")
	a, b := refs(whole), refs(streamed)
	if len(a) != len(b) {
		t.Fatalf("streamed %d entities, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("entity %d: streamed %s, want %s", i, b[i], a[i])
		}
	}
	slim := getEntities(t, api+"/entities?fields=kind,metadata.name,metadata.namespace&filter=kind=user&filter=kind=group")
	if len(slim) != 26 {
		t.Fatalf("%d users and groups, want 26", len(slim))
	}
	seen := map[string]bool{}
	for _, r := range refs(slim) {
		if seen[r] {
			t.Fatalf("%s streamed twice", r)
		}
		seen[r] = true
	}
	for _, e := range slim {
		if len(e) != 2 {
			t.Fatalf("projection not applied while streaming: %v", e)
		}
	}
	var names []string
	for _, e := range getEntities(t, api+"/entities?filter=kind=user&order=desc:metadata.name") {
		names = append(names, e["metadata"].(map[string]any)["name"].(string))
	}
	if len(names) != 17 || !sort.IsSorted(sort.Reverse(sort.StringSlice(names))) {
		t.Fatalf("desc stream: %v", names)
	}
}
