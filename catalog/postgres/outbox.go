package postgres

import (
	"context"
	"fmt"

	"github.com/portico-dev/portico/catalog"
)

// SearchOutbox implements catalog.Store. The rows are written by a trigger on
// entities (migration 0002), inside the writing transaction.
func (s *Store) SearchOutbox(ctx context.Context, after int64, limit int) ([]catalog.SearchChange, error) {
	q := `SELECT seq, ref, deleted FROM search_outbox WHERE seq > $1 ORDER BY seq`
	a := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		a = append(a, limit)
	}
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("postgres: search outbox: %w", err)
	}
	defer rows.Close()
	out := []catalog.SearchChange{}
	for rows.Next() {
		var c catalog.SearchChange
		if err := rows.Scan(&c.Seq, &c.Ref, &c.Deleted); err != nil {
			return nil, fmt.Errorf("postgres: search outbox: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: search outbox: %w", err)
	}
	return out, nil
}

// AckSearchOutbox implements catalog.Store.
func (s *Store) AckSearchOutbox(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM search_outbox WHERE seq = ANY($1::bigint[])`, seqs); err != nil {
		return fmt.Errorf("postgres: ack search outbox: %w", err)
	}
	return nil
}
