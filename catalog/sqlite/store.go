// Package sqlite is the embedded catalog.Store: pure-Go SQLite
// (modernc.org/sqlite, no cgo) as the source of truth, plus the in-memory
// inverted index of catalog/internal/postings for filters, counts, ordering
// and facets. See RATIONALE.md "Catalog storage".
//
// It imports catalog and its internal index; it must never import web, host,
// authz or the postgres store.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/parallel"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the embedded catalog store.
type Store struct {
	path string
	w    *sql.DB // the one writer connection
	r    *sql.DB // read pool
	ix   *postings.Index

	wmu    sync.Mutex // serialises writes (and their index updates)
	writes atomic.Int64
	// patched counts re-stitches that patched the stored final JSON
	// (catalog.RestitchFinal) instead of stitching the decoded body.
	patched atomic.Int64
	// prepared counts deferred entities held prepared (catalog.Prepare).
	prepared atomic.Int64
	closed   atomic.Bool
	// in finds the relation rows naming a ref as other_ref (incoming.go).
	in *incoming

	// ck checkpoints the WAL after writes, off the writer (checkpointer).
	ck     *sql.DB
	ckWake chan struct{} // never closed: a write finishing during Close may still signal
	ckStop chan struct{}
	ckDone chan struct{}
}

var _ catalog.Store = (*Store)(nil)

const readPool = 4

// Open opens (creating if needed) dir/catalog.db, applies migrations and
// rebuilds the in-memory index.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sqlite store: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, "catalog.db")
	// The writer gets a large page cache (1.5 GB at most; SQLite takes pages
	// as a transaction touches them): a big apply inserts into indexes with
	// random keys (refs, relation targets), and at a million entities they
	// no longer fit 256 MB, so pages went back and forth between the cache
	// and the WAL (2,872 -> 3,073 entities/s at a million).
	dsn := func(extra string) string {
		return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
			"&_pragma=temp_store(MEMORY)" + extra
	}
	// journal_size_limit: a million-entity Apply is one transaction, so the WAL
	// grows to the size of everything it wrote; without a limit the file stays
	// that large after the checkpoint, doubling the store's size on disk.
	//
	// wal_autocheckpoint(0): the writer does not copy the WAL into the
	// database at commit; the checkpointer does it in the background
	// (a million-entity apply's checkpoint was ~10 s of its writer's time).
	w, err := sql.Open("sqlite", dsn("&_pragma=cache_size(-1572864)&_pragma=journal_size_limit(67108864)&_pragma=wal_autocheckpoint(0)&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite store: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{path: path, w: w, ix: postings.New()}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn("&_pragma=cache_size(-32768)&_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite store: open read pool %s: %w", path, err)
	}
	r.SetMaxOpenConns(readPool)
	r.SetMaxIdleConns(readPool)
	s.r = r
	ck, err := sql.Open("sqlite", dsn("&_pragma=journal_size_limit(67108864)"))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite store: open checkpointer %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	ck.SetMaxIdleConns(1)
	s.ck, s.ckWake, s.ckStop, s.ckDone = ck, make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go s.checkpointer()
	start := time.Now()
	links := make(chan error, 1)
	go func() { // beside the index, on the writer's connection
		var err error
		s.in, err = loadIncoming(ctx, s.w)
		links <- err
	}()
	n, err := s.rebuildIndex(ctx, s.ix)
	if lerr := <-links; err == nil {
		err = lerr
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	slog.Debug("catalog index rebuilt", "path", path, "entities", n, "took", time.Since(start))
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []string
	if s.ck != nil {
		close(s.ckStop)
		<-s.ckDone
		if err := s.ck.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if s.r != nil {
		if err := s.r.Close(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if err := s.w.Close(); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("sqlite store: close: %s", strings.Join(errs, "; "))
	}
	return nil
}

// checkpointInterval bounds how long the small writes outside entity
// applies (locations, the outbox, kv) wait for a checkpoint.
const checkpointInterval = 10 * time.Second

// checkpointer copies committed WAL frames into the database after each
// entity write and every checkpointInterval (PASSIVE: it neither waits for
// nor blocks readers and the writer; frames a reader still needs are copied
// by a later round). The WAL starts over at the first write after a
// complete checkpoint; closing the store checkpoints what is left.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	tick := time.NewTicker(checkpointInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ckStop:
			return
		case <-s.ckWake:
		case <-tick.C:
		}
		if _, err := s.ck.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			slog.Warn("catalog store: checkpoint", "path", s.path, "err", err)
		}
	}
}

