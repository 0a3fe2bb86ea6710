package meilifake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func call(t *testing.T, s *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if s.opts.Key != "" {
		req.Header.Set("Authorization", "Bearer "+s.opts.Key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func start(t *testing.T, o Options) *Server {
	s := New(o)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitTask polls a task like the client does and returns its final state,
// recording every status seen.
func waitTask(t *testing.T, s *Server, resp map[string]any) (map[string]any, []string) {
	t.Helper()
	id := int(resp["taskUid"].(float64))
	var seen []string
	for i := 0; i < 2000; i++ {
		_, task := call(t, s, "GET", "/tasks/"+itoa(id), "")
		st := task["status"].(string)
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		if st == "succeeded" || st == "failed" {
			return task, seen
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("task %d never finished: %v", id, seen)
	return nil, nil
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestTasksLifecycleAndErrors(t *testing.T) {
	s := start(t, Options{Key: "secret", TaskDelay: 20 * time.Millisecond})
	code, resp := call(t, s, "POST", "/indexes", `{"uid":"movies","primaryKey":"id"}`)
	if code != 202 || resp["status"] != "enqueued" || resp["type"] != "indexCreation" {
		t.Fatalf("create index: %d %v", code, resp)
	}
	task, seen := waitTask(t, s, resp)
	if strings.Join(seen, ">") != "enqueued>processing>succeeded" || task["finishedAt"] == nil || task["duration"] == nil {
		t.Fatalf("lifecycle %v, task %v", seen, task)
	}
	// A second creation fails in its task with Meilisearch's error shape.
	_, resp = call(t, s, "POST", "/indexes", `{"uid":"movies"}`)
	task, _ = waitTask(t, s, resp)
	e := task["error"].(map[string]any)
	if task["status"] != "failed" || e["code"] != "index_already_exists" || e["type"] != "invalid_request" ||
		e["link"] != "https://docs.meilisearch.com/errors#index_already_exists" || e["message"] == "" {
		t.Fatalf("failed task = %v", task)
	}
	// Synchronous errors.
	code, body := call(t, s, "GET", "/indexes/nope", "")
	if code != 404 || body["code"] != "index_not_found" || body["link"] == nil {
		t.Fatalf("missing index: %d %v", code, body)
	}
	req, _ := http.NewRequest("GET", s.URL()+"/indexes", nil)
	r, _ := http.DefaultClient.Do(req)
	r.Body.Close()
	if r.StatusCode != 401 {
		t.Fatalf("no key: %d", r.StatusCode)
	}
	// An invalid document id fails the whole batch; nothing is added.
	_, resp = call(t, s, "POST", "/indexes/movies/documents", `[{"id":"ok"},{"id":"not ok!"}]`)
	task, _ = waitTask(t, s, resp)
	if task["status"] != "failed" || task["error"].(map[string]any)["code"] != "invalid_document_id" {
		t.Fatalf("bad id: %v", task)
	}
	_, stats := call(t, s, "GET", "/indexes/movies/stats", "")
	if stats["numberOfDocuments"].(float64) != 0 {
		t.Fatalf("a failed task changed the index: %v", stats)
	}
}

func TestSearchFiltersFacetsPaging(t *testing.T) {
	s := start(t, Options{})
	docs := `[{"id":1,"title":"Alien","genre":["horror","sci-fi"],"year":1979},
	{"id":2,"title":"Aliens","genre":["action","sci-fi"],"year":1986},
	{"id":3,"title":"Heat","genre":["crime"],"year":1995},
	{"id":4,"title":"Amélie","genre":["comedy"],"year":2001,"note":null}]`
	_, resp := call(t, s, "POST", "/indexes/movies/documents", docs)
	waitTask(t, s, resp)
	_, resp = call(t, s, "PATCH", "/indexes/movies/settings", `{"filterableAttributes":["genre","year","note"],"searchableAttributes":["title"]}`)
	waitTask(t, s, resp)
	hits := func(body map[string]any) []string {
		var out []string
		for _, h := range body["hits"].([]any) {
			out = append(out, h.(map[string]any)["title"].(string))
		}
		return out
	}
	for filter, want := range map[string]string{
		`genre = "sci-fi"`:                                      "Alien,Aliens",
		`genre = SCI-FI AND year > 1980`:                        "Aliens",
		`genre IN [crime, comedy]`:                              "Heat,Amélie",
		`NOT genre IN ["sci-fi"]`:                               "Heat,Amélie",
		`year 1980 TO 2000`:                                     "Aliens,Heat",
		`note EXISTS`:                                           "Amélie",
		`note IS NULL OR (genre = crime)`:                       "Heat,Amélie",
		`genre != horror AND NOT (year >= 2000)`:                "Aliens,Heat",
		`(genre = "horror" OR genre = "crime") AND year < 1990`: "Alien",
	} {
		b, _ := json.Marshal(map[string]any{"q": "", "filter": filter})
		code, body := call(t, s, "POST", "/indexes/movies/search", string(b))
		if code != 200 || strings.Join(hits(body), ",") != want {
			t.Errorf("filter %s: %d %v, want %s", filter, code, body["hits"], want)
		}
	}
	// Array form: outer AND, inner OR.
	_, body := call(t, s, "POST", "/indexes/movies/search", `{"q":"","filter":[["genre = crime","genre = horror"],"year < 1990"]}`)
	if strings.Join(hits(body), ",") != "Alien" {
		t.Errorf("array filter: %v", hits(body))
	}
	for _, bad := range []string{`title = Alien`, `genre = `, `genre IN [a`, `(genre = a`, `genre = a b`} {
		b, _ := json.Marshal(map[string]any{"q": "", "filter": bad})
		code, body := call(t, s, "POST", "/indexes/movies/search", string(b))
		if code != 400 || body["code"] != "invalid_search_filter" {
			t.Errorf("filter %q: %d %v, want invalid_search_filter", bad, code, body)
		}
	}
	// Typos and prefixes on the searchable title; facets over all matches; page mode totals.
	_, body = call(t, s, "POST", "/indexes/movies/search", `{"q":"alein","facets":["genre"],"hitsPerPage":1,"page":2}`)
	if body["totalHits"].(float64) != 2 || body["totalPages"].(float64) != 2 || len(hits(body)) != 1 {
		t.Fatalf("page mode: %v", body)
	}
	fd := body["facetDistribution"].(map[string]any)["genre"].(map[string]any)
	if fd["sci-fi"].(float64) != 2 || fd["horror"].(float64) != 1 {
		t.Fatalf("facets: %v", fd)
	}
	_, body = call(t, s, "POST", "/indexes/movies/search", `{"q":"ali","limit":1}`)
	if body["estimatedTotalHits"].(float64) != 2 || hits(body)[0] != "Alien" {
		t.Fatalf("prefix / offset mode: %v", body)
	}
	code, body := call(t, s, "POST", "/indexes/movies/search", `{"q":"x","facets":["title"]}`)
	if code != 400 || body["code"] != "invalid_search_facets" {
		t.Fatalf("facet on a non-filterable attribute: %d %v", code, body)
	}
	code, body = call(t, s, "POST", "/indexes/movies/search", `{"q":"x","bogus":1}`)
	if code != 400 || body["code"] != "bad_request" {
		t.Fatalf("unknown field: %d %v", code, body)
	}
	// Delete by filter.
	_, resp = call(t, s, "POST", "/indexes/movies/documents/delete", `{"filter":"genre = sci-fi"}`)
	if task, _ := waitTask(t, s, resp); task["details"].(map[string]any)["deletedDocuments"].(float64) != 2 {
		t.Fatalf("delete by filter: %v", task)
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode([]string{"3"})
	_, resp = call(t, s, "POST", "/indexes/movies/documents/delete-batch", buf.String())
	waitTask(t, s, resp)
	if _, st := call(t, s, "GET", "/indexes/movies/stats", ""); st["numberOfDocuments"].(float64) != 1 {
		t.Fatalf("after deletes: %v", st)
	}
}
