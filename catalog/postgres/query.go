package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
)

const recordCols = "uid::text, ref, location_id, final::text"

func scanRecord(row pgx.Row) (catalog.Record, error) {
	var r catalog.Record
	var final string
	if err := row.Scan(&r.UID, &r.Ref, &r.LocationID, &final); err != nil {
		return r, err
	}
	r.JSON = []byte(final)
	return r, nil
}

// QueryEntities answers a filtered, ordered, paged query from this
// replica's index, caught up first, and fetches the page's rows.
func (s *Store) QueryEntities(ctx context.Context, q catalog.Query) (catalog.Page, error) {
	if err := s.syncIndex(ctx); err != nil {
		return catalog.Page{}, err
	}
	return s.idx.ix.QueryPage(q, func(ids []uint32) ([]catalog.Record, error) { return s.fetch(ctx, ids) })
}

// fetch reads records by id, in the given order. A row deleted since the
// index was caught up is left out.
func (s *Store) fetch(ctx context.Context, ids []uint32) ([]catalog.Record, error) {
	if len(ids) == 0 {
		return []catalog.Record{}, nil
	}
	args := make([]int64, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, `+recordCols+` FROM entities WHERE id = ANY($1::bigint[])`, args)
	if err != nil {
		return nil, fmt.Errorf("postgres: fetch entities: %w", err)
	}
	defer rows.Close()
	got := make(map[uint32]catalog.Record, len(ids))
	for rows.Next() {
		var id int64
		var r catalog.Record
		var final string
		if err := rows.Scan(&id, &r.UID, &r.Ref, &r.LocationID, &final); err != nil {
			return nil, fmt.Errorf("postgres: fetch entities: %w", err)
		}
		r.JSON = []byte(final)
		got[uint32(id)] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: fetch entities: %w", err)
	}
	out := make([]catalog.Record, 0, len(ids))
	for _, id := range ids {
		if r, ok := got[id]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// Facets counts the values of each key among the entities matching f, from
// this replica's index, caught up first. The slices may be shared with the
// index's cache: callers must not modify them (catalog.Store.Facets).
func (s *Store) Facets(ctx context.Context, f catalog.Filter, keys []string) (map[string][]catalog.FacetCount, error) {
	if err := s.syncIndex(ctx); err != nil {
		return nil, err
	}
	s.idx.ix.RLock()
	defer s.idx.ix.RUnlock()
	return s.idx.ix.Facets(f, keys), nil
}