// wakeCheckpointer asks for a checkpoint after a committed write.
func (s *Store) wakeCheckpointer() {
	select {
	case s.ckWake <- struct{}{}:
	default: // one is pending already
	}
}

// RowWrites counts entity and relation rows written since Open (tests use
// it to prove an identical apply writes nothing).
func (s *Store) RowWrites() int64 { return s.writes.Load() }

// pageSize is the page size of a new store. SQLite's default of 4 KiB made
// a million-entity apply ~800,000 page writes, each a system call (a page
// spilled from the cache to the WAL, then the checkpoint); 16 KiB pages
// make a quarter of them and hold a ~1.4 KB entity row with its neighbours
// instead of one or two rows a page. Stores created before keep theirs.
const pageSize = 16384

// setPageSize gives a store that has no schema yet its page size. The
// connection is in WAL mode already, where the page size cannot change,
// so it leaves it for the change and the VACUUM that applies it.
func (s *Store) setPageSize(ctx context.Context) error {
	for _, q := range []string{"PRAGMA journal_mode=DELETE", fmt.Sprintf("PRAGMA page_size=%d", pageSize), "VACUUM", "PRAGMA journal_mode=WAL"} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite store: new store: %s: %w", q, err)
		}
	}
	return nil
}

// migrate applies the embedded migrations newer than PRAGMA user_version.
func (s *Store) migrate(ctx context.Context) error {
	entries, err := migrationFS.ReadDir("migrations")
	if err != nil {
		return fmt.Errorf("sqlite store: read migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var cur int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("sqlite store: read schema version: %w", err)
	}
	latest := 0
	for _, name := range names {
		if v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0]); err == nil && v > latest {
			latest = v
		}
	}
	if cur == 0 {
		if err := s.setPageSize(ctx); err != nil {
			return err
		}
	}
	if cur > latest {
		return fmt.Errorf("sqlite store: %s has schema version %d, newer than this binary's %d; use a newer portico", s.path, cur, latest)
	}
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite store: migration %s: name must start with a version number", name)
		}
		if v <= cur {
			continue
		}
		body, err := migrationFS.ReadFile("migrations/" + name)
		if err != nil {
			return fmt.Errorf("sqlite store: read migration %s: %w", name, err)
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite store: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite store: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite store: migration %s: set version: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite store: migration %s: commit: %w", name, err)
		}
		cur = v
	}
	return nil
}

// rebuildIndex tokenises every stored final entity into the index: one
// goroutine scans rows in chunks, the next chunk is tokenised on every core
// while the one before is staged (interned, compact), and one Commit
// publishes them all, so the ref order is sorted once.
func (s *Store) rebuildIndex(ctx context.Context, ix *postings.Index) (int, error) {
	type raw struct {
		id    uint32
		ref   string
		final string // scanned as a string: as []byte database/sql copies it once more
	}
	const chunk = 4096
	chunks := make(chan []raw, 2)
	scanErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		rows, err := s.r.QueryContext(ctx, "SELECT id, ref, final FROM entities")
		if err != nil {
			scanErr <- err
			return
		}
		defer rows.Close()
		batch := make([]raw, 0, chunk)
		for rows.Next() {
			var r raw
			var id int64
			if err := rows.Scan(&id, &r.ref, &r.final); err != nil {
				scanErr <- err
				return
			}
			r.id = uint32(id)
			batch = append(batch, r)
			if len(batch) == chunk {
				chunks <- batch
				batch = make([]raw, 0, chunk)
			}
		}
		if len(batch) > 0 {
			chunks <- batch
		}
		scanErr <- rows.Err()
	}()
	// Chunk k+1 is tokenised while chunk k is staged: staging takes the
	// index's lock and runs on one core.
	tokenised := make(chan []postings.Doc, 1)
	go func() {
		defer close(tokenised)
		for batch := range chunks {
			docs := make([]postings.Doc, len(batch))
			parallel.Do(len(batch), func(i int) {
				ts, orig := catalog.FlatTokensWithOriginals(bytesOf(batch[i].final))
				docs[i] = postings.Doc{ID: batch[i].id, Ref: batch[i].ref, Tokens: ts, Orig: orig}
			})
			tokenised <- docs
		}
	}()
	n := 0
	var staged []postings.Staged
	for docs := range tokenised {
		staged = append(staged, ix.Stage(docs)...)
		n += len(docs)
	}
	if err := <-scanErr; err != nil {
		ix.Abort(staged)
		return n, fmt.Errorf("sqlite store: rebuild index: %w", err)
	}
	ix.Commit(staged, nil)
	return n, nil
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// bytesOf is s as a byte slice without copying it; it must not be written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
