package host_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// BenchmarkCorpusCard compares languages: each frozen corpus plugin renders
// the card of the payments fixture (catalog get, config, secret, KV get+set
// and log: six host calls) and loads from a warm compilation cache.
func BenchmarkCorpusCard(b *testing.B) {
	dirs, _ := filepath.Glob("testdata/abi/v1/*/plugin.yaml")
	var fx fixture
	readJSON(&testing.T{}, "testdata/abi/v1/fixture.json", &fx)
	for _, mf := range dirs {
		dir := filepath.Dir(mf)
		src, err := host.ReadSource(dir)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(dir)+"/card", func(b *testing.B) {
			mem := services.NewMemory()
			var payments json.RawMessage
			for _, e := range fx.Entities {
				_ = mem.AddEntity(e)
			}
			payments, _ = mem.Entity(context.Background(), services.Caller{}, "component:default/payments")
			mem.SetConfig(src.Manifest.Metadata.Name, fx.Config)
			h, err := host.New(host.Options{CacheDir: cacheDir, Services: mem.Set()})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close(context.Background())
			p, err := h.LoadSource(context.Background(), src, host.LoadOptions{})
			if err != nil {
				b.Fatal(err)
			}
			in, _ := p.Input(context.Background(), map[string]any{"card": "conformance", "entity": payments})
			runLatency(b, p, "card", in)
		})
		b.Run(filepath.Base(dir)+"/load-warm-cache", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				h, err := host.New(host.Options{CacheDir: cacheDir})
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if _, err := h.LoadSource(context.Background(), src, host.LoadOptions{}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(time.Since(t0).Microseconds())/1000, "load-ms")
				_ = h.Close(context.Background())
			}
		})
	}
}
