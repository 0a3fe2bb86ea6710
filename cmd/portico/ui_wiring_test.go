package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServePortalSearchPage: serve hands its search index to the portal, so
// /search answers from it and the header box on every page goes there.
func TestServePortalSearchPage(t *testing.T) {
	_, stop, base, logs := serveForSearch(t)
	defer stop()
	searchFor(t, base, "term=sv", logs) // the index has the catalog
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, body := get("/search?term=sv")
		if st == 200 && strings.Contains(body, `<a class="result-link" href="/catalog/default/component/svc">`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/search: %d %.500s\n%s", st, body, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, body := get("/catalog"); !strings.Contains(body, `<form class="search" role="search" action="/search" method="get">`) {
		t.Fatalf("the header search box does not go to /search: %.600s", body)
	}
}
