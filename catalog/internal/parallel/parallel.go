// Package parallel runs a loop body on every core.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Do runs fn(0..n-1) on GOMAXPROCS goroutines (on this one when n is small
// or there is one core) and returns when every call has.
func Do(n int, fn func(i int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 64 || workers == 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
