package plugins_test

import (
	"encoding/json"
	"sort"
	"testing"
	"time"
)

// BenchmarkCard times one uncached card call per first-party plugin against
// the simulators (the demo's identity-service annotations): the plugin's
// own work (input decoding, HTTP through the host, vendor JSON, the card)
// that an entity page waits for when its cards are not cached.
func BenchmarkCard(b *testing.B) {
	cases := []struct {
		plugin, card string
		env          func(testing.TB, loadOpts) *env
		ent          json.RawMessage
	}{
		{"pagerduty", "pagerduty", pdEnv, pdEntity("identity-service", "PWL20LD")},
		{"grafana", "grafana", gfEnv, gfEntity("identity-service")},
		{"kubernetes", "kubernetes", k8sEnv, k8sEntity("identity-service", "identity", "")},
		{"ci", "github-actions", ciEnv, ghEntity("acme-streaming/identity-service")},
	}
	for _, c := range cases {
		b.Run(c.plugin, func(b *testing.B) {
			e := c.env(b, loadOpts{})
			e.mustCard(c.card, c.ent) // a warm instance
			ds := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				e.mustCard(c.card, c.ent)
				ds = append(ds, time.Since(start))
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			b.ReportMetric(float64(ds[(len(ds)*95+99)/100-1].Microseconds())/1000, "p95-ms")
		})
	}
}
