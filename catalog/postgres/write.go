package postgres

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

// Bulk writes. Stitching (JSON encoding and token flattening) is CPU work in
// Go; writing is work in PostgreSQL. They overlap: a pool of stitch workers
// feeds COPY row by row, so one Apply of any size is one COPY per table and
// never a parameter per value, and a row's final JSON is garbage as soon as
// it is on the wire.

var entityCols = []string{"id", "uid", "ref", "kind", "namespace", "name", "location_id", "parent_ref", "source_key", "hash",
	"body", "final", "errors", "orphan", "tokens", "originals"}

// writeRows stitches rows and writes them: new rows (id 0) by COPY straight
// into entities, existing ones through a temporary table and one UPDATE.
// Rows that did not change other than through stitching are written only
// when their final JSON differs from the stored one.
// When st is not nil, every row written is staged in the index with it.
func writeRows(ctx context.Context, tx pgx.Tx, rows []*entityRow, rels map[string][]catalog.RelationRow, st *stager) error {
	var fresh, update []*entityRow
	for _, r := range rows {
		switch {
		case r.id == 0:
			fresh = append(fresh, r)
		case r.changed:
			update = append(update, r)
		default: // a peer: stitch now to see whether anything changes
			if err := r.stitch(rels[r.ref]); err != nil {
				return err
			}
			if string(r.final) != r.oldFinal {
				update = append(update, r)
			}
		}
	}
	if len(fresh) > 0 {
		ids, err := allocateIDs(ctx, tx, len(fresh))
		if err != nil {
			return err
		}
		for i, r := range fresh {
			r.id = ids[i]
		}
		src := newStitchSource(ctx, fresh, rels, st)
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"entities"}, entityCols, src)
		src.cancel() // stop the workers if COPY ended early
		if err != nil {
			return fmt.Errorf("write new entities: %w", err)
		}
	}
	if len(update) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE IF NOT EXISTS apply_entities (LIKE entities INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`); err != nil {
		return fmt.Errorf("write entities: temp table: %w", err)
	}
	src := newStitchSource(ctx, update, rels, st)
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"apply_entities"}, entityCols, src)
	src.cancel()
	if err != nil {
		return fmt.Errorf("write entities: copy: %w", err)
	}
	set := make([]string, 0, len(entityCols))
	for _, c := range entityCols[1:] {
		set = append(set, c+" = a."+c)
	}
	if _, err := tx.Exec(ctx, `UPDATE entities e SET `+strings.Join(set, ", ")+`, updated_at = now()
		FROM apply_entities a WHERE e.id = a.id`); err != nil {
		return fmt.Errorf("write entities: update: %w", err)
	}
	if _, err := tx.Exec(ctx, `TRUNCATE apply_entities`); err != nil {
		return fmt.Errorf("write entities: clear temp table: %w", err)
	}
	return nil
}

// allocateIDs reserves n ids from the entities sequence, so relation rows
// can name their originator without a join.
func allocateIDs(ctx context.Context, tx pgx.Tx, n int) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('entities', 'id')) FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("allocate entity ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("allocate entity ids: %w", err)
	}
	return ids, nil
}

// stitchSource is a pgx.CopyFromSource whose rows are stitched by a pool
// of workers while COPY sends the previous ones.
type stitchSource struct {
	parent context.Context
	out    chan []any
	cur    []any
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error
}

func newStitchSource(ctx context.Context, rows []*entityRow, rels map[string][]catalog.RelationRow, st *stager) *stitchSource {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	s := &stitchSource{parent: parent, out: make(chan []any, 256), cancel: cancel}
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/64))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var docs []postings.Doc
			defer func() { st.stage(docs) }()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(rows) || ctx.Err() != nil {
					return
				}
				r := rows[i]
				if r.final == nil {
					if err := r.stitch(rels[r.ref]); err != nil {
						s.fail(err)
						return
					}
				}
				v := r.values()
				if st != nil {
					if r.id > math.MaxUint32 {
						s.fail(fmt.Errorf("entity %s: id %d is beyond the index's 32-bit ids", r.ref, r.id))
						return
					}
					if docs = append(docs, postings.Doc{ID: uint32(r.id), Ref: r.ref, Tokens: r.ts, Orig: r.orig}); len(docs) == stageBatch {
						st.stage(docs)
						docs = nil
					}
				}
				// The values now hold what COPY needs; drop the rest early.
				r.final, r.tokens, r.originals, r.body, r.entity, r.ts, r.orig = nil, nil, nil, nil, nil, nil, nil
				select {
				case s.out <- v:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(s.out) }()
	return s
}

func (s *stitchSource) fail(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

// Next implements pgx.CopyFromSource.
func (s *stitchSource) Next() bool {
	v, ok := <-s.out
	if !ok {
		s.cancel()
		return false
	}
	s.cur = v
	return true
}

// Values implements pgx.CopyFromSource.
func (s *stitchSource) Values() ([]any, error) { return s.cur, nil }

// Err implements pgx.CopyFromSource. A cancelled caller context is an
// error too: the workers stopped early, so the rows are incomplete.
func (s *stitchSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return s.parent.Err()
	}
	return s.err
}

// values is the row in entityCols order.
func (r *entityRow) values() []any {
	var orig any
	if r.originals != nil {
		orig = r.originals
	}
	return []any{r.id, r.uid, r.ref, r.kind, r.ns, r.name, r.locationID, r.parentRef, r.sourceKey, r.hash,
		string(r.body), string(r.final), r.errors, r.orphan, r.tokens, orig}
}

// insertRelations streams the rows originated by each entity (keyed by the
// originator's ref; rows holds its id) into relations with COPY.
func insertRelations(ctx context.Context, tx pgx.Tx, byOriginator map[string][]catalog.RelationRow, rows map[string]*entityRow) error {
	if len(byOriginator) == 0 {
		return nil
	}
	origins := make([]string, 0, len(byOriginator))
	for o := range byOriginator {
		r := rows[o]
		if r == nil || r.id == 0 {
			return fmt.Errorf("write relations: originator %s has no id", o)
		}
		origins = append(origins, o)
	}
	oi, ri := 0, 0
	next := func() ([]any, error) {
		for oi < len(origins) {
			rs := byOriginator[origins[oi]]
			if ri < len(rs) {
				rel := rs[ri]
				ri++
				return []any{rows[origins[oi]].id, rel.Source, rel.Type, rel.Target}, nil
			}
			oi, ri = oi+1, 0
		}
		return nil, nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"relations"}, []string{"originator_id", "source_ref", "type", "target_ref"}, pgx.CopyFromFunc(next)); err != nil {
		return fmt.Errorf("write relations: %w", err)
	}
	return nil
}
