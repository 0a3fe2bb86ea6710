package host

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	extism "github.com/extism/go-sdk"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"github.com/portico-dev/portico/host/services"
)

// Plugin is one loaded plugin: its compiled module, its instance pool,
// breaker and metrics. It is safe for concurrent use.
type Plugin struct {
	h        *Host
	src      *Source
	grant    services.Grant
	limits   Limits
	compiled *extism.CompiledPlugin
	// shared holds compiled: possibly shared with other loads of the same
	// module and binding (compcache.go); closed by its last user.
	shared      *sharedCompiled
	releaseOnce sync.Once
	releaseErr  error
	pool        *pool
	breaker     *breaker
	metrics     *Metrics
	guard       *netGuard
	log         *slog.Logger
	exports     map[string]bool
}

// errDeadline is the cause of a call's own deadline (vs. the caller's).
var errDeadline = errors.New("plugin call deadline")

func compile(ctx context.Context, h *Host, src *Source, grant services.Grant) (*Plugin, error) {
	name := src.Manifest.Metadata.Name
	lim := src.Manifest.Spec.Limits.withDefaults()
	pages := uint32(lim.MemoryMiB * 16) // 64 KiB pages
	rc := wazero.NewRuntimeConfig().
		WithCompilationCache(h.cache).
		WithCloseOnContextDone(true).
		WithMemoryLimitPages(pages)
	man := extism.Manifest{
		Wasm: []extism.Wasm{extism.WasmData{Data: src.Wasm, Name: "main"}},
		Memory: &extism.ManifestMemory{
			MaxPages:             pages,
			MaxHttpResponseBytes: int64(lim.HTTPResponseKiB) * 1024,
			MaxVarBytes:          1 << 20,
		},
		AllowedHosts: append([]string(nil), grant.HTTP...),
	}
	log := h.opts.Logger.With("plugin", name)
	build := func() (*extism.CompiledPlugin, error) {
		fns := abis[src.ABI](name, grant, h.opts.Services, h.opts.Logger) // v1 names the plugin itself
		return extism.NewCompiledPlugin(ctx, man, extism.PluginConfig{RuntimeConfig: rc, EnableWasi: true, EnableHttpResponseHeaders: true}, fns)
	}
	var shared *sharedCompiled
	var err error
	if h.noShare {
		shared = &sharedCompiled{refs: 1}
		shared.cp, err = build()
	} else {
		shared, _, err = h.compiled.acquire(ctx, newCompiledKey(src, grant, lim), build)
	}
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	cp := shared.cp
	p := &Plugin{
		h: h, src: src, grant: grant, limits: lim, compiled: cp, shared: shared,
		breaker: &breaker{cfg: h.opts.Breaker, now: h.opts.Now},
		metrics: newMetrics(),
		guard:   newNetGuard(grant.HTTP),
		log:     log,
		exports: map[string]bool{},
	}
	p.pool = newPool(lim.Instances, p.newInstance)
	// Instantiate one to learn the exports and fail the load early on link errors.
	in, err := p.newInstance(ctx)
	if err != nil {
		_ = p.releaseCompiled(ctx)
		return nil, err
	}
	for name := range in.ext.Module().ExportedFunctions() {
		p.exports[name] = true
	}
	p.pool.slots <- struct{}{}
	p.pool.put(in, true)
	return p, nil
}

func (p *Plugin) newInstance(ctx context.Context) (*instance, error) {
	mc := wazero.NewModuleConfig().
		WithSysWalltime().WithSysNanotime().
		WithRandSource(rand.Reader)
	ext, err := p.compiled.Instance(ctx, extism.PluginInstanceConfig{ModuleConfig: mc})
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	ext.SetLogger(func(level extism.LogLevel, msg string) {
		p.log.Log(context.Background(), slogLevel(level), msg)
	})
	in := &instance{ext: ext}
	if !p.h.opts.DisableFastPath {
		if k, err := newKernel(ext); err == nil {
			in.k = k
			if err := k.initGuest(ctx); err != nil {
				_ = ext.Close(context.Background())
				return nil, fmt.Errorf("initialise guest: %w", err)
			}
			in.initialized = k.initialized
		} else {
			p.log.Warn("plugin call fast path unavailable; using the SDK's Call", "err", err)
		}
	}
	return in, nil
}

