package postgres

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/parallel"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

// Each replica answers filtered lists, counts and facets from its own
// in-memory postings index (the embedded store's), kept in step with the
// database by catalog versions (migration 7): every write transaction bumps
// catalog_version.v under the apply lock, so versions commit in order, and
// its rows carry the version that wrote them (deletions are logged under
// it). A replica that holds version n catches up by reading the rows and
// deletions above n in one snapshot. It does so before every indexed read
// (one primary-key read of catalog_version when nothing changed), after its
// own writes, and when another replica's write is announced on the change
// feed, so a read never answers from a state older than the last write
// committed before it began.

// deletionsKept is how long logged deletions are kept for replicas to catch
// up with; one whose index is older than what was trimmed reloads it whole.
const deletionsKept = time.Hour

// bumpVersion starts a write transaction's catalog version and returns it:
// it must run under the apply lock, before the transaction writes an entity
// row.
func bumpVersion(ctx context.Context, tx pgx.Tx) (int64, error) {
	var v int64
	if err := tx.QueryRow(ctx, `WITH b AS (UPDATE catalog_version SET v = v + 1 RETURNING v)
		SELECT v, set_config('portico.version', v::text, true) FROM b`).Scan(&v, nil); err != nil {
		return 0, fmt.Errorf("bump catalog version: %w", err)
	}
	if _, err := tx.Exec(ctx, `WITH gone AS (DELETE FROM entity_deletions WHERE at < now() - $1::interval RETURNING version)
		UPDATE catalog_version SET trimmed = greatest(trimmed, (SELECT max(version) FROM gone))
		WHERE EXISTS (SELECT 1 FROM gone)`, deletionsKept.String()); err != nil {
		return 0, fmt.Errorf("trim deletion log: %w", err)
	}
	return v, nil
}

// stageBatch is how many docs one index lock stages.
const stageBatch = 128

// stager stages the rows an apply writes in the index as they are
// stitched, so the applying replica does not read them back: publish makes
// them visible once the transaction has committed, if the index held the
// version just before the apply's (it does: the apply catches the index up
// once it holds the apply lock, and no other write can commit until it
// ends). Otherwise they are dropped and the index catches up from the
// database like any other replica's.
type stager struct {
	ix      *postings.Index
	version int64 // the apply's catalog version
	reloads int64 // indexState.reloads when staging began
	// base is the version the index held when staging began. Only if it was
	// the one before the apply's can no catch-up have committed while the
	// rows were staged: a catch-up sweeps the values its deletes empty,
	// which may be values only these staged rows use.
	base    int64
	mu      sync.Mutex
	staged  []postings.Staged
	deleted []uint32
}

// newStager starts staging the apply of catalog version v.
func (s *Store) newStager(ctx context.Context, v int64) *stager {
	if err := s.syncIndex(ctx); err != nil {
		s.log.Warn("catalog apply: index catch-up failed (the apply's rows will be read back)", "err", err)
	}
	return &stager{ix: s.idx.ix, version: v, reloads: s.idx.reloads.Load(), base: s.idx.applied.Load()}
}

func (st *stager) stage(docs []postings.Doc) {
	if st == nil || len(docs) == 0 {
		return
	}
	out := st.ix.Stage(docs)
	st.mu.Lock()
	st.staged = append(st.staged, out...)
	st.mu.Unlock()
}

// publish makes a committed apply's staged rows visible, or catches the
// index up from the database when they cannot be.
func (s *Store) publish(ctx context.Context, st *stager) {
	if st == nil {
		return
	}
	s.idx.mu.Lock()
	same := s.idx.reloads.Load() == st.reloads
	direct := same && st.base == st.version-1 && s.idx.applied.Load() == st.version-1
	switch {
	case direct:
		s.idx.ix.Commit(st.staged, st.deleted)
		s.idx.applied.Store(st.version)
		s.idx.direct.Add(1)
	case same:
		s.idx.ix.Abort(st.staged)
	} // else the index was reloaded: what was staged went with the old state
	s.idx.mu.Unlock()
	if direct {
		return
	}
	if err := s.syncIndex(ctx); err != nil {
		s.log.Warn("catalog apply: index catch-up failed (the next read retries)", "err", err)
	}
}

