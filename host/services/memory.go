package services

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/portico-dev/portico/catalog"
)

// Memory is an in-process implementation of every service, for tests, the
// plugin test harness and `portico plugin run`. It applies no permissions:
// every caller sees every entity.
type Memory struct {
	mu       sync.Mutex
	entities map[string]json.RawMessage // canonical ref → entity
	kv       map[string]map[string][]byte
	config   map[string]json.RawMessage
	secrets  map[string]map[string]string
}

// NewMemory returns empty in-memory services.
func NewMemory() *Memory {
	return &Memory{
		entities: map[string]json.RawMessage{},
		kv:       map[string]map[string][]byte{},
		config:   map[string]json.RawMessage{},
		secrets:  map[string]map[string]string{},
	}
}

// Set returns a Set whose every member is m.
func (m *Memory) Set() Set {
	return Set{Catalog: m, Search: m, KV: m, Config: m, Secrets: m}
}

// AddEntity stores an entity document (Backstage envelope).
func (m *Memory) AddEntity(doc json.RawMessage) error {
	var e catalog.Entity
	if err := json.Unmarshal(doc, &e); err != nil {
		return fmt.Errorf("add entity: %w", err)
	}
	if e.Kind == "" || e.Metadata.Name == "" {
		return fmt.Errorf("add entity: kind and metadata.name are required")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entities[e.Ref().String()] = append(json.RawMessage(nil), doc...)
	return nil
}

// SetConfig sets one plugin's config object.
func (m *Memory) SetConfig(plugin string, cfg json.RawMessage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.config[plugin] = cfg
}

// SetSecret sets one plugin's secret.
func (m *Memory) SetSecret(plugin, name, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.secrets[plugin] == nil {
		m.secrets[plugin] = map[string]string{}
	}
	m.secrets[plugin][name] = value
}

// Entity implements Catalog.
func (m *Memory) Entity(_ context.Context, _ Caller, ref string) (json.RawMessage, error) {
	r, err := catalog.ParseRef(ref, catalog.RefContext{DefaultNamespace: "default"})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	doc, ok := m.entities[r.String()]
	if !ok {
		return nil, catalog.NotFoundf("entity %s not found", r.String())
	}
	return doc, nil
}

// Query implements Catalog: filter by tokens, full text by substring, ordered
// by ref (Order is ignored), cursor = offset.
func (m *Memory) Query(_ context.Context, _ Caller, q CatalogQuery) (CatalogPage, error) {
	m.mu.Lock()
	refs := make([]string, 0, len(m.entities))
	for ref := range m.entities {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	var hits []json.RawMessage
	for _, ref := range refs {
		doc := m.entities[ref]
		ts := catalog.TokensJSON(doc)
		if !q.Filter.IsZero() && !q.Filter.MatchTokens(ts) {
			continue
		}
		if !q.FullText.MatchTokens(ts) {
			continue
		}
		hits = append(hits, doc)
	}
	m.mu.Unlock()
	start := 0
	if q.Cursor != "" {
		n, err := strconv.Atoi(q.Cursor)
		if err != nil || n < 0 {
			return CatalogPage{}, catalog.Inputf("invalid cursor %q", q.Cursor)
		}
		start = min(n, len(hits))
	}
	end := len(hits)
	if q.Limit > 0 && start+q.Limit < end {
		end = start + q.Limit
	}
	page := CatalogPage{Items: hits[start:end]}
	if end < len(hits) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

// Search implements Search over the catalog's full-text filter.
func (m *Memory) Search(ctx context.Context, as Caller, q SearchQuery) ([]SearchResult, error) {
	if !q.CatalogTypes() {
		return []SearchResult{}, nil // only catalog entities here
	}
	cq := CatalogQuery{FullText: &catalog.FullText{Term: q.Term}, Limit: q.Limit}
	if len(q.Kinds) > 0 {
		cq.Filter = catalog.Eq("kind", lowerAll(q.Kinds)...)
	}
	page, err := m.Query(ctx, as, cq)
	if err != nil {
		return nil, err
	}
	out := make([]SearchResult, 0, len(page.Items))
	for _, doc := range page.Items {
		var e catalog.Entity
		if err := json.Unmarshal(doc, &e); err != nil {
			continue
		}
		title := e.Metadata.Title
		if title == "" {
			title = e.Metadata.Name
		}
		out = append(out, SearchResult{Ref: e.Ref().String(), Kind: e.Kind, Title: title, Text: e.Metadata.Description})
	}
	return out, nil
}

func lowerAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

// KVGet implements KV.
func (m *Memory) KVGet(_ context.Context, ns, key string) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.kv[ns][key]
	return v, ok, nil
}

// KVSet implements KV.
func (m *Memory) KVSet(_ context.Context, ns, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.kv[ns] == nil {
		m.kv[ns] = map[string][]byte{}
	}
	m.kv[ns][key] = append([]byte(nil), value...)
	return nil
}

// KVDelete implements KV.
func (m *Memory) KVDelete(_ context.Context, ns, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.kv[ns], key)
	return nil
}

// KVList implements KV.
func (m *Memory) KVList(_ context.Context, ns, prefix string, limit int) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.kv[ns] {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	return keys, nil
}

// PluginConfig implements Config.
func (m *Memory) PluginConfig(_ context.Context, plugin string) (json.RawMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.config[plugin], nil
}

// PluginSecret implements Secrets.
func (m *Memory) PluginSecret(_ context.Context, plugin, name string) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.secrets[plugin][name]
	return v, ok, nil
}

var (
	_ Catalog = (*Memory)(nil)
	_ Search  = (*Memory)(nil)
	_ KV      = (*Memory)(nil)
	_ Config  = (*Memory)(nil)
	_ Secrets = (*Memory)(nil)
)
