package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

var quick = host.Limits{MemoryMiB: 64, Timeout: host.Duration(2 * time.Second), Instances: 2}

// healthy asserts that a plugin on the same host still answers.
func healthy(t *testing.T, e *env) {
	t.Helper()
	p := e.h.Plugin("healthy")
	if p == nil {
		p = e.load(t, manifest("healthy", quick, services.Grant{}))
	}
	out, err := p.Call(context.Background(), "echo", []byte(`{"ok":true}`))
	if err != nil || string(out) != `{"ok":true}` {
		t.Fatalf("healthy plugin: out=%s err=%v", out, err)
	}
}

func call(t *testing.T, p *host.Plugin, export string, in any) ([]byte, error) {
	t.Helper()
	b, _ := json.Marshal(in)
	return p.Call(context.Background(), export, b)
}

func TestNoopAndEcho(t *testing.T) {
	e := newEnv(t)
	p := e.load(t, manifest("basic", quick, services.Grant{}))
	for i := 0; i < 3; i++ { // first call initialises the guest, later ones take the fast path
		out, err := p.Call(context.Background(), "echo", []byte(`{"i":1}`))
		if err != nil || string(out) != `{"i":1}` {
			t.Fatalf("call %d: out=%q err=%v", i, out, err)
		}
		if out, err := p.Call(context.Background(), "noop", nil); err != nil || len(out) != 0 {
			t.Fatalf("noop %d: out=%q err=%v", i, out, err)
		}
	}
	if _, err := p.Call(context.Background(), "nope", nil); !errors.Is(err, host.ErrNoExport) {
		t.Fatalf("unknown export: %v", err)
	}
	_, err := p.Call(context.Background(), "fail", nil)
	if !errors.Is(err, host.ErrPluginFailed) || !strings.Contains(err.Error(), "deliberate failure") {
		t.Fatalf("fail: %v", err)
	}
	// The instance survives its own error_set.
	if out, err := p.Call(context.Background(), "echo", []byte(`{}`)); err != nil || string(out) != `{}` {
		t.Fatalf("after fail: %q %v", out, err)
	}
}

func TestFastPathAvailable(t *testing.T) {
	// The fast path reads extism-go-sdk internals; this fails loudly when an
	// SDK upgrade moves them (calls would still work, slowly).
	e := newEnv(t)
	p := e.load(t, manifest("fast", quick, services.Grant{}))
	if !host.FastPath(p) {
		t.Fatal("call fast path unavailable with this extism go-sdk")
	}
}

func TestHostileCallsEndAsErrors(t *testing.T) {
	e := newEnv(t, func(o *host.Options) { o.Breaker.Failures = 100 })
	lim := host.Limits{MemoryMiB: 32, Timeout: host.Duration(1500 * time.Millisecond), Instances: 1, OutputKiB: 64}
	p := e.load(t, manifest("hostile", lim, services.Grant{}))
	for _, c := range []struct {
		export string
		input  any
		kind   error
		alt    error // unbounded recursion may exhaust memory or the deadline first
	}{
		{"loop", nil, host.ErrTimeout, nil},
		{"grow", nil, host.ErrTrap, host.ErrTimeout}, // the Go GC may thrash near the cap until the deadline
		{"trap", nil, host.ErrTrap, nil},
		{"recurse", nil, host.ErrTrap, host.ErrTimeout},
		{"out", map[string]int{"n": 200 << 20}, host.ErrTrap, nil}, // 200 MB cannot fit in 32 MiB
		{"out", map[string]int{"n": 65*1024 + 1}, host.ErrOutputTooLarge, nil},
	} {
		t.Run(c.export, func(t *testing.T) {
			// The kind proves the limit ended the call: a timeout is the
			// deadline's doing, a trap the memory cap's or the guest's.
			_, err := call(t, p, c.export, c.input)
			if !errors.Is(err, c.kind) && (c.alt == nil || !errors.Is(err, c.alt)) {
				t.Fatalf("err = %v, want %v", err, c.kind)
			}
			healthy(t, e)
			// The same plugin serves again on a fresh instance.
			if out, err := p.Call(context.Background(), "echo", []byte(`1`)); err != nil || string(out) != "1" {
				t.Fatalf("after %s: %q %v", c.export, out, err)
			}
		})
	}
}

