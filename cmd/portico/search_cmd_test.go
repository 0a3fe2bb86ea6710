package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/search/meili/meilifake"
)

// searchFor polls /api/search/query until it answers with at least one
// result (the index is filled in the background from the outbox).
func searchFor(t *testing.T, base, query string, logs *bytes.Buffer) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/api/search/query?" + query)
		if err == nil {
			var body map[string]any
			derr := json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if derr == nil && resp.StatusCode == 200 {
				if rs, _ := body["results"].([]any); len(rs) > 0 {
					return body
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no search results for %s: %v\n%s", query, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func serveForSearch(t *testing.T) (cfg string, stop func(), base string, logs *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	writeTestFile(t, dir, "catalog/one.yaml", goodComponent)
	cfg = writeTestFile(t, dir, "portico.yaml",
		"server:\n  data: ./data\ncatalog:\n  processingInterval: false\n  locations:\n    - type: file\n      target: catalog/one.yaml\n"+
			"auth:\n  guest: {enabled: true, role: admin}\n") // requests without credentials run as the guest
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs = &bytes.Buffer{}
	go func() { done <- serve(ctx, cfg, addr, "", slog.New(slog.NewTextHandler(logs, nil))) }()
	return cfg, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}, "http://" + addr, logs
}

// TestServeSearchAndReindex: serve indexes the catalog into the embedded
// index and answers /api/search/query; after it stops, `search reindex`
// rebuilds the index.
func TestServeSearchAndReindex(t *testing.T) {
	cfg, stop, base, logs := serveForSearch(t)
	body := searchFor(t, base, "term=sv&types%5B0%5D=software-catalog", logs)
	doc := body["results"].([]any)[0].(map[string]any)["document"].(map[string]any)
	if doc["location"] != "/catalog/default/component/svc" || doc["owner"] != "team-a" {
		t.Fatalf("first result = %v", doc)
	}
	stop()

	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"search", "reindex", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("search reindex: code %d\n%s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "indexed ") || !strings.Contains(out.String(), "bleve") || !strings.Contains(errb.String(), "reindex [") {
		t.Fatalf("reindex output: %q / %q", out.String(), errb.String())
	}
	if code := dispatch(context.Background(), []string{"search", "reindex", "extra"}, &out, &errb); code != 2 {
		t.Fatalf("bad usage: code %d", code)
	}
}

// TestServeSearchMeilisearch: with search.meilisearch.url (here from the
// environment) serve uses Meilisearch (the fake, through the real client).
func TestServeSearchMeilisearch(t *testing.T) {
	fake := meilifake.New(meilifake.Options{Key: "k"})
	if err := fake.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	t.Setenv("PORTICO_SEARCH_MEILISEARCH_URL", fake.URL())
	t.Setenv("PORTICO_SEARCH_MEILISEARCH_KEY", "k")
	_, stop, base, logs := serveForSearch(t)
	defer stop()
	searchFor(t, base, "term=svc&filters%5Bkind%5D=Component", logs)
	if !strings.Contains(logs.String(), "meilisearch") {
		t.Fatalf("logs do not mention meilisearch:\n%s", logs.String())
	}
}
