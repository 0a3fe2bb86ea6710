package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/portico-dev/portico/host/services"
)

// Options configure a Host. The zero value works (no disk cache, no services).
type Options struct {
	// CacheDir holds wazero's compilation cache, shared by every plugin and
	// every process using the same directory. "" keeps the cache in memory.
	CacheDir string
	// Services back the host functions.
	Services services.Set
	Logger   *slog.Logger
	// Breaker parks failing plugins; zero = DefaultBreaker.
	Breaker BreakerConfig
	// Now is the clock (tests); nil = time.Now.
	Now func() time.Time
	// DisableFastPath makes every call go through extism-go-sdk's own
	// Plugin.CallWithContext (for comparison benchmarks).
	DisableFastPath bool
}

// Host loads plugins and serves their calls. It is safe for concurrent use.
type Host struct {
	opts  Options
	cache wazero.CompilationCache
	// compiled shares compiled plugins between loads of one module under one
	// binding (compcache.go); noShare turns that off (benchmarks).
	compiled compiledCache
	noShare  bool

	mu      sync.RWMutex
	plugins map[string]*Plugin
	closed  bool
}

// New returns a Host. Close releases its plugins and cache.
func New(opts Options) (*Host, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Services.Logger == nil {
		opts.Services.Logger = opts.Logger
	}
	if opts.Breaker.Failures <= 0 {
		opts.Breaker.Failures = DefaultBreaker.Failures
	}
	if opts.Breaker.Cooldown <= 0 {
		opts.Breaker.Cooldown = DefaultBreaker.Cooldown
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Host{opts: opts, plugins: map[string]*Plugin{}}
	if opts.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(opts.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("plugin host: compilation cache %s: %w", opts.CacheDir, err)
		}
		h.cache = c
	} else {
		h.cache = wazero.NewCompilationCache()
	}
	return h, nil
}

// LoadOptions say how one plugin is installed.
type LoadOptions struct {
	// Grant is what the operator granted; nil grants what the manifest asks
	// for (spec.permissions).
	Grant *services.Grant
	// Replace an already loaded plugin of the same name instead of failing.
	Replace bool
}

// Load reads, verifies, compiles and registers the plugin at path (a
// directory with plugin.yaml, or a bare .wasm).
func (h *Host) Load(ctx context.Context, path string, lo LoadOptions) (*Plugin, error) {
	src, err := ReadSource(path)
	if err != nil {
		return nil, err
	}
	return h.LoadSource(ctx, src, lo)
}

// LoadSource compiles and registers an already read Source.
func (h *Host) LoadSource(ctx context.Context, src *Source, lo LoadOptions) (*Plugin, error) {
	name := src.Manifest.Metadata.Name
	grant := src.Manifest.Spec.Permissions
	if lo.Grant != nil {
		grant = *lo.Grant
	}
	if err := ValidateGrant(grant); err != nil {
		return nil, fmt.Errorf("plugin %s: grant: %w", name, err)
	}
	h.mu.RLock()
	_, exists := h.plugins[name]
	closed := h.closed
	h.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	if exists && !lo.Replace {
		return nil, fmt.Errorf("plugin %s is already loaded", name)
	}
	p, err := compile(ctx, h, src, grant)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", name, err)
	}
	h.mu.Lock()
	old := h.plugins[name]
	h.plugins[name] = p
	h.mu.Unlock()
	if old != nil {
		_ = old.Close(ctx)
	}
	return p, nil
}

// Plugin returns a loaded plugin by name, or nil.
func (h *Host) Plugin(name string) *Plugin {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.plugins[name]
}

// Plugins returns the loaded plugins sorted by name.
func (h *Host) Plugins() []*Plugin {
	h.mu.RLock()
	ps := make([]*Plugin, 0, len(h.plugins))
	for _, p := range h.plugins {
		ps = append(ps, p)
	}
	h.mu.RUnlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name() < ps[j].Name() })
	return ps
}

// Unload closes and forgets a plugin.
func (h *Host) Unload(ctx context.Context, name string) error {
	h.mu.Lock()
	p := h.plugins[name]
	delete(h.plugins, name)
	h.mu.Unlock()
	if p == nil {
		return fmt.Errorf("plugin %s is not loaded", name)
	}
	return p.Close(ctx)
}

// Close unloads every plugin and closes the compilation cache.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	ps := h.plugins
	h.plugins, h.closed = map[string]*Plugin{}, true
	h.mu.Unlock()
	var errs []error
	for _, p := range ps {
		errs = append(errs, p.Close(ctx))
	}
	errs = append(errs, h.cache.Close(ctx))
	return errors.Join(errs...)
}
