package host

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	extism "github.com/extism/go-sdk"
)

// Concurrent acquires of one key build once and share; a failed build is
// every waiter's error and leaves nothing behind; the last release forgets.
func TestCompiledCacheAcquire(t *testing.T) {
	ctx := context.Background()
	var c compiledCache
	var builds atomic.Int32
	gate := make(chan struct{})
	build := func() (*extism.CompiledPlugin, error) {
		builds.Add(1)
		<-gate // hold the build until every acquirer has started
		return nil, nil
	}
	const n = 8
	got := make([]*sharedCompiled, n)
	var started, wg sync.WaitGroup
	for i := 0; i < n; i++ {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			s, _, err := c.acquire(ctx, compiledKey{1}, build)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		}()
	}
	started.Wait()
	close(gate)
	wg.Wait()
	if b := builds.Load(); b != 1 {
		t.Fatalf("builds = %d, want 1", b)
	}
	for _, s := range got {
		if s != got[0] {
			t.Fatal("acquirers got different compiled plugins")
		}
	}
	for i, s := range got {
		if err := c.release(ctx, s); err != nil {
			t.Fatal(err)
		}
		if want := 1; i < n-1 && c.len() != want {
			t.Fatalf("held after %d releases = %d, want %d", i+1, c.len(), want)
		}
	}
	if c.len() != 0 {
		t.Fatalf("held after the last release = %d, want 0", c.len())
	}

	boom := errors.New("boom")
	if _, _, err := c.acquire(ctx, compiledKey{2}, func() (*extism.CompiledPlugin, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed build: err = %v", err)
	}
	if c.len() != 0 {
		t.Fatalf("a failed build was kept (%d held)", c.len())
	}
}
