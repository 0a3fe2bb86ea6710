package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// SearchOutbox implements catalog.Store. The rows are written inside the
// writing transaction: by the applier for inserted entities (writeOutbox),
// by triggers on entities for updates and deletes (migrations 0003, 0005).
func (s *Store) SearchOutbox(ctx context.Context, after int64, limit int) ([]catalog.SearchChange, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, "SELECT seq, ref, deleted FROM search_outbox WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: search outbox: %w", err)
	}
	defer rows.Close()
	out := []catalog.SearchChange{}
	for rows.Next() {
		var c catalog.SearchChange
		var del int
		if err := rows.Scan(&c.Seq, &c.Ref, &del); err != nil {
			return nil, fmt.Errorf("sqlite store: search outbox: %w", err)
		}
		c.Deleted = del != 0
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: search outbox: %w", err)
	}
	return out, nil
}

// AckSearchOutbox implements catalog.Store.
func (s *Store) AckSearchOutbox(ctx context.Context, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for start := 0; start < len(seqs); start += 500 {
		part := seqs[start:min(start+500, len(seqs))]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		q := "DELETE FROM search_outbox WHERE seq IN (?" + strings.Repeat(",?", len(part)-1) + ")"
		if _, err := s.w.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("sqlite store: ack search outbox: %w", err)
		}
	}
	return nil
}