func slogLevel(l extism.LogLevel) slog.Level {
	switch l {
	case extism.LogLevelError:
		return slog.LevelError
	case extism.LogLevelWarn:
		return slog.LevelWarn
	case extism.LogLevelInfo:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// Warm creates and initialises idle instances until n exist (at most the
// pool size), so first calls do not pay for instantiation.
func (p *Plugin) Warm(ctx context.Context, n int) error {
	n = min(n, p.limits.Instances)
	var got []*instance
	defer func() {
		for _, in := range got {
			p.pool.put(in, true)
		}
	}()
	for p.pool.idleCount()+len(got) < n {
		in, err := p.pool.get(ctx)
		if err != nil {
			return err
		}
		got = append(got, in)
	}
	return nil
}

// Name is the plugin's metadata.name.
func (p *Plugin) Name() string { return p.src.Manifest.Metadata.Name }

// Manifest is the plugin's manifest (defaults for a bare .wasm).
func (p *Plugin) Manifest() *Manifest { return p.src.Manifest }

// Source is what was loaded (digest, ABI).
func (p *Plugin) Source() *Source { return p.src }

// Grant is what the plugin may use.
func (p *Plugin) Grant() services.Grant { return p.grant }

// Limits are the plugin's effective limits.
func (p *Plugin) Limits() Limits { return p.limits }

// Metrics are the plugin's counters.
func (p *Plugin) Metrics() *Metrics { return p.metrics }

// HasExport reports whether the module exports name.
func (p *Plugin) HasExport(name string) bool { return p.exports[name] }

// Parked reports whether the breaker currently refuses calls.
func (p *Plugin) Parked() bool { return p.breaker.parked() }

// Close discards every instance and lets go of the compiled module (closed
// unless another loaded plugin shares it).
func (p *Plugin) Close(ctx context.Context) error {
	p.pool.close(ctx)
	return p.releaseCompiled(ctx)
}

func (p *Plugin) releaseCompiled(ctx context.Context) error {
	p.releaseOnce.Do(func() {
		if p.h.noShare {
			p.releaseErr = p.compiled.Close(ctx)
			return
		}
		p.releaseErr = p.h.compiled.release(ctx, p.shared)
	})
	return p.releaseErr
}

// standardExports must return an ABI document ({"abi": 1, ...}).
var standardExports = map[string]bool{"card": true, "provide": true, "action": true, "check": true, "route": true, "collate": true}

// Call runs one export with input under the plugin's limits and returns its
// output. The caller identity (services.WithCaller) travels in ctx to the
// host functions. Every failure is a *CallError.
func (p *Plugin) Call(ctx context.Context, export string, input []byte) ([]byte, error) {
	start := time.Now()
	out, kind, detail := p.call(ctx, export, input)
	var err error
	if kind != nil {
		err = &CallError{Plugin: p.Name(), Export: export, Kind: kind, Detail: detail}
	}
	p.metrics.observe(time.Since(start), err, kind)
	return out, err
}

func (p *Plugin) call(ctx context.Context, export string, input []byte) (out []byte, kind error, detail string) {
	if !p.exports[export] {
		return nil, ErrNoExport, ""
	}
	if !p.breaker.allow() {
		return nil, ErrParked, ""
	}
	counted := true
	defer func() { p.breaker.done(kind != nil, counted && countsAsFailure(kind)) }()

	tctx, cancelT := context.WithTimeoutCause(ctx, p.limits.Timeout.D(), errDeadline)
	defer cancelT()
	cctx, cancel := context.WithCancelCause(tctx)
	defer cancel(nil)
	if len(p.grant.HTTP) > 0 {
		cctx = p.guard.wrap(cctx, cancel)
	}

	in, err := p.pool.get(cctx)
	if err != nil {
		var perm *PermissionError
		switch cause := context.Cause(cctx); {
		case errors.Is(cause, errDeadline):
			return nil, ErrTimeout, "no instance ready before the deadline"
		case errors.As(cause, &perm):
			return nil, ErrPermission, perm.Msg
		case cause != nil, errors.Is(err, ErrClosed):
			counted = false
			if cause != nil {
				return nil, cause, ""
			}
			return nil, ErrClosed, ""
		}
		// Instantiation itself failed (e.g. the guest's start trapped).
		return nil, ErrTrap, err.Error()
	}
	rc, out, err := in.call(cctx, export, input)
	if err == nil && rc != 0 {
		p.pool.put(in, true)
		return nil, ErrPluginFailed, fmt.Sprintf("export returned %d", rc)
	}
	if err != nil {
		kind, detail, healthy := p.classify(cctx, err)
		if kind == nil { // caller went away
			counted = false
			kind = context.Cause(ctx)
			if kind == nil {
				kind = ErrClosed
			}
		}
		p.pool.put(in, healthy)
		return nil, kind, detail
	}
	p.pool.put(in, true)
	if max := p.limits.OutputKiB * 1024; len(out) > max {
		return nil, ErrOutputTooLarge, fmt.Sprintf("%d bytes, limit %d", len(out), max)
	}
	if standardExports[export] {
		if err := checkABIDoc(out); err != nil {
			return nil, ErrBadOutput, err.Error()
		}
	}
	return out, nil, ""
}

// classify names a failed call's kind and whether its instance may be reused.
// kind nil means the caller's own context ended the call.
func (p *Plugin) classify(cctx context.Context, err error) (kind error, detail string, healthy bool) {
	cause := context.Cause(cctx)
	var perm *PermissionError
	switch {
	case errors.As(cause, &perm):
		return ErrPermission, perm.Msg, false
	case errors.Is(cause, errDeadline):
		return ErrTimeout, fmt.Sprintf("after %s", p.limits.Timeout.D()), false
	case cause != nil:
		return nil, "", false
	}
	msg := err.Error()
	var exit *sys.ExitError
	switch {
	case errors.As(err, &exit):
		return ErrTrap, fmt.Sprintf("module exited with code %d", exit.ExitCode()), false
	case strings.Contains(msg, "is not allowed"):
		return ErrPermission, firstLine(msg), false
	case strings.Contains(msg, "wasm error") || strings.Contains(msg, "wasm stack trace") || msg == "module is closed":
		return ErrTrap, firstLine(msg), false
	}
	// error_set by the plugin: its instance is intact.
	return ErrPluginFailed, msg, true
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func checkABIDoc(out []byte) error {
	var head struct {
		ABI *int `json:"abi"`
	}
	if err := json.Unmarshal(out, &head); err != nil {
		return fmt.Errorf("output is not a JSON object: %v", err)
	}
	if head.ABI == nil || *head.ABI != 1 {
		return errors.New(`output must carry "abi": 1`)
	}
	return nil
}
