package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/portico-dev/portico/catalog"
)

// EntityByRef returns the entity with the canonical ref (case-insensitive)
// if f admits it.
func (s *Store) EntityByRef(ctx context.Context, ref string, f catalog.Filter) (catalog.Record, error) {
	ref = strings.ToLower(ref)
	var a args
	q := "SELECT " + recordCols + " FROM entities WHERE ref = " + a.add(ref) + " AND (" + whereFilter(&a, f) + ")"
	r, err := scanRecord(s.pool.QueryRow(ctx, q, a...))
	if isNoRows(err) {
		return r, catalog.NotFoundf("No entity %s found", ref)
	}
	if err != nil {
		return r, fmt.Errorf("postgres: entity %s: %w", ref, err)
	}
	return r, nil
}

// EntityByUID returns the entity with the uid if f admits it.
func (s *Store) EntityByUID(ctx context.Context, uid string, f catalog.Filter) (catalog.Record, error) {
	if _, err := uuid.Parse(uid); err != nil {
		return catalog.Record{}, catalog.NotFoundf("No entity with uid %s", uid)
	}
	var a args
	q := "SELECT " + recordCols + " FROM entities WHERE uid = " + a.add(uid) + "::uuid AND (" + whereFilter(&a, f) + ")"
	r, err := scanRecord(s.pool.QueryRow(ctx, q, a...))
	if isNoRows(err) {
		return r, catalog.NotFoundf("No entity with uid %s", uid)
	}
	if err != nil {
		return r, fmt.Errorf("postgres: entity by uid %s: %w", uid, err)
	}
	return r, nil
}

// EntitiesByRefs returns the entities in the order of refs, nil where one is
// missing or filtered out.
func (s *Store) EntitiesByRefs(ctx context.Context, refs []string, f catalog.Filter) ([]*catalog.Record, error) {
	out := make([]*catalog.Record, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	lower := make([]string, len(refs))
	for i, r := range refs {
		lower[i] = strings.ToLower(r)
	}
	var a args
	q := "SELECT " + recordCols + " FROM entities WHERE ref = ANY(" + a.add(lower) + "::text[]) AND (" + whereFilter(&a, f) + ")"
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("postgres: entities by refs: %w", err)
	}
	defer rows.Close()
	found := map[string]*catalog.Record{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: entities by refs: %w", err)
		}
		found[r.Ref] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: entities by refs: %w", err)
	}
	for i, r := range lower {
		if rec, ok := found[r]; ok {
			cp := *rec
			out[i] = &cp
		}
	}
	return out, nil
}

// Ancestry walks the processing parents of ref up to its root: the entity
// itself first, then each parent, each with the refs of its own parents.
func (s *Store) Ancestry(ctx context.Context, ref string) ([]catalog.AncestryItem, error) {
	ref = strings.ToLower(ref)
	var items []catalog.AncestryItem
	seen := map[string]bool{}
	for cur := ref; cur != "" && !seen[cur]; {
		seen[cur] = true
		var r catalog.Record
		var final, parent string
		err := s.pool.QueryRow(ctx, `SELECT uid::text, ref, location_id, final::text, parent_ref FROM entities WHERE ref = $1`, cur).
			Scan(&r.UID, &r.Ref, &r.LocationID, &final, &parent)
		if isNoRows(err) {
			if cur == ref {
				return nil, catalog.NotFoundf("No such entity %s", ref)
			}
			break // a dangling parent ends the chain
		}
		if err != nil {
			return nil, fmt.Errorf("postgres: ancestry of %s: %w", ref, err)
		}
		r.JSON = []byte(final)
		parents := []string{}
		if parent != "" {
			parents = append(parents, parent)
		}
		items = append(items, catalog.AncestryItem{Record: r, ParentEntityRefs: parents})
		cur = parent
	}
	return items, nil
}

// Relations returns every relation row whose source or target is one of refs.
func (s *Store) Relations(ctx context.Context, refs []string) ([]catalog.RelationRow, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	lower := make([]string, len(refs))
	for i, r := range refs {
		lower[i] = strings.ToLower(r)
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT source_ref, type, target_ref FROM relations
		WHERE source_ref = ANY($1::text[]) OR target_ref = ANY($1::text[])
		ORDER BY source_ref, type, target_ref`, lower)
	if err != nil {
		return nil, fmt.Errorf("postgres: relations: %w", err)
	}
	defer rows.Close()
	var out []catalog.RelationRow
	for rows.Next() {
		var r catalog.RelationRow
		if err := rows.Scan(&r.Source, &r.Type, &r.Target); err != nil {
			return nil, fmt.Errorf("postgres: relations: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: relations: %w", err)
	}
	return out, nil
}

// Health counts entities with processing errors, orphans and failing locations.
func (s *Store) Health(ctx context.Context) (catalog.Health, error) {
	var h catalog.Health
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM entities),
		(SELECT count(*) FROM entities WHERE errors <> ''),
		(SELECT count(*) FROM entities WHERE orphan),
		(SELECT count(*) FROM locations WHERE jsonb_array_length(errors) > 0)`).
		Scan(&h.Entities, &h.WithErrors, &h.Orphans, &h.LocationsFailing)
	if err != nil {
		return h, fmt.Errorf("postgres: health: %w", err)
	}
	return h, nil
}
