package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a long job's progress on stderr: redrawn in place at most ten
// times a second on a terminal, one line per 10 % otherwise (logs and CI). The
// commands (catalog import, search reindex) only format their line.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	start   time.Time
	last    time.Time
	lastPct int
	shown   bool
}

func newProgress(w io.Writer) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, tty: tty, start: time.Now(), lastPct: -1}
}

// rate is items per second since the job started.
func (p *progress) rate(items int) float64 {
	return float64(items) / max(time.Since(p.start).Seconds(), 0.001)
}

// bar renders pct (0–100) as a fixed-width bar.
func bar(pct int) string {
	const width = 30
	fill := min(max(pct, 0), 100) * width / 100
	return "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]"
}

// draw shows line for a job pct done; final lines are always shown.
func (p *progress) draw(pct int, final bool, line func() string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.tty && !final && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	if !p.tty && !final && pct/10 == p.lastPct/10 {
		return
	}
	p.last, p.lastPct, p.shown = now, pct, true
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line())
	} else {
		fmt.Fprintln(p.w, line())
	}
}

// finish ends the in-place line on a terminal.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown && p.tty {
		fmt.Fprintln(p.w)
	}
}
