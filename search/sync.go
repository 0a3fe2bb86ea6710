package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portico-dev/portico/catalog"
)

// Outbox is the part of catalog.Store the sync reads.
type Outbox interface {
	CatalogReader
	SearchOutbox(ctx context.Context, after int64, limit int) ([]catalog.SearchChange, error)
	AckSearchOutbox(ctx context.Context, seqs []int64) error
}

// Sync keeps the index in step with the catalog through the store's search
// outbox: each change is applied to the index and only then acknowledged, so
// a restart or an index outage loses nothing (the rows wait in the store).
type Sync struct {
	Store  Outbox
	Index  Index
	Logger *slog.Logger
	// Batch is how many outbox rows one step handles (default 500).
	Batch int
	// Interval is the poll period when the outbox is empty (default 1s).
	Interval time.Duration
	// MaxBackoff caps the retry delay after an index failure (default 30s).
	MaxBackoff time.Duration
	// VerifyEvery is how often an index that can lose its documents
	// (search.Verifier) is checked; a lost index is rebuilt (default 30s).
	VerifyEvery time.Duration
}

// verify reindexes when the backend lost its documents.
func (s *Sync) verify(ctx context.Context) error {
	v, ok := s.Index.(Verifier)
	if !ok {
		return nil
	}
	lost, err := v.Verify(ctx)
	if err != nil || !lost {
		return err
	}
	s.logger().Warn("search index lost its documents; reindexing", "index", s.Index.Describe())
	n, err := Reindex(ctx, s.Store, s.Index, 0, nil)
	if err != nil {
		return err
	}
	s.logger().Info("search reindexed", "documents", n)
	return nil
}

// Drain applies pending changes until the outbox is empty. It returns how
// many changes it applied.
func (s *Sync) Drain(ctx context.Context) (int, error) {
	n := 0
	for {
		k, err := s.step(ctx)
		n += k
		if err != nil || k == 0 {
			return n, err
		}
	}
}

// step applies one batch of the oldest pending changes.
func (s *Sync) step(ctx context.Context) (int, error) {
	batch := s.Batch
	if batch <= 0 {
		batch = 500
	}
	cs, err := s.Store.SearchOutbox(ctx, 0, batch)
	if err != nil {
		return 0, fmt.Errorf("search sync: read outbox: %w", err)
	}
	if len(cs) == 0 {
		return 0, nil
	}
	var refs, gone []string
	for _, c := range cs {
		if c.Deleted {
			gone = append(gone, CatalogKey(c.Ref))
		} else {
			refs = append(refs, c.Ref)
		}
	}
	var docs []Document
	if len(refs) > 0 {
		recs, err := s.Store.EntitiesByRefs(ctx, refs, catalog.Filter{})
		if err != nil {
			return 0, fmt.Errorf("search sync: read entities: %w", err)
		}
		for i, rec := range recs {
			if rec == nil { // deleted since: its delete row follows
				gone = append(gone, CatalogKey(refs[i]))
				continue
			}
			d, err := RecordDocument(rec)
			if err != nil {
				s.logger().Warn("search sync: skip undecodable entity", "ref", refs[i], "err", err)
				continue
			}
			docs = append(docs, d)
		}
	}
	if len(docs) > 0 {
		if err := s.Index.Upsert(ctx, docs); err != nil {
			return 0, fmt.Errorf("search sync: %w", err)
		}
	}
	if len(gone) > 0 {
		if err := s.Index.Delete(ctx, gone); err != nil {
			return 0, fmt.Errorf("search sync: %w", err)
		}
	}
	seqs := make([]int64, len(cs))
	for i, c := range cs {
		seqs[i] = c.Seq
	}
	if err := s.Store.AckSearchOutbox(ctx, seqs); err != nil {
		return 0, fmt.Errorf("search sync: ack outbox: %w", err)
	}
	return len(cs), nil
}

func (s *Sync) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Run drains the outbox until ctx ends, polling every Interval and backing
// off exponentially (up to MaxBackoff) while the index or store fails.
func (s *Sync) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = time.Second
	}
	maxBackoff := s.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 30 * time.Second
	}
	verifyEvery := s.VerifyEvery
	if verifyEvery <= 0 {
		verifyEvery = 30 * time.Second
	}
	lastVerify := time.Now()
	backoff := time.Duration(0)
	for {
		var err error
		if time.Since(lastVerify) >= verifyEvery {
			lastVerify = time.Now()
			err = s.verify(ctx)
		}
		n := 0
		if err == nil {
			n, err = s.Drain(ctx)
		}
		wait := interval
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			backoff = min(max(2*backoff, 500*time.Millisecond), maxBackoff)
			wait = backoff
			s.logger().Warn("search sync failed; retrying", "err", err, "retry_in", wait.String(), "applied", n)
		default:
			if backoff > 0 {
				s.logger().Info("search sync recovered")
			}
			backoff = 0
			if n > 0 {
				s.logger().Debug("search sync applied", "changes", n)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// IsUnavailable reports whether err is a backend outage worth retrying.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
