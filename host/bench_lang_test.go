//go:build unix

package host_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
)

// benchLangs are the languages of BenchmarkLanguages, each a plugin under
// testdata/bench/<lang>/ built by `make plugins` (mk/benchplugins.mk).
var benchLangs = []string{"go", "c", "assemblyscript", "rust"}

// BenchmarkLanguages is issue 3's per-language matrix. Every bench plugin
// exports `noop` (writes {"abi":1}) and `card` (reads the input, makes exactly
// one host call, portico_kv_get_v1, and writes a one-field card):
//
//	<lang>/noop, <lang>/card1        warm call latency (p50/p99 per call)
//	<lang>/throughput-c1, -c2        card calls per second, 1 and 2 callers
//	<lang>/coldload-nocache          Load (read, sha256, compile, first
//	                                 instance) into a fresh Host, empty disk cache
//	<lang>/coldload-cache            the same from a warm disk cache
//	<lang>/reload-inprocess          Load with Replace in the same Host: the
//	                                 compiled plugin is shared (compcache.go)
//	<lang>/reload-noshare            the same with sharing off (wazero's own
//	                                 in-memory cache: decode + validate remain)
//	<lang>/idle-instance-MiB         resident memory of one idle instance
//
// Loads also report cpu-p50-ns: the process's CPU time (getrusage) per load,
// which a busy shared machine inflates far less than wall time. The file is
// unix-only for getrusage.
func BenchmarkLanguages(b *testing.B) {
	for _, lang := range benchLangs {
		b.Run(lang, func(b *testing.B) {
			dir := filepath.Join("testdata", "bench", lang)
			src, err := host.ReadSource(dir)
			if errors.Is(err, fs.ErrNotExist) {
				b.Skipf("bench plugin %s not built (%v): run `make plugins`", lang, err)
			}
			if err != nil {
				b.Fatal(err)
			}
			plugin := func(b *testing.B) *host.Plugin { return langPlugin(b, src) }
			b.Run("noop", func(b *testing.B) { runLatency(b, plugin(b), "noop", nil) })
			b.Run("card1", func(b *testing.B) { runLatency(b, plugin(b), "card", cardInput) })
			b.Run("throughput-c1", func(b *testing.B) { runThroughput(b, plugin(b), "card", cardInput, 1) })
			b.Run("throughput-c2", func(b *testing.B) { runThroughput(b, plugin(b), "card", cardInput, 2) })
			b.Run("coldload-nocache", func(b *testing.B) { runColdLoad(b, dir, "") })
			b.Run("coldload-cache", func(b *testing.B) {
				cache := b.TempDir()
				h, err := host.New(host.Options{CacheDir: cache})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := h.Load(context.Background(), dir, host.LoadOptions{}); err != nil { // fills the cache
					b.Fatal(err)
				}
				_ = h.Close(context.Background())
				runColdLoad(b, dir, cache)
			})
			b.Run("reload-inprocess", func(b *testing.B) { runReload(b, dir, true) })
			b.Run("reload-noshare", func(b *testing.B) { runReload(b, dir, false) })
			b.Run("idle-instance-MiB", func(b *testing.B) {
				const n = 8
				for i := 0; i < b.N; i++ {
					m := *src.Manifest
					m.Spec.Limits.Instances = n + 1
					msrc, err := host.SourceFromBytes(m.Metadata.Name, &m, src.Wasm)
					if err != nil {
						b.Fatal(err)
					}
					e := newEnv(b)
					p, err := e.h.LoadSource(context.Background(), msrc, host.LoadOptions{})
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(idleInstanceMiB(b, p, n), "MiB/instance")
				}
			})
		})
	}
}

// langPlugin loads src in a new Host (shared warm cache) with the KV value
// its card reads, and initialises two instances.
func langPlugin(b *testing.B, src *host.Source) *host.Plugin {
	e := newEnv(b)
	if err := e.mem.KVSet(context.Background(), src.Manifest.Metadata.Name, "k", []byte("!")); err != nil {
		b.Fatal(err)
	}
	p, err := e.h.LoadSource(context.Background(), src, host.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Warm(context.Background(), 2); err != nil {
		b.Fatal(err)
	}
	out, err := p.Call(context.Background(), "card", cardInput)
	if err != nil {
		b.Fatal(err)
	}
	if want := `"payments!"`; !bytes.Contains(out, []byte(want)) {
		b.Fatalf("card output %s lacks %s", out, want)
	}
	return p
}

// runColdLoad times Host.Load of dir into a fresh Host per op; cache "" means
// a new empty disk cache each time.
func runColdLoad(b *testing.B, dir, cache string) {
	var lat, cpu []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := cache
		if c == "" {
			var err error
			if c, err = os.MkdirTemp(b.TempDir(), "cache"); err != nil {
				b.Fatal(err)
			}
		}
		h, err := host.New(host.Options{CacheDir: c})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime()
		if _, err := h.Load(context.Background(), dir, host.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		lat, cpu = append(lat, time.Since(t0)), append(cpu, cpuTime()-c0)
		b.StopTimer()
		_ = h.Close(context.Background())
		b.StartTimer()
	}
	b.StopTimer()
	reportPercentiles(b, lat)
	reportCPU(b, cpu)
}

// runReload times Load with Replace of an already loaded dir in one Host.
func runReload(b *testing.B, dir string, share bool) {
	h, err := host.New(host.Options{CacheDir: cacheDir})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close(context.Background())
	if !share {
		host.DisableCompiledShare(h)
	}
	if _, err := h.Load(context.Background(), dir, host.LoadOptions{}); err != nil {
		b.Fatal(err)
	}
	var lat, cpu []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), cpuTime()
		if _, err := h.Load(context.Background(), dir, host.LoadOptions{Replace: true}); err != nil {
			b.Fatal(err)
		}
		lat, cpu = append(lat, time.Since(t0)), append(cpu, cpuTime()-c0)
	}
	b.StopTimer()
	reportPercentiles(b, lat)
	reportCPU(b, cpu)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, cpu []time.Duration) {
	if len(cpu) == 0 {
		return
	}
	sort.Slice(cpu, func(i, j int) bool { return cpu[i] < cpu[j] })
	b.ReportMetric(float64(cpu[len(cpu)/2].Nanoseconds()), "cpu-p50-ns")
}