// discard drops what a failed apply staged.
func (s *Store) discard(st *stager) {
	if st == nil {
		return
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if s.idx.reloads.Load() == st.reloads {
		s.idx.ix.Abort(st.staged)
	}
}

// indexState is the replica's index and the catalog version it holds.
type indexState struct {
	ix      *postings.Index
	mu      sync.Mutex   // one catch-up at a time
	applied atomic.Int64 // the version ix holds; 0 = never loaded
	reloads atomic.Int64 // times ix was reloaded whole (staged rows of an older state are void)
	direct  atomic.Int64 // applies published from their staged rows (tests)
	cancel  context.CancelFunc
	done    chan struct{}
}

// syncIndex brings the index up to the committed catalog version.
func (s *Store) syncIndex(ctx context.Context) error {
	var v int64
	if err := s.pool.QueryRow(ctx, `SELECT v FROM catalog_version`).Scan(&v); err != nil {
		return fmt.Errorf("postgres: read catalog version: %w", err)
	}
	if s.idx.applied.Load() >= v {
		return nil
	}
	s.idx.mu.Lock()
	defer s.idx.mu.Unlock()
	if s.idx.applied.Load() >= v {
		return nil // caught up by another reader meanwhile
	}
	return s.catchUp(ctx)
}

// catchUp reads what changed since the applied version in one snapshot and
// applies it to the index (or reloads the index whole). Under idx.mu.
func (s *Store) catchUp(ctx context.Context) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: index catch-up: begin: %w", err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // read-only
	var v, trimmed int64
	if err := tx.QueryRow(ctx, `SELECT v, trimmed FROM catalog_version`).Scan(&v, &trimmed); err != nil {
		return fmt.Errorf("postgres: index catch-up: %w", err)
	}
	from := s.idx.applied.Load()
	if from >= v {
		return nil
	}
	if from == 0 || from < trimmed {
		fresh := postings.New()
		if err := loadDocs(ctx, tx, fresh, nil, `SELECT id, ref, final::text FROM entities`); err != nil {
			return err
		}
		s.idx.ix.Replace(fresh)
		s.idx.reloads.Add(1)
		s.idx.applied.Store(v)
		return nil
	}
	var deleted []uint32
	rows, err := tx.Query(ctx, `SELECT id FROM entity_deletions WHERE version > $1`, from)
	if err != nil {
		return fmt.Errorf("postgres: index catch-up: deletions: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: index catch-up: deletions: %w", err)
		}
		if id > 0 && id <= math.MaxUint32 {
			deleted = append(deleted, uint32(id))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: index catch-up: deletions: %w", err)
	}
	// The deletions and the rows in one commit, so readers never see a
	// state between two versions (a ref deleted and added again under a
	// new id missing for a moment). Ids are never reused: none of the
	// deleted comes back among the rows.
	if err := loadDocs(ctx, tx, s.idx.ix, deleted, `SELECT id, ref, final::text FROM entities WHERE version > $1`, from); err != nil {
		return err
	}
	s.idx.applied.Store(v)
	return nil
}

// loadDocs tokenises the rows of q (id, ref, final) into ix; the chunks are
// staged and committed together with the deletes at the end, so readers see
// all of it or none.
func loadDocs(ctx context.Context, tx pgx.Tx, ix *postings.Index, deletes []uint32, q string, args ...any) error {
	type raw struct {
		id         int64
		ref, final string
	}
	const chunk = 4096
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("postgres: load index: %w", err)
	}
	defer rows.Close()
	// This goroutine reads; the next chunk is tokenised on every core while
	// the one before is staged (which takes the index's lock, on one core).
	raws := make(chan []raw, 1)
	docs := make(chan []postings.Doc, 1)
	var bad error // the first id out of range; read once docs is closed
	go func() {
		defer close(docs)
		for batch := range raws {
			out := make([]postings.Doc, len(batch))
			var once sync.Once
			parallel.Do(len(batch), func(i int) {
				r := batch[i]
				if r.id <= 0 || r.id > math.MaxUint32 {
					once.Do(func() { bad = fmt.Errorf("postgres: load index: entity id %d out of the index's range", r.id) })
					return
				}
				ts, orig := catalog.FlatTokensWithOriginals([]byte(r.final))
				out[i] = postings.Doc{ID: uint32(r.id), Ref: r.ref, Tokens: ts, Orig: orig}
			})
			if bad == nil {
				docs <- out
			}
		}
	}()
	var staged []postings.Staged
	stagedDone := make(chan struct{})
	go func() {
		defer close(stagedDone)
		for d := range docs {
			staged = append(staged, ix.Stage(d)...)
		}
	}()
	readErr := func() error {
		defer close(raws)
		batch := make([]raw, 0, chunk)
		for rows.Next() {
			var r raw
			if err := rows.Scan(&r.id, &r.ref, &r.final); err != nil {
				return fmt.Errorf("postgres: load index: %w", err)
			}
			if batch = append(batch, r); len(batch) == chunk {
				raws <- batch
				batch = make([]raw, 0, chunk)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("postgres: load index: %w", err)
		}
		if len(batch) > 0 {
			raws <- batch
		}
		return nil
	}()
	<-stagedDone
	if readErr == nil {
		readErr = bad
	}
	if readErr != nil {
		ix.Abort(staged)
		return readErr
	}
	ix.Commit(staged, deletes)
	return nil
}

// followChanges catches the index up whenever the change feed announces a
// write (from any replica), until ctx ends; a failed catch-up is retried by
// the next read or announcement.
func (s *Store) followChanges(ctx context.Context) {
	defer close(s.idx.done)
	for ctx.Err() == nil {
		for range s.Changes(ctx) {
			if err := s.syncIndex(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("catalog index catch-up failed", "err", err)
			}
		}
		select { // the feed's connection failed: listen again shortly
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
