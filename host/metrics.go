package host

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
)

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = []float64{0.00001, 0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics counts one plugin's calls. All fields are updated atomically.
type Metrics struct {
	Calls, Errors, Timeouts, Parked atomic.Uint64
	buckets                         []atomic.Uint64 // len(latencyBuckets)+1 (+Inf)
	sumNanos                        atomic.Uint64
}

func newMetrics() *Metrics {
	return &Metrics{buckets: make([]atomic.Uint64, len(latencyBuckets)+1)}
}

func (m *Metrics) observe(d time.Duration, err error, kind error) {
	m.Calls.Add(1)
	if err != nil {
		m.Errors.Add(1)
	}
	switch kind {
	case ErrTimeout:
		m.Timeouts.Add(1)
	case ErrParked:
		m.Parked.Add(1)
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(latencyBuckets, s)
	m.buckets[i].Add(1)
	m.sumNanos.Add(uint64(d.Nanoseconds()))
}

// WriteMetrics writes every loaded plugin's metrics in the Prometheus text
// exposition format (version 0.0.4). web mounts it on /metrics.
func (h *Host) WriteMetrics(w io.Writer) error {
	ps := h.Plugins()
	bw := bufio.NewWriter(w)
	counter := func(name, help string, get func(*Plugin) uint64) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for _, p := range ps {
			fmt.Fprintf(bw, "%s{plugin=%q} %d\n", name, p.Name(), get(p))
		}
	}
	counter("portico_plugin_calls_total", "Plugin calls, by plugin.", func(p *Plugin) uint64 { return p.metrics.Calls.Load() })
	counter("portico_plugin_errors_total", "Plugin calls that failed.", func(p *Plugin) uint64 { return p.metrics.Errors.Load() })
	counter("portico_plugin_timeouts_total", "Plugin calls stopped at their deadline.", func(p *Plugin) uint64 { return p.metrics.Timeouts.Load() })
	counter("portico_plugin_parked_calls_total", "Calls refused because the plugin was parked.", func(p *Plugin) uint64 { return p.metrics.Parked.Load() })
	fmt.Fprintf(bw, "# HELP portico_plugin_parked Whether the breaker parks the plugin now.\n# TYPE portico_plugin_parked gauge\n")
	for _, p := range ps {
		v := 0
		if p.breaker.parked() {
			v = 1
		}
		fmt.Fprintf(bw, "portico_plugin_parked{plugin=%q} %d\n", p.Name(), v)
	}
	const hist = "portico_plugin_call_duration_seconds"
	fmt.Fprintf(bw, "# HELP %s Plugin call latency.\n# TYPE %s histogram\n", hist, hist)
	for _, p := range ps {
		var cum uint64
		for i, le := range latencyBuckets {
			cum += p.metrics.buckets[i].Load()
			fmt.Fprintf(bw, "%s_bucket{plugin=%q,le=%q} %d\n", hist, p.Name(), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		cum += p.metrics.buckets[len(latencyBuckets)].Load()
		fmt.Fprintf(bw, "%s_bucket{plugin=%q,le=\"+Inf\"} %d\n", hist, p.Name(), cum)
		fmt.Fprintf(bw, "%s_sum{plugin=%q} %s\n", hist, p.Name(), strconv.FormatFloat(float64(p.metrics.sumNanos.Load())/1e9, 'g', -1, 64))
		fmt.Fprintf(bw, "%s_count{plugin=%q} %d\n", hist, p.Name(), cum)
	}
	return bw.Flush()
}