func TestConcurrentCallsAndPoolBound(t *testing.T) {
	e := newEnv(t)
	p := e.load(t, manifest("conc", host.Limits{Instances: 2}, services.Grant{}))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			in := fmt.Sprintf(`{"i":%d}`, i)
			out, err := p.Call(context.Background(), "echo", []byte(in))
			if err == nil && string(out) != in {
				err = fmt.Errorf("got %s want %s", out, in)
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := host.IdleInstances(p); n < 1 || n > 2 {
		t.Fatalf("idle instances = %d, want 1..2", n)
	}
}

func TestWarm(t *testing.T) {
	e := newEnv(t)
	p := e.load(t, manifest("warm", host.Limits{Instances: 3}, services.Grant{}))
	if err := p.Warm(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if n := host.IdleInstances(p); n != 3 {
		t.Fatalf("idle = %d, want the pool size 3", n)
	}
	if !host.FastPath(p) {
		t.Fatal("warmed instances are not on the fast path")
	}
	if out, err := p.Call(context.Background(), "echo", []byte("7")); err != nil || string(out) != "7" {
		t.Fatalf("%q %v", out, err)
	}
}

func TestPoolWaitEndsAtDeadline(t *testing.T) {
	e := newEnv(t)
	p := e.load(t, manifest("busy", host.Limits{Instances: 1, Timeout: host.Duration(time.Second)}, services.Grant{}))
	done := make(chan error, 1)
	go func() { _, err := p.Call(context.Background(), "loop", nil); done <- err }()
	for host.IdleInstances(p) != 0 { // wait until the loop holds the only instance
		time.Sleep(time.Millisecond)
	}
	// A caller whose own deadline ends while waiting for an instance gets
	// its context's error, not a plugin failure.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := p.Call(ctx, "noop", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting call: %v", err)
	}
	if err := <-done; !errors.Is(err, host.ErrTimeout) {
		t.Fatalf("looping call: %v", err)
	}
	if _, err := p.Call(context.Background(), "noop", nil); err != nil {
		t.Fatalf("after the timeout: %v", err)
	}
}

func TestBreakerParksAndHalfOpens(t *testing.T) {
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, func(o *host.Options) {
		o.Breaker = host.BreakerConfig{Failures: 3, Cooldown: time.Minute}
		o.Now = clock
	})
	p := e.load(t, manifest("flaky", quick, services.Grant{}))
	for i := 0; i < 3; i++ {
		if _, err := p.Call(context.Background(), "fail", nil); !errors.Is(err, host.ErrPluginFailed) {
			t.Fatalf("fail %d: %v", i, err)
		}
	}
	if _, err := p.Call(context.Background(), "echo", []byte("1")); !errors.Is(err, host.ErrParked) || !p.Parked() {
		t.Fatalf("after 3 failures: %v parked=%v", err, p.Parked())
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	// Half-open: one trial; it fails, so the plugin is parked again.
	if _, err := p.Call(context.Background(), "fail", nil); !errors.Is(err, host.ErrPluginFailed) {
		t.Fatalf("trial: %v", err)
	}
	if _, err := p.Call(context.Background(), "echo", []byte("1")); !errors.Is(err, host.ErrParked) {
		t.Fatalf("after failed trial: %v", err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if out, err := p.Call(context.Background(), "echo", []byte("1")); err != nil || string(out) != "1" {
		t.Fatalf("successful trial: %q %v", out, err)
	}
	if p.Parked() {
		t.Fatal("still parked after a successful trial")
	}
}

func TestSecretsAndGrants(t *testing.T) {
	e := newEnv(t)
	e.mem.SetSecret("owner", "token", "s3cret")
	e.mem.SetSecret("thief", "mine", "m")
	owner := e.load(t, manifest("owner", quick, services.Grant{Secrets: []string{"token"}}))
	thief := e.load(t, manifest("thief", quick, services.Grant{Secrets: []string{"mine"}}))

	var got struct {
		Value string
		Found bool
		Error string
	}
	out, err := call(t, owner, "secret", map[string]string{"name": "token"})
	if err != nil || json.Unmarshal(out, &got) != nil || got.Value != "s3cret" {
		t.Fatalf("owner: %s %v", out, err)
	}
	// Another plugin cannot name it: not granted, and its namespace is its own.
	out, err = call(t, thief, "secret", map[string]string{"name": "token"})
	if err != nil || json.Unmarshal(out, &got) != nil || got.Value != "" || !strings.Contains(got.Error, "permission_denied") {
		t.Fatalf("thief: %s %v", out, err)
	}
	// A host function outside the grant answers an error document; no crash.
	out, err = call(t, thief, "kv", nil)
	if err != nil || !strings.Contains(string(out), "permission_denied: kv not granted") {
		t.Fatalf("kv without grant: %s %v", out, err)
	}
	healthy(t, e)
}

func TestHTTPGrants(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 100
		if r.URL.Path == "/big" {
			n = 3000
		}
		fmt.Fprint(w, strings.Repeat("y", n))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	e := newEnv(t)
	lim := host.Limits{Timeout: host.Duration(3 * time.Second), Instances: 1, HTTPResponseKiB: 2}
	for _, c := range []struct {
		name  string
		grant []string
		url   string
		ok    bool
		want  string
	}{
		{"granted ip literal", []string{"127.0.0.1"}, srv.URL, true, `"len":100`},
		{"response over the cap", []string{"127.0.0.1"}, srv.URL + "/big", false, "too large"},
		{"loopback by name", []string{"localhost"}, "http://localhost:" + port, false, "loopback"},
		{"loopback ip under wildcard", []string{"*"}, srv.URL, false, "loopback"},
		{"metadata address", []string{"*"}, "http://169.254.169.254/latest/meta-data/", false, "link-local"},
		{"private address", []string{"*"}, "http://10.1.2.3/", false, "private"},
		{"host not granted", []string{"api.example.com"}, srv.URL, false, "not allowed"},
		{"nothing granted", nil, "http://example.com/", false, "not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := e.load(t, manifest("http-"+strings.ReplaceAll(strings.ToLower(strings.ReplaceAll(c.name, " ", "-")), "_", "-"), lim, services.Grant{HTTP: c.grant}))
			out, err := call(t, p, "http", map[string]string{"url": c.url})
			if c.ok {
				if err != nil || !strings.Contains(string(out), c.want) {
					t.Fatalf("out=%s err=%v", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want an error mentioning %q", err, c.want)
			}
			if c.want != "too large" && !errors.Is(err, host.ErrPermission) {
				t.Fatalf("err = %v, want a permission error", err)
			}
			healthy(t, e)
		})
	}
}

func TestMetricsText(t *testing.T) {
	e := newEnv(t)
	p := e.load(t, manifest("metered", quick, services.Grant{}))
	_, _ = p.Call(context.Background(), "noop", nil)
	_, _ = p.Call(context.Background(), "fail", nil)
	var b strings.Builder
	if err := e.h.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`portico_plugin_calls_total{plugin="metered"} 2`,
		`portico_plugin_errors_total{plugin="metered"} 1`,
		`portico_plugin_timeouts_total{plugin="metered"} 0`,
		`portico_plugin_call_duration_seconds_count{plugin="metered"} 2`,
		`portico_plugin_call_duration_seconds_bucket{plugin="metered",le="+Inf"} 2`,
		"# TYPE portico_plugin_call_duration_seconds histogram",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}
