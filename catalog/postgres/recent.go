package postgres

import (
	"context"
	"fmt"

	"github.com/portico-dev/portico/catalog"
)

// RecentlyChanged reads the newest changes through entities_recent (or its
// partial twins for the health lists) with the filter in the same query.
func (s *Store) RecentlyChanged(ctx context.Context, q catalog.RecentQuery) ([]catalog.RecentChange, error) {
	limit, err := q.Check()
	if err != nil {
		return nil, err
	}
	var a args
	where := "(" + whereFilter(&a, q.Filter) + ")"
	switch q.Only {
	case catalog.RecentWithErrors:
		where += " AND errors <> ''"
	case catalog.RecentOrphans:
		where += " AND orphan"
	}
	rows, err := s.pool.Query(ctx, `SELECT ref, coalesce(final->>'kind', kind), coalesce(final->'metadata'->>'title', ''), updated_at, errors, orphan
		FROM entities WHERE `+where+` ORDER BY updated_at DESC, id DESC LIMIT `+a.add(limit), a...)
	if err != nil {
		return nil, fmt.Errorf("postgres: recent changes: %w", err)
	}
	defer rows.Close()
	var out []catalog.RecentChange
	for rows.Next() {
		var c catalog.RecentChange
		var errs string
		if err := rows.Scan(&c.Ref, &c.Kind, &c.Title, &c.ChangedAt, &errs, &c.Orphan); err != nil {
			return nil, fmt.Errorf("postgres: recent changes: %w", err)
		}
		c.ChangedAt = c.ChangedAt.UTC()
		if c.Errors, err = catalog.DecodeErrors(errs); err != nil {
			return nil, fmt.Errorf("postgres: recent changes: %s: %w", c.Ref, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: recent changes: %w", err)
	}
	return out, nil
}
