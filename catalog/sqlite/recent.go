package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// RecentlyChanged walks entities newest change first (index entities_recent,
// or its partial twins for the health lists) and keeps the first ones the
// filter allows; the filter is the in-memory index's bitmap, taken once.
func (s *Store) RecentlyChanged(ctx context.Context, q catalog.RecentQuery) ([]catalog.RecentChange, error) {
	limit, err := q.Check()
	if err != nil {
		return nil, err
	}
	var allowed *roaring.Bitmap
	if !q.Filter.IsZero() {
		s.ix.RLock()
		allowed = s.ix.Filter(q.Filter) // a fresh bitmap: safe after RUnlock
		s.ix.RUnlock()
		if allowed.IsEmpty() {
			return nil, nil
		}
	}
	where := ""
	switch q.Only {
	case catalog.RecentWithErrors:
		where = "WHERE errors != '' "
	case catalog.RecentOrphans:
		where = "WHERE orphan != 0 "
	}
	ids, err := s.recentIDs(ctx, "SELECT id FROM entities "+where+"ORDER BY updated_at DESC, id DESC", allowed, limit)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, ref, coalesce(json_extract(final, '$.kind'), kind), coalesce(json_extract(final, '$.metadata.title'), ''), updated_at, errors, orphan
		FROM entities WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: recent changes: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]catalog.RecentChange, len(ids))
	for rows.Next() {
		var (
			id, at, orphan int64
			c              catalog.RecentChange
			errs           string
		)
		if err := rows.Scan(&id, &c.Ref, &c.Kind, &c.Title, &at, &errs, &orphan); err != nil {
			return nil, fmt.Errorf("sqlite store: recent changes: %w", err)
		}
		c.ChangedAt, c.Orphan = time.UnixMilli(at).UTC(), orphan != 0
		if c.Errors, err = catalog.DecodeErrors(errs); err != nil {
			return nil, fmt.Errorf("sqlite store: recent changes: %s: %w", c.Ref, err)
		}
		byID[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: recent changes: %w", err)
	}
	out := make([]catalog.RecentChange, 0, len(ids))
	for _, id := range ids {
		if c, ok := byID[id]; ok { // deleted between the two reads: skipped
			out = append(out, c)
		}
	}
	return out, nil
}

// recentIDs reads ids from query in order until limit of them pass allowed
// (nil: all pass).
func (s *Store) recentIDs(ctx context.Context, query string, allowed *roaring.Bitmap, limit int) ([]int64, error) {
	if allowed == nil {
		query += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.r.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: recent changes: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for len(ids) < limit && rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite store: recent changes: %w", err)
		}
		if allowed == nil || allowed.Contains(uint32(id)) {
			ids = append(ids, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: recent changes: %w", err)
	}
	return ids, nil
}
