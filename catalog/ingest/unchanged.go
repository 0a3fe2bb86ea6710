package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"

	"github.com/portico-dev/portico/catalog"
)

// Skipping unchanged sources. A refresh re-reads every source of a location
// (that is how a change is noticed), but decoding and validating a source
// whose bytes did not change gives what is already stored: the engine
// remembers, per location, the digest of each source that processed
// cleanly, and the next refresh passes such a source to the store as kept
// (Apply.KeepSources) instead of parsing it. A source is only skipped when
//
//   - its bytes hash to the remembered digest and it is reached from the
//     same parent Location entity;
//   - it processed cleanly last time: no document or entity errors, no
//     conflicts, no kept-previous entities;
//   - it pulls in nothing else: no Location entities (whose targets must be
//     followed and checked themselves) and no $text/$json/$yaml placeholders
//     (whose targets may have changed);
//   - the store still holds exactly the number of entities it produced from
//     that source for this location (an entity deleted by uid, orphaned or
//     taken over makes it parse again).
//
// The memory is the engine's own, not stored: a restart (possibly with other
// rules or kinds) processes every source once, fully. A failed apply, an
// explicit refresh (POST /refresh), an update and a delete of the location
// forget it.

// sourceMemo is what is remembered of one cleanly processed source.
type sourceMemo struct {
	digest   [sha256.Size]byte
	parent   string
	entities int
}

// locationMemo is the memory of one location's last successful processing.
type locationMemo map[string]sourceMemo

func (e *Engine) memo(id string) locationMemo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.memos[id]
}

func (e *Engine) remember(id string, m locationMemo) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if m == nil {
		delete(e.memos, id)
		return
	}
	e.memos[id] = m
}

// forget drops what is remembered of a location: it is processed fully next.
func (e *Engine) forget(id string) { e.remember(id, nil) }

// storedCounts counts the stored entities of a root location by source key.
func (e *Engine) storedCounts(ctx context.Context, origin string) (map[string]int, error) {
	facet := "metadata.annotations." + catalog.AnnotationManagedByLocation
	f := catalog.Eq("metadata.annotations."+catalog.AnnotationManagedByOriginLocation, origin)
	fc, err := e.store.Facets(ctx, f, []string{facet})
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(fc[facet]))
	for _, c := range fc[facet] {
		out[c.Value] = c.Count
	}
	return out, nil
}

// pullsIn reports placeholders that read other sources.
func pullsIn(data []byte) bool {
	return bytes.Contains(data, []byte("$text")) || bytes.Contains(data, []byte("$json")) || bytes.Contains(data, []byte("$yaml"))
}

// unchanged reports whether a source read with these bytes can be skipped.
// It only reads walk state fixed before the walk starts, so fetches running
// ahead may call it.
func (w *walk) unchanged(key, parent string, data []byte) (sha [sha256.Size]byte, skip bool) {
	if w.next == nil {
		return sha, false
	}
	sha = sha256.Sum256(data)
	m, ok := w.prev[key]
	return sha, ok && m.digest == sha && m.parent == parent && w.counts[key] == m.entities
}
