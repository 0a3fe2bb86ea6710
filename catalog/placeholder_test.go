package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// httpReader reads files and http(s) URLs, as ingest's reader does.
type httpReader struct{}

func (httpReader) ReadSource(ctx context.Context, target string) ([]byte, error) {
	if !isHTTPURL(target) {
		return os.ReadFile(target)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

func TestResolvePlaceholdersFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "defs"), 0o755)
	os.WriteFile(filepath.Join(dir, "defs", "api.txt"), []byte("openapi: 3.0.0\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "defs", "v.json"), []byte(`{"a": [1, "x"]}`), 0o644)
	os.WriteFile(filepath.Join(dir, "defs", "v.yaml"), []byte("b: 2\nc: [d]\n"), 0o644)
	v := map[string]any{
		"spec": map[string]any{
			"definition": map[string]any{"$text": "./defs/api.txt"},
			"j":          []any{map[string]any{"$json": "defs/v.json"}},
			"y":          map[string]any{"$yaml": filepath.Join(dir, "defs", "v.yaml")},
			"schema":     map[string]any{"$ref": "#/definitions/x"},  // left alone
			"two":        map[string]any{"$text": "a", "other": "b"}, // not a placeholder
			"num":        map[string]any{"$text": 3.0},               // not a string: left alone
		},
	}
	out, err := ResolvePlaceholders(context.Background(), v, filepath.Join(dir, "catalog-info.yaml"), localReader{})
	if err != nil {
		t.Fatal(err)
	}
	s := out["spec"].(map[string]any)
	want := map[string]any{
		"definition": "openapi: 3.0.0\n",
		"j":          []any{map[string]any{"a": []any{1.0, "x"}}},
		"y":          map[string]any{"b": 2.0, "c": []any{"d"}},
		"schema":     map[string]any{"$ref": "#/definitions/x"},
		"two":        map[string]any{"$text": "a", "other": "b"},
		"num":        map[string]any{"$text": 3.0},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %#v", s)
	}
}

func TestResolvePlaceholdersErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/repo/api.yaml":
			fmt.Fprint(w, "openapi: 3.1.0")
		case "/repo/bad.json":
			fmt.Fprint(w, "{nope")
		default:
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	base := "url:" + srv.URL + "/repo/catalog-info.yaml"
	v := map[string]any{"spec": map[string]any{
		"ok":     map[string]any{"$text": "./api.yaml"},
		"broken": map[string]any{"$text": "missing.yaml"},
		"list":   []any{"x", map[string]any{"$json": "bad.json"}},
	}}
	out, err := ResolvePlaceholders(context.Background(), v, base, httpReader{})
	if out["spec"].(map[string]any)["ok"] != "openapi: 3.1.0" {
		t.Fatalf("good placeholder not resolved: %v", out)
	}
	var pes []*PlaceholderError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var pe *PlaceholderError
		if errors.As(e, &pe) {
			pes = append(pes, pe)
		}
	}
	if len(pes) != 2 {
		t.Fatalf("err = %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"spec.broken: $text placeholder could not read " + srv.URL + "/repo/missing.yaml: HTTP 500",
		"spec.list.1: $json placeholder could not read " + srv.URL + "/repo/bad.json: not valid JSON"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	// The failed placeholder is left as it was, so nothing is lost.
	if _, ok := out["spec"].(map[string]any)["broken"].(map[string]any); !ok {
		t.Error("failed placeholder was replaced")
	}
}

func TestResolveTarget(t *testing.T) {
	for _, c := range [][3]string{
		{"/a/b/catalog-info.yaml", "./c.yaml", "/a/b/c.yaml"},
		{"/a/b/catalog-info.yaml", "../c.yaml", "/a/c.yaml"},
		{"/a/b/", "c.yaml", "/a/b/c.yaml"},
		{"file:/a/b/catalog-info.yaml", "/x/y.yaml", "/x/y.yaml"},
		{"/a/b/catalog-info.yaml", "https://h/x.yaml", "https://h/x.yaml"},
		{"https://h/r/blob/main/catalog-info.yaml", "./apis/a.yaml", "https://h/r/blob/main/apis/a.yaml"},
		{"url:https://h/r/catalog-info.yaml", "../x.yaml", "https://h/x.yaml"},
		{"https://h/r/catalog-info.yaml", "url:https://o/y.yaml", "https://o/y.yaml"},
	} {
		got, err := ResolveTarget(c[0], c[1])
		if err != nil || got != c[2] {
			t.Errorf("ResolveTarget(%q, %q) = %q, %v; want %q", c[0], c[1], got, err, c[2])
		}
	}
	for _, bad := range []string{"", "ftp://h/x", "javascript://x"} {
		if _, err := ResolveTarget("/a/b.yaml", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
