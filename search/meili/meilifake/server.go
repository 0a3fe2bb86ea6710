// Package meilifake is a local HTTP server that follows Meilisearch's
// documented API (v1) closely enough for meilisearch-go and Portico's
// search/meili backend: indexes, settings, documents (add, replace, delete by
// id, batch or filter), asynchronous tasks (enqueued → processing →
// succeeded/failed, polled through /tasks), search with filter expressions,
// facets, typo tolerance, prefix matching, ranking rules and both paging
// modes, and errors shaped like Meilisearch's {message, code, type, link}.
//
// It is a test double for CI machines where no Meilisearch binary can be
// installed; the same conformance suite runs against a real server when one
// is configured. It imports only search (for tokenizing and typo rules) and
// the standard library; it must never import a Portico backend.
package meilifake

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure the fake.
type Options struct {
	// Key, when set, is the master key every request must carry as a Bearer token.
	Key string
	// TaskDelay is how long each task stays enqueued, then processing (0 = none).
	TaskDelay time.Duration
}

// Server is the fake Meilisearch.
type Server struct {
	opts Options

	mu      sync.Mutex
	indexes map[string]*index
	tasks   []*task
	queue   chan *task
	down    bool

	ln   net.Listener
	http *http.Server
	done chan struct{}
}

type index struct {
	uid        string
	primaryKey string
	createdAt  time.Time
	updatedAt  time.Time
	settings   settings
	docs       map[string]map[string]any
	order      []string // insertion order of ids (internal ids)
}

type task struct {
	UID        int64          `json:"uid"`
	IndexUID   *string        `json:"indexUid"`
	Status     string         `json:"status"`
	Type       string         `json:"type"`
	Details    map[string]any `json:"details,omitempty"`
	Error      *apiError      `json:"error"`
	Duration   *string        `json:"duration"`
	EnqueuedAt time.Time      `json:"enqueuedAt"`
	StartedAt  *time.Time     `json:"startedAt"`
	FinishedAt *time.Time     `json:"finishedAt"`

	run func() *apiError `json:"-"`
}

// apiError is Meilisearch's error body.
type apiError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Type    string `json:"type"`
	Link    string `json:"link"`
	status  int
}

func newErr(status int, code, typ, format string, args ...any) *apiError {
	return &apiError{Message: fmt.Sprintf(format, args...), Code: code, Type: typ,
		Link: "https://docs.meilisearch.com/errors#" + code, status: status}
}

func invalidRequest(code, format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, code, "invalid_request", format, args...)
}

// New returns a stopped server; call Start or use it as an http.Handler.
func New(o Options) *Server {
	s := &Server{opts: o, indexes: map[string]*index{}, queue: make(chan *task, 1<<16), done: make(chan struct{})}
	go s.worker()
	return s
}

// Start listens on addr ("127.0.0.1:0" for any port) and serves until Close.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("meilifake: listen %s: %w", addr, err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }()
	return nil
}

// URL is the server's base URL once started.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops serving and the task worker.
func (s *Server) Close() error {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	if s.http != nil {
		return s.http.Close()
	}
	return nil
}

// SetDown simulates an outage: while down every request fails with 503
// (as a proxy in front of a restarting Meilisearch answers); data is kept.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// worker runs tasks in order, one at a time, like Meilisearch's scheduler.
func (s *Server) worker() {
	for {
		select {
		case <-s.done:
			return
		case t := <-s.queue:
			if d := s.opts.TaskDelay; d > 0 {
				time.Sleep(d)
			}
			s.mu.Lock()
			now := time.Now().UTC()
			t.Status, t.StartedAt = "processing", &now
			s.mu.Unlock()
			if d := s.opts.TaskDelay; d > 0 {
				time.Sleep(d)
			}
			s.mu.Lock()
			err := t.run()
			end := time.Now().UTC()
			dur := fmt.Sprintf("PT%.6fS", end.Sub(now).Seconds())
			t.FinishedAt, t.Duration = &end, &dur
			if err != nil {
				t.Status, t.Error = "failed", err
			} else {
				t.Status = "succeeded"
			}
			s.mu.Unlock()
		}
	}
}

