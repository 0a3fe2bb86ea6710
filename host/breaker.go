package host

import (
	"sync"
	"time"
)

// BreakerConfig parks a plugin after Failures consecutive failed calls for
// Cooldown; after that one trial call is let through (half-open): success
// closes the breaker, failure parks the plugin again.
type BreakerConfig struct {
	Failures int
	Cooldown time.Duration
}

// DefaultBreaker is used when Options.Breaker is zero.
var DefaultBreaker = BreakerConfig{Failures: 5, Cooldown: 30 * time.Second}

type breakerState int

const (
	breakerClosed breakerState = iota
	breakerOpen
	breakerHalfOpen
)

type breaker struct {
	cfg BreakerConfig
	now func() time.Time

	mu          sync.Mutex
	state       breakerState
	consecutive int
	openUntil   time.Time
	trial       bool // a half-open trial call is in flight
}

// allow reports whether a call may run now; a half-open trial must be
// followed by done.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case breakerOpen:
		if b.now().Before(b.openUntil) {
			return false
		}
		b.state = breakerHalfOpen
		b.trial = true
		return true
	case breakerHalfOpen:
		if b.trial {
			return false
		}
		b.trial = true
		return true
	}
	return true
}

// done records a call's outcome. counted=false (caller cancelled, unknown
// export) neither trips nor resets the breaker, but ends a trial.
func (b *breaker) done(failed, counted bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasTrial := b.state == breakerHalfOpen
	if wasTrial {
		b.trial = false
	}
	if !counted {
		return
	}
	if !failed {
		b.state, b.consecutive = breakerClosed, 0
		return
	}
	b.consecutive++
	if wasTrial || b.consecutive >= b.cfg.Failures {
		b.state = breakerOpen
		b.openUntil = b.now().Add(b.cfg.Cooldown)
	}
}

// parked reports whether the plugin is currently refusing calls.
func (b *breaker) parked() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state == breakerOpen && b.now().Before(b.openUntil)
}
