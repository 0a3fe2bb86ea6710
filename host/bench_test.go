package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// Benchmarks of the plugin host with the Go hostile/bench plugin
// (testdata/hostile). Numbers are recorded in the area's report and
// docs/benchmarks.md.

func benchPlugin(b *testing.B, fast bool, grant services.Grant) *host.Plugin {
	e := newEnv(b, func(o *host.Options) { o.DisableFastPath = !fast })
	_ = e.mem.KVSet(context.Background(), "bench", "k", []byte("!"))
	p := e.load(b, manifest("bench", host.Limits{Instances: 2}, grant))
	if _, err := p.Call(context.Background(), "noop", nil); err != nil { // guest init
		b.Fatal(err)
	}
	return p
}

// batch is the number of calls one benchmark op makes, so that `make bench`
// (-benchtime 1x) still yields stable percentiles.
const batch = 2000

// runLatency makes batch calls per op and reports p50/p99 per call; ns/op
// and allocs are per batch.
func runLatency(b *testing.B, p *host.Plugin, export string, input []byte) {
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N*batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N*batch; i++ {
		t0 := time.Now()
		if _, err := p.Call(ctx, export, input); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

func BenchmarkNoopCall(b *testing.B) {
	b.Run("fast", func(b *testing.B) { runLatency(b, benchPlugin(b, true, services.Grant{}), "noop", nil) })
	b.Run("sdk", func(b *testing.B) { runLatency(b, benchPlugin(b, false, services.Grant{}), "noop", nil) })
}

var cardInput = []byte(`{"abi":1,"plugin":{"name":"bench"},"card":"c","entity":{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"payments"},"spec":{"owner":"team-a"}}}`)

func BenchmarkCardOneHostCall(b *testing.B) {
	g := services.Grant{KV: true}
	b.Run("fast", func(b *testing.B) { runLatency(b, benchPlugin(b, true, g), "card", cardInput) })
	b.Run("sdk", func(b *testing.B) { runLatency(b, benchPlugin(b, false, g), "card", cardInput) })
}

// BenchmarkCallBreakdown shows what a Go plugin's card call is made of:
// the bare call, moving input and output, decoding the card input in the
// guest, one KV host call (request/response JSON in the guest), and the card
// (decode + KV call + encode).
func BenchmarkCallBreakdown(b *testing.B) {
	p := benchPlugin(b, true, services.Grant{KV: true})
	for _, c := range []struct {
		name, export string
		in           []byte
	}{
		{"noop", "noop", nil},
		{"echo-card-input", "echo", cardInput},
		{"decode-card-input", "decode", cardInput},
		{"kv-set", "kv", nil},
		{"card", "card", cardInput},
	} {
		b.Run(c.name, func(b *testing.B) { runLatency(b, p, c.export, c.in) })
	}
}

// BenchmarkThroughput reports calls per second with 1 and 2 callers.
func BenchmarkThroughput(b *testing.B) {
	for _, export := range []string{"noop", "card"} {
		for _, conc := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/c%d", export, conc), func(b *testing.B) {
				p := benchPlugin(b, true, services.Grant{KV: true})
				in := cardInput
				if export == "noop" {
					in = nil
				}
				runThroughput(b, p, export, in, conc)
			})
		}
	}
}

// runThroughput makes b.N*batch calls from conc goroutines and reports calls/s.
func runThroughput(b *testing.B, p *host.Plugin, export string, in []byte, conc int) {
	if err := p.Warm(context.Background(), conc); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	per := b.N * batch / conc
	b.ResetTimer()
	t0 := time.Now()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := p.Call(context.Background(), export, in); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(per*conc)/time.Since(t0).Seconds(), "calls/s")
}

// BenchmarkColdLoad measures Load (compile + first instance) with an empty
// and a warm compilation cache on disk.
func BenchmarkColdLoad(b *testing.B) {
	src, err := host.SourceFromBytes("cold", manifest("cold", host.Limits{}, services.Grant{}), hostileWasm)
	if err != nil {
		b.Fatal(err)
	}
	load := func(b *testing.B, dir string) {
		h, err := host.New(host.Options{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.LoadSource(context.Background(), src, host.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = h.Close(context.Background())
		b.StartTimer()
	}
	b.Run("no-cache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dir := b.TempDir()
			b.StartTimer()
			load(b, dir)
		}
	})
	b.Run("warm-cache", func(b *testing.B) {
		dir := b.TempDir()
		load(b, dir) // fills the cache
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			load(b, dir)
		}
	})
}

// BenchmarkIdleInstanceMemory reports the resident memory one idle,
// initialised instance costs (RSS delta over 8 instances).
func BenchmarkIdleInstanceMemory(b *testing.B) {
	const n = 8
	for i := 0; i < b.N; i++ {
		e := newEnv(b)
		p := e.load(b, manifest(fmt.Sprintf("mem%d", i), host.Limits{Instances: n + 1}, services.Grant{}))
		b.ReportMetric(idleInstanceMiB(b, p, n), "MiB/instance")
	}
}

// idleInstanceMiB warms n more idle instances of p (whose pool holds n+1
// and one idle instance) and returns the RSS growth per instance in MiB.
func idleInstanceMiB(b *testing.B, p *host.Plugin, n int) float64 {
	runtime.GC()
	before := rss()
	if err := p.Warm(context.Background(), n+1); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	after := rss()
	if idle := host.IdleInstances(p); idle != n+1 {
		b.Fatalf("idle = %d", idle)
	}
	return float64(after-before) / float64(n) / (1 << 20)
}

func rss() int64 {
	b, err := os.ReadFile(filepath.Join("/proc", "self", "statm"))
	if err != nil {
		return 0
	}
	var size, res int64
	fmt.Sscan(string(b), &size, &res)
	return res * int64(os.Getpagesize())
}