// enqueue registers a task (s.mu held) and answers 202 with its summary.
func (s *Server) enqueue(w http.ResponseWriter, indexUID, typ string, details map[string]any, run func() *apiError) {
	t := &task{UID: int64(len(s.tasks)), Status: "enqueued", Type: typ, Details: details, EnqueuedAt: time.Now().UTC(), run: run}
	if indexUID != "" {
		u := indexUID
		t.IndexUID = &u
	}
	s.tasks = append(s.tasks, t)
	s.queue <- t
	writeJSON(w, http.StatusAccepted, map[string]any{"taskUid": t.UID, "indexUid": t.IndexUID, "status": t.Status, "type": t.Type, "enqueuedAt": t.EnqueuedAt})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, e *apiError) { writeJSON(w, e.status, e) }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down {
		writeErr(w, newErr(http.StatusServiceUnavailable, "unavailable", "system", "Meilisearch is restarting"))
		return
	}
	if s.opts.Key != "" && r.URL.Path != "/health" {
		auth := r.Header.Get("Authorization")
		switch {
		case auth == "":
			writeErr(w, newErr(http.StatusUnauthorized, "missing_authorization_header", "auth", "The Authorization header is missing. It must use the bearer authorization method."))
			return
		case auth != "Bearer "+s.opts.Key:
			writeErr(w, newErr(http.StatusForbidden, "invalid_api_key", "auth", "The provided API key is invalid."))
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	s.route(w, r, parts)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, p []string) {
	m := r.Method
	switch {
	case len(p) == 1 && p[0] == "health" && m == http.MethodGet:
		writeJSON(w, 200, map[string]string{"status": "available"})
	case len(p) == 1 && p[0] == "version" && m == http.MethodGet:
		writeJSON(w, 200, map[string]string{"pkgVersion": "1.12.0-portico-fake", "commitSha": "fake", "commitDate": "2026-01-01T00:00:00Z"})
	case len(p) == 1 && p[0] == "tasks" && m == http.MethodGet:
		s.listTasks(w, r)
	case len(p) == 2 && p[0] == "tasks" && m == http.MethodGet:
		s.getTask(w, p[1])
	case len(p) == 1 && p[0] == "indexes" && m == http.MethodPost:
		s.createIndex(w, r)
	case len(p) == 1 && p[0] == "indexes" && m == http.MethodGet:
		s.listIndexes(w)
	case len(p) == 2 && p[0] == "indexes":
		switch m {
		case http.MethodGet:
			s.getIndex(w, p[1])
		case http.MethodDelete:
			s.deleteIndex(w, p[1])
		default:
			s.notAllowed(w)
		}
	case len(p) == 3 && p[0] == "indexes" && p[2] == "settings":
		switch m {
		case http.MethodGet:
			s.getSettings(w, p[1])
		case http.MethodPatch:
			s.updateSettings(w, r, p[1])
		case http.MethodDelete:
			s.resetSettings(w, p[1])
		default:
			s.notAllowed(w)
		}
	case len(p) == 3 && p[0] == "indexes" && p[2] == "stats" && m == http.MethodGet:
		s.stats(w, p[1])
	case len(p) == 3 && p[0] == "indexes" && p[2] == "search" && (m == http.MethodPost || m == http.MethodGet):
		s.search(w, r, p[1])
	case len(p) == 3 && p[0] == "indexes" && p[2] == "documents":
		switch m {
		case http.MethodPost, http.MethodPut:
			s.addDocuments(w, r, p[1], m == http.MethodPut)
		case http.MethodDelete:
			s.deleteAll(w, p[1])
		case http.MethodGet:
			s.listDocuments(w, r, p[1])
		default:
			s.notAllowed(w)
		}
	case len(p) == 4 && p[0] == "indexes" && p[2] == "documents" && p[3] == "delete-batch" && m == http.MethodPost:
		s.deleteBatch(w, r, p[1])
	case len(p) == 4 && p[0] == "indexes" && p[2] == "documents" && p[3] == "delete" && m == http.MethodPost:
		s.deleteByFilter(w, r, p[1])
	case len(p) == 4 && p[0] == "indexes" && p[2] == "documents":
		switch m {
		case http.MethodGet:
			s.getDocument(w, p[1], p[3])
		case http.MethodDelete:
			s.deleteBatchIDs(w, p[1], []string{p[3]}, "documentDeletion")
		default:
			s.notAllowed(w)
		}
	default:
		writeErr(w, newErr(http.StatusNotFound, "not_found", "invalid_request", "Route `%s %s` not found (meilifake implements a subset of the API).", m, r.URL.Path))
	}
}

func (s *Server) notAllowed(w http.ResponseWriter) {
	writeErr(w, newErr(http.StatusMethodNotAllowed, "method_not_allowed", "invalid_request", "Method not allowed."))
}

func indexNotFound(uid string) *apiError {
	return newErr(http.StatusNotFound, "index_not_found", "invalid_request", "Index `%s` not found.", uid)
}

// indexOr404 is the index uid names, or nil once index_not_found is
// written (s.mu held).
func (s *Server) indexOr404(w http.ResponseWriter, uid string) *index {
	ix, ok := s.indexes[uid]
	if !ok {
		writeErr(w, indexNotFound(uid))
		return nil
	}
	return ix
}

func validUID(uid string) bool {
	if uid == "" || len(uid) > 400 {
		return false
	}
	for _, r := range uid {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func decode(r *http.Request, v any) *apiError {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return invalidRequest("bad_request", "The request body is not valid JSON: %v", err)
	}
	return nil
}

func (s *Server) createIndex(w http.ResponseWriter, r *http.Request) {
	var body struct {
		UID        string  `json:"uid"`
		PrimaryKey *string `json:"primaryKey"`
	}
	if e := decode(r, &body); e != nil {
		writeErr(w, e)
		return
	}
	if !validUID(body.UID) {
		writeErr(w, invalidRequest("invalid_index_uid", "`%s` is not a valid index uid. Index uid can be an integer or a string containing only alphanumeric characters, hyphens (-) and underscores (_).", body.UID))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueue(w, body.UID, "indexCreation", map[string]any{"primaryKey": body.PrimaryKey}, func() *apiError {
		if _, ok := s.indexes[body.UID]; ok {
			return newErr(http.StatusConflict, "index_already_exists", "invalid_request", "Index `%s` already exists.", body.UID)
		}
		ix := newIndex(body.UID)
		if body.PrimaryKey != nil {
			ix.primaryKey = *body.PrimaryKey
		}
		s.indexes[body.UID] = ix
		return nil
	})
}

func newIndex(uid string) *index {
	now := time.Now().UTC()
	return &index{uid: uid, createdAt: now, updatedAt: now, settings: defaultSettings(), docs: map[string]map[string]any{}}
}

func (ix *index) view() map[string]any {
	var pk any
	if ix.primaryKey != "" {
		pk = ix.primaryKey
	}
	return map[string]any{"uid": ix.uid, "primaryKey": pk, "createdAt": ix.createdAt, "updatedAt": ix.updatedAt}
}

func (s *Server) listIndexes(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uids := make([]string, 0, len(s.indexes))
	for u := range s.indexes {
		uids = append(uids, u)
	}
	sort.Strings(uids)
	res := make([]map[string]any, 0, len(uids))
	for _, u := range uids {
		res = append(res, s.indexes[u].view())
	}
	writeJSON(w, 200, map[string]any{"results": res, "offset": 0, "limit": 20, "total": len(res)})
}

func (s *Server) getIndex(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	writeJSON(w, 200, ix.view())
}

func (s *Server) deleteIndex(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueue(w, uid, "indexDeletion", map[string]any{"deletedDocuments": 0}, func() *apiError {
		if _, ok := s.indexes[uid]; !ok {
			return indexNotFound(uid)
		}
		delete(s.indexes, uid)
		return nil
	})
}

func (s *Server) getTask(w http.ResponseWriter, id string) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		writeErr(w, invalidRequest("invalid_task_uid", "Invalid value in parameter `taskUid`: could not parse `%s` as a positive integer", id))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 || n >= int64(len(s.tasks)) {
		writeErr(w, newErr(http.StatusNotFound, "task_not_found", "invalid_request", "Task `%d` not found.", n))
		return
	}
	writeJSON(w, 200, s.tasks[n])
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = n
		}
	}
	statuses := map[string]bool{}
	for _, v := range strings.Split(q.Get("statuses"), ",") {
		if v != "" {
			statuses[v] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*task
	for i := len(s.tasks) - 1; i >= 0 && len(out) < limit; i-- {
		if len(statuses) == 0 || statuses[s.tasks[i].Status] {
			out = append(out, s.tasks[i])
		}
	}
	if out == nil {
		out = []*task{}
	}
	writeJSON(w, 200, map[string]any{"results": out, "limit": limit, "from": len(s.tasks) - 1, "next": nil, "total": len(s.tasks)})
}

func (s *Server) stats(w http.ResponseWriter, uid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	fd := map[string]int{}
	for _, d := range ix.docs {
		for k := range d {
			fd[k]++
		}
	}
	indexing := false
	for _, t := range s.tasks {
		if t.IndexUID != nil && *t.IndexUID == uid && (t.Status == "enqueued" || t.Status == "processing") {
			indexing = true
		}
	}
	writeJSON(w, 200, map[string]any{"numberOfDocuments": len(ix.docs), "isIndexing": indexing, "fieldDistribution": fd})
}
