package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// fetchChunk bounds the ids bound in one SELECT … IN (…).
const fetchChunk = 500

// fetch reads records by id, in the given order; missing ids are skipped.
func (s *Store) fetch(ctx context.Context, ids []uint32) ([]catalog.Record, error) {
	out := make([]catalog.Record, 0, len(ids))
	for start := 0; start < len(ids); start += fetchChunk {
		part := ids[start:min(start+fetchChunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = int64(id)
		}
		q := "SELECT id, uid, ref, location_id, final FROM entities WHERE id IN (?" + strings.Repeat(",?", len(part)-1) + ")"
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlite store: fetch entities: %w", err)
		}
		got := make(map[uint32]catalog.Record, len(part))
		for rows.Next() {
			var id int64
			var rec catalog.Record
			var final []byte
			if err := rows.Scan(&id, &rec.UID, &rec.Ref, &rec.LocationID, &final); err != nil {
				rows.Close()
				return nil, fmt.Errorf("sqlite store: fetch entities: %w", err)
			}
			rec.JSON = final
			got[uint32(id)] = rec
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlite store: fetch entities: %w", err)
		}
		for _, id := range part {
			if rec, ok := got[id]; ok {
				out = append(out, rec)
			}
		}
	}
	return out, nil
}

// allowed reports whether id passes f. Call under the index read lock.
func (s *Store) allowed(id uint32, f catalog.Filter) bool {
	if f.IsZero() {
		return true
	}
	return s.ix.Filter(f).Contains(id)
}

// EntityByRef returns one entity by ref, case-insensitively.
func (s *Store) EntityByRef(ctx context.Context, ref string, f catalog.Filter) (catalog.Record, error) {
	canon, err := canonicalRef(ref)
	if err != nil {
		return catalog.Record{}, err
	}
	s.ix.RLock()
	defer s.ix.RUnlock()
	id, ok := s.ix.Lookup(canon)
	if !ok || !s.allowed(id, f) {
		return catalog.Record{}, notFoundRef(canon)
	}
	recs, err := s.fetch(ctx, []uint32{id})
	if err != nil {
		return catalog.Record{}, err
	}
	if len(recs) == 0 {
		return catalog.Record{}, notFoundRef(canon)
	}
	return recs[0], nil
}

func canonicalRef(ref string) (string, error) {
	r, err := catalog.ParseRef(ref, catalog.RefContext{})
	if err != nil {
		return "", err
	}
	return r.String(), nil
}

func notFoundRef(canon string) error {
	r := catalog.MustParseRef(canon)
	return catalog.NotFoundf("No entity named '%s' found, with kind '%s' in namespace '%s'", r.Name, r.Kind, r.Namespace)
}

// EntityByUID returns one entity by uid.
func (s *Store) EntityByUID(ctx context.Context, uid string, f catalog.Filter) (catalog.Record, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, "SELECT id FROM entities WHERE uid = ?", uid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Record{}, catalog.NotFoundf("No entity with uid %s", uid)
	}
	if err != nil {
		return catalog.Record{}, fmt.Errorf("sqlite store: entity by uid: %w", err)
	}
	s.ix.RLock()
	defer s.ix.RUnlock()
	if !s.ix.All().Contains(uint32(id)) || !s.allowed(uint32(id), f) {
		return catalog.Record{}, catalog.NotFoundf("No entity with uid %s", uid)
	}
	recs, err := s.fetch(ctx, []uint32{uint32(id)})
	if err != nil {
		return catalog.Record{}, err
	}
	if len(recs) == 0 {
		return catalog.Record{}, catalog.NotFoundf("No entity with uid %s", uid)
	}
	return recs[0], nil
}

// EntitiesByRefs returns records in the order of refs, nil where missing or filtered out.
func (s *Store) EntitiesByRefs(ctx context.Context, refs []string, f catalog.Filter) ([]*catalog.Record, error) {
	out := make([]*catalog.Record, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	s.ix.RLock()
	defer s.ix.RUnlock()
	var match *roaring.Bitmap
	if !f.IsZero() {
		match = s.ix.Filter(f)
	}
	idx := make([]int, 0, len(refs))
	var ids []uint32
	for i, r := range refs {
		canon, err := canonicalRef(r)
		if err != nil {
			continue // an unparseable ref is simply missing
		}
		id, ok := s.ix.Lookup(canon)
		if !ok || (match != nil && !match.Contains(id)) {
			continue
		}
		idx = append(idx, i)
		ids = append(ids, id)
	}
	recs, err := s.fetch(ctx, dedup(ids))
	if err != nil {
		return nil, err
	}
	byRef := make(map[string]*catalog.Record, len(recs))
	for i := range recs {
		byRef[recs[i].Ref] = &recs[i]
	}
	for j, i := range idx {
		if rec := byRef[s.ix.Ref(ids[j])]; rec != nil {
			c := *rec
			out[i] = &c
		}
	}
	return out, nil
}

func dedup(ids []uint32) []uint32 {
	seen := make(map[uint32]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// QueryEntities answers a filtered, ordered, paged query from the index and
// fetches the page's records.
func (s *Store) QueryEntities(ctx context.Context, q catalog.Query) (catalog.Page, error) {
	return s.ix.QueryPage(q, func(ids []uint32) ([]catalog.Record, error) { return s.fetch(ctx, ids) })
}

// Facets counts the values of each key among the entities matching f.
func (s *Store) Facets(ctx context.Context, f catalog.Filter, keys []string) (map[string][]catalog.FacetCount, error) {
	s.ix.RLock()
	defer s.ix.RUnlock()
	return s.ix.Facets(f, keys), nil
}

// Ancestry follows parent_ref from ref up to the root.
func (s *Store) Ancestry(ctx context.Context, ref string) ([]catalog.AncestryItem, error) {
	canon, err := canonicalRef(ref)
	if err != nil {
		return nil, err
	}
	var out []catalog.AncestryItem
	seen := map[string]bool{}
	cur := canon
	for cur != "" && !seen[cur] {
		seen[cur] = true
		var rec catalog.Record
		var parent string
		var final []byte
		err := s.r.QueryRowContext(ctx, "SELECT uid, ref, location_id, final, parent_ref FROM entities WHERE ref = ?", cur).
			Scan(&rec.UID, &rec.Ref, &rec.LocationID, &final, &parent)
		if errors.Is(err, sql.ErrNoRows) {
			if len(out) == 0 {
				return nil, catalog.NotFoundf("No such entity %s", canon)
			}
			break // the chain ends at a missing parent
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite store: ancestry of %s: %w", canon, err)
		}
		rec.JSON = final
		item := catalog.AncestryItem{Record: rec, ParentEntityRefs: []string{}}
		if parent != "" {
			item.ParentEntityRefs = []string{parent}
		}
		out = append(out, item)
		cur = parent
	}
	return out, nil
}
