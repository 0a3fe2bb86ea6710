package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Changes streams the ids of locations whose Apply committed, from this
// process and every other replica on the same schema (LISTEN/NOTIFY). The
// channel closes when ctx ends or the listening connection fails; callers
// that must not miss changes resubscribe and re-read what they cache.
func (s *Store) Changes(ctx context.Context) <-chan string {
	out := make(chan string, 64)
	ready := make(chan struct{})
	go func() {
		defer close(out)
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			close(ready)
			s.log.Warn("catalog change feed: acquire connection", "err", err)
			return
		}
		// The connection will LISTEN: never return it to the pool.
		pc := conn.Hijack()
		defer pc.Close(context.Background()) //nolint:errcheck // best effort
		if _, err := pc.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
			close(ready)
			s.log.Warn("catalog change feed: listen", "channel", s.channel, "err", err)
			return
		}
		close(ready)
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("catalog change feed stopped", "channel", s.channel, "err", err)
				}
				return
			}
			select {
			case out <- n.Payload:
			case <-ctx.Done():
				return
			}
		}
	}()
	// Return once LISTEN is in place, so a change committed after Changes
	// returns is always seen.
	select {
	case <-ready:
	case <-ctx.Done():
	}
	return out
}

// TryLeader tries to become the ingestion leader: a session-level advisory
// lock held on a dedicated connection. ok is false when another process (or
// another call) holds it. release unlocks and frees the connection; losing
// the connection also releases leadership, so a leader should re-check with
// TryLeader periodically (or watch its context) rather than assume forever.
func (s *Store) TryLeader(ctx context.Context) (release func(), ok bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: leader election: acquire connection: %w", err)
	}
	pc := conn.Hijack() // keep the lock's session out of the pool
	key := "portico.leader." + s.schema
	if err := pc.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, key).Scan(&ok); err != nil {
		pc.Close(context.Background()) //nolint:errcheck // already failing
		return nil, false, fmt.Errorf("postgres: leader election: %w", err)
	}
	if !ok {
		pc.Close(ctx) //nolint:errcheck // nothing held
		return nil, false, nil
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			rctx := context.Background()
			if _, err := pc.Exec(rctx, `SELECT pg_advisory_unlock(hashtext($1))`, key); err != nil && !errors.Is(err, context.Canceled) {
				s.log.Warn("leader release: unlock", "err", err)
			}
			pc.Close(rctx) //nolint:errcheck // closing the session releases the lock anyway
		})
	}
	return release, true, nil
}
