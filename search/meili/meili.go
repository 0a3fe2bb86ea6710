// Package meili is the Meilisearch search.Index, through meilisearch-go. It
// owns the index settings (searchable, filterable and sortable attributes,
// typo tolerance, ranking rules), the document shape stored in Meilisearch,
// the translation of conditions into Meilisearch filter expressions, task
// waiting and the retries that let Portico ride out a Meilisearch restart.
//
// It imports only search and catalog; it must never import web, a catalog
// store or another backend.
package meili

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	ms "github.com/meilisearch/meilisearch-go"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/search"
)

// Options configure the index.
type Options struct {
	URL   string
	Key   string // API key ("" when the server has none)
	Index string // index uid
	// RetryFor bounds how long one operation retries while Meilisearch is
	// unreachable (default 15s); the outbox sync retries beyond that.
	RetryFor time.Duration
	// PollInterval is the task polling period (default 25ms).
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Index is a Meilisearch index.
type Index struct {
	opts Options
	sm   ms.ServiceManager
	log  *slog.Logger

	mu      sync.Mutex
	ready   bool      // the index exists with our settings
	created time.Time // createdAt of the index we configured
}

var _ search.Index = (*Index)(nil)

// Open returns the index. It does not need Meilisearch to be up: the index
// and its settings are created on first use, and again after Meilisearch
// lost them.
func Open(ctx context.Context, o Options) (*Index, error) {
	if o.URL == "" {
		return nil, catalog.Inputf("meilisearch: url is required")
	}
	if o.Index == "" {
		return nil, catalog.Inputf("meilisearch: index uid is required")
	}
	if o.RetryFor <= 0 {
		o.RetryFor = 15 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 25 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var copts []ms.Option
	if o.Key != "" {
		copts = append(copts, ms.WithAPIKey(o.Key))
	}
	// The client's own retries resend an already consumed body; Portico
	// retries whole operations itself (do).
	copts = append(copts, ms.DisableRetries())
	x := &Index{opts: o, sm: ms.New(o.URL, copts...), log: o.Logger}
	return x, nil
}

// Describe implements search.Index.
func (x *Index) Describe() string { return "meilisearch " + x.opts.URL + " index " + x.opts.Index }

// Close implements search.Index.
func (x *Index) Close() error { x.sm.Close(); return nil }

// Settings is what Portico configures on its index.
func Settings() *ms.Settings {
	filterable := []string{"f_has"}
	for _, f := range search.FilterFields {
		filterable = append(filterable, "f_"+f)
	}
	return &ms.Settings{
		SearchableAttributes: []string{"name", "title", "text", "keywords"},
		FilterableAttributes: filterable,
		SortableAttributes:   []string{"title", "name"},
		DisplayedAttributes:  []string{"*"},
		// Exact matches (a whole name equal to the term) before the attribute order.
		RankingRules: []string{"words", "typo", "proximity", "exactness", "attribute", "sort"},
		TypoTolerance: &ms.TypoTolerance{Enabled: true,
			MinWordSizeForTypos: ms.MinWordSizeForTypos{OneTypo: 5, TwoTypos: 9},
			DisableOnWords:      []string{}, DisableOnAttributes: []string{}},
		Pagination: &ms.Pagination{MaxTotalHits: 100000},
	}
}

// apiError returns Meilisearch's error code when err carries one.
func apiError(err error) (code string, status int, ok bool) {
	var me *ms.Error
	if errors.As(err, &me) {
		return me.MeilisearchApiError.Code, me.StatusCode, true
	}
	return "", 0, false
}

// transient reports errors a retry may fix: no response or a 5xx.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	code, status, ok := apiError(err)
	if !ok {
		return true
	}
	return code == "" && (status == 0 || status >= 500) || status >= 500 || status == 0
}

// do runs op, retrying transient failures with exponential backoff for at
// most RetryFor, and (re)creating the index when Meilisearch lost it.
func (x *Index) do(ctx context.Context, what string, op func() error) error {
	deadline := time.Now().Add(x.opts.RetryFor)
	backoff := 50 * time.Millisecond
	resettled := false
	for {
		err := x.ensure(ctx)
		if err == nil {
			err = op()
		}
		if err == nil {
			return nil
		}
		code, _, _ := apiError(err)
		// The index vanished (a Meilisearch restarted without its data), or
		// was re-created by a document addition without our settings.
		if (code == "index_not_found" || code == "invalid_search_filter" || code == "invalid_search_facets") && !resettled {
			resettled = true
			x.mu.Lock()
			x.ready = false
			x.mu.Unlock()
			continue
		}
		if !transient(err) {
			return fmt.Errorf("meilisearch %s: %w", what, err)
		}
		if time.Now().Add(backoff).After(deadline) {
			return fmt.Errorf("meilisearch %s: %w: %w", what, search.ErrUnavailable, err)
		}
		x.log.Warn("meilisearch unavailable; retrying", "op", what, "err", err, "retry_in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// ensure creates the index and applies Settings once per process (and after
// Meilisearch lost the index).
func (x *Index) ensure(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.ready {
		return nil
	}
	info, err := x.sm.GetIndexWithContext(ctx, x.opts.Index)
	if code, _, _ := apiError(err); code == "index_not_found" {
		ti, cerr := x.sm.CreateIndexWithContext(ctx, &ms.IndexConfig{Uid: x.opts.Index, PrimaryKey: "id"})
		if cerr != nil {
			return cerr
		}
		if werr := x.wait(ctx, ti); werr != nil {
			if c, _, _ := apiError(werr); c != "index_already_exists" {
				return werr
			}
		}
	} else if err != nil {
		return err
	}
	ti, err := x.sm.Index(x.opts.Index).UpdateSettingsWithContext(ctx, Settings())
	if err != nil {
		return err
	}
	if err := x.wait(ctx, ti); err != nil {
		return err
	}
	if info == nil {
		if info, err = x.sm.GetIndexWithContext(ctx, x.opts.Index); err != nil {
			return err
		}
	}
	if x.created.IsZero() {
		x.created = info.CreatedAt
	}
	x.ready = true
	x.log.Info("meilisearch index ready", "url", x.opts.URL, "index", x.opts.Index)
	return nil
}

// taskError is a task that ended failed or canceled.
type taskError struct {
	uid    int64
	status ms.TaskStatus
	code   string
	msg    string
}

func (e *taskError) Error() string {
	return fmt.Sprintf("task %d %s: %s (%s)", e.uid, e.status, e.msg, e.code)
}

// wait polls a task until it succeeded; a failed task is an error.
func (x *Index) wait(ctx context.Context, ti *ms.TaskInfo) error {
	t, err := x.sm.WaitForTaskWithContext(ctx, ti.TaskUID, x.opts.PollInterval)
	if err != nil {
		return err
	}
	if t.Status != ms.TaskStatusSucceeded {
		return &taskError{uid: ti.TaskUID, status: t.Status, code: t.Error.Code, msg: t.Error.Message}
	}
	return nil
}

// stored is a document as Meilisearch holds it.
func stored(d search.Document) (map[string]any, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["id"] = search.HashKey(d.Key)
	fv := search.FilterValues(d)
	has := make([]string, 0, len(fv))
	for f, vs := range fv {
		m["f_"+f] = vs
		has = append(has, f)
	}
	sort.Strings(has)
	m["f_has"] = has
	return m, nil
}

// Upsert implements search.Index.
func (x *Index) Upsert(ctx context.Context, docs []search.Document) error {
	const chunk = 1000
	for start := 0; start < len(docs); start += chunk {
		part := docs[start:min(start+chunk, len(docs))]
		body := make([]map[string]any, 0, len(part))
		for _, d := range part {
			if d.Key == "" {
				return catalog.Inputf("search document without a key (title %q)", d.Title)
			}
			m, err := stored(d)
			if err != nil {
				return fmt.Errorf("meilisearch: encode %s: %w", d.Key, err)
			}
			body = append(body, m)
		}
		pk := "id"
		err := x.do(ctx, "add documents", func() error {
			ti, err := x.sm.Index(x.opts.Index).AddDocumentsWithContext(ctx, body, &ms.DocumentOptions{PrimaryKey: &pk})
			if err != nil {
				return err
			}
			return x.wait(ctx, ti)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Delete implements search.Index.
func (x *Index) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = search.HashKey(k)
	}
	return x.do(ctx, "delete documents", func() error {
		ti, err := x.sm.Index(x.opts.Index).DeleteDocumentsWithContext(ctx, ids, nil)
		if err != nil {
			return err
		}
		return x.wait(ctx, ti)
	})
}

// DeleteType implements search.Index.
func (x *Index) DeleteType(ctx context.Context, docType string) error {
	f := filterOf(search.Cond{Field: search.FieldDocType, Op: search.CondIn, Values: []string{strings.ToLower(docType)}})
	return x.do(ctx, "delete documents by type", func() error {
		ti, err := x.sm.Index(x.opts.Index).DeleteDocumentsByFilterWithContext(ctx, f, nil)
		if err != nil {
			return err
		}
		return x.wait(ctx, ti)
	})
}

// Count implements search.Index.
func (x *Index) Count(ctx context.Context) (int, error) {
	var n int
	err := x.do(ctx, "stats", func() error {
		st, err := x.sm.Index(x.opts.Index).GetStatsWithContext(ctx, nil)
		if err != nil {
			return err
		}
		n = int(st.NumberOfDocuments)
		return nil
	})
	return n, err
}

// Search implements search.Index. Totals are exact (page mode).
func (x *Index) Search(ctx context.Context, q search.Query) (search.Result, error) {
	cond, err := search.QueryCond(q)
	if err != nil {
		return search.Result{}, err
	}
	limit := int64(search.ClampLimit(q.Limit))
	// Page mode gives exact totals; an offset off the page grid asks for
	// one larger first page and skips.
	per, page, skip := limit, int64(q.Offset)/limit+1, 0
	if int64(q.Offset)%limit != 0 {
		per, page, skip = int64(q.Offset)+limit, 1, q.Offset
	}
	req := &ms.SearchRequest{HitsPerPage: &per, Page: page, ShowRankingScore: true, MatchingStrategy: ms.All}
	if !cond.IsAll() {
		req.Filter = filterOf(cond)
	}
	for _, f := range q.Facets {
		req.Facets = append(req.Facets, "f_"+f)
	}
	var resp *ms.SearchResponse
	err = x.do(ctx, "search", func() error {
		var err error
		resp, err = x.sm.Index(x.opts.Index).SearchWithContext(ctx, strings.TrimSpace(q.Term), req)
		return err
	})
	if err != nil {
		return search.Result{}, err
	}
	out := search.Result{Total: int(resp.TotalHits)}
	for i, h := range resp.Hits {
		if i < skip {
			continue
		}
		var d search.Document
		if err := h.DecodeInto(&d); err != nil {
			return search.Result{}, fmt.Errorf("meilisearch: decode hit: %w", err)
		}
		var score float64
		if raw, ok := h["_rankingScore"]; ok {
			_ = json.Unmarshal(raw, &score)
		}
		out.Hits = append(out.Hits, search.Hit{Doc: d, Score: score})
	}
	if len(q.Facets) > 0 {
		dist := map[string]map[string]int{}
		if len(resp.FacetDistribution) > 0 {
			if err := json.Unmarshal(resp.FacetDistribution, &dist); err != nil {
				return search.Result{}, fmt.Errorf("meilisearch: decode facets: %w", err)
			}
		}
		out.Facets = map[string][]catalog.FacetCount{}
		for _, f := range q.Facets {
			counts := []catalog.FacetCount{}
			for v, n := range dist["f_"+f] {
				counts = append(counts, catalog.FacetCount{Value: v, Count: n})
			}
			sort.Slice(counts, func(i, j int) bool {
				if counts[i].Count != counts[j].Count {
					return counts[i].Count > counts[j].Count
				}
				return counts[i].Value < counts[j].Value
			})
			out.Facets[f] = counts
		}
	}
	return out, nil
}

// DropIndex deletes an index and waits (tests and operators).
func DropIndex(ctx context.Context, url, key, uid string) error {
	var opts []ms.Option
	if key != "" {
		opts = append(opts, ms.WithAPIKey(key))
	}
	sm := ms.New(url, opts...)
	defer sm.Close()
	ti, err := sm.DeleteIndexWithContext(ctx, uid)
	if err != nil {
		return fmt.Errorf("meilisearch: delete index %s: %w", uid, err)
	}
	if _, err := sm.WaitForTaskWithContext(ctx, ti.TaskUID, 25*time.Millisecond); err != nil {
		return fmt.Errorf("meilisearch: delete index %s: %w", uid, err)
	}
	return nil
}

// Verify implements search.Verifier: it reports lost when the index is gone
// or is not the one this process configured (Meilisearch restarted without
// its data, or a document addition re-created it); the index is then set
// up again, and the caller should reindex.
func (x *Index) Verify(ctx context.Context) (lost bool, err error) {
	info, err := x.sm.GetIndexWithContext(ctx, x.opts.Index)
	code, _, _ := apiError(err)
	switch {
	case code == "index_not_found":
		lost = true
	case err != nil:
		return false, fmt.Errorf("meilisearch verify: %w: %w", search.ErrUnavailable, err)
	default:
		x.mu.Lock()
		lost = !x.created.IsZero() && !info.CreatedAt.Equal(x.created)
		x.mu.Unlock()
	}
	if lost {
		x.mu.Lock()
		x.ready, x.created = false, time.Time{}
		x.mu.Unlock()
		if err := x.do(ctx, "re-create index", func() error { return nil }); err != nil {
			return true, err
		}
	}
	return lost, nil
}
