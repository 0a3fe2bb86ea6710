package host

import (
	"context"
	"sync"

	extism "github.com/extism/go-sdk"
)

// instance is one instantiated copy of a plugin: used by one call at a time.
type instance struct {
	ext *extism.Plugin
	k   *kernel // nil: the SDK's own Call is used
	// initialized: the guest runtime is initialised, so the fast path may
	// run. Otherwise the first call goes through the SDK, which does it.
	initialized bool
	calls       int
}

// call runs an export.
func (in *instance) call(ctx context.Context, export string, input []byte) (uint32, []byte, error) {
	in.calls++
	if in.k != nil && in.initialized {
		return in.k.call(ctx, export, input)
	}
	in.initialized = true
	return in.ext.CallWithContext(ctx, export, input)
}

// pool bounds a plugin's instances: at most cap(slots) exist at once; idle
// ones are reused, broken ones closed and replaced on demand.
type pool struct {
	slots  chan struct{}
	mu     sync.Mutex
	idle   []*instance
	create func(ctx context.Context) (*instance, error)
	closed bool
}

func newPool(size int, create func(ctx context.Context) (*instance, error)) *pool {
	return &pool{slots: make(chan struct{}, size), create: create}
}

// get waits for a slot (until ctx is done) and returns an idle or new instance.
func (p *pool) get(ctx context.Context) (*instance, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		in := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return in, nil
	}
	p.mu.Unlock()
	in, err := p.create(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	return in, nil
}

// put returns an instance; healthy=false closes it instead.
func (p *pool) put(in *instance, healthy bool) {
	p.mu.Lock()
	if healthy && !p.closed {
		p.idle = append(p.idle, in)
		p.mu.Unlock()
	} else {
		p.mu.Unlock()
		_ = in.ext.Close(context.Background())
	}
	<-p.slots
}

// idleCount is the number of idle instances.
func (p *pool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

func (p *pool) close(ctx context.Context) {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, in := range idle {
		_ = in.ext.Close(ctx)
	}
}
