package plugintest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// Harness is one plugin loaded into its own in-process host.
type Harness struct {
	Host   *host.Host
	Plugin *host.Plugin
	// Services back the host functions; fill them before calling.
	Services *services.Memory
}

// Options adjust New.
type Options struct {
	// Grant overrides the manifest's permissions.
	Grant *services.Grant
	// CompilationCacheDir shares wazero's compilation cache between tests.
	CompilationCacheDir string
}

// New builds the plugin in dir (plugin.yaml + Go main package) and loads it.
// The host is closed when the test ends.
func New(t testing.TB, dir string, opts ...Options) *Harness {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	wasm, err := BuildWasm(dir)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := os.ReadFile(filepath.Join(dir, host.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := host.ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	m.Spec.Module = nil // the freshly built module, not a pinned one
	code, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	src, err := host.SourceFromBytes(m.Metadata.Name, m, code)
	if err != nil {
		t.Fatal(err)
	}
	mem := services.NewMemory()
	h, err := host.New(host.Options{CacheDir: o.CompilationCacheDir, Services: mem.Set()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	p, err := h.LoadSource(context.Background(), src, host.LoadOptions{Grant: o.Grant})
	if err != nil {
		t.Fatal(err)
	}
	return &Harness{Host: h, Plugin: p, Services: mem}
}

// AddEntity adds an entity (any JSON-encodable value) to the catalog.
func (h *Harness) AddEntity(t testing.TB, entity any) json.RawMessage {
	t.Helper()
	b := mustJSON(t, entity)
	if err := h.Services.AddEntity(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Card renders the plugin's card for entity as user ("" = system call).
func (h *Harness) Card(t testing.TB, cardID string, entity any, user string) (*host.Card, error) {
	t.Helper()
	ctx := context.Background()
	if user != "" {
		ctx = services.WithCaller(ctx, services.Caller{UserRef: user, Claims: []string{user}})
	}
	return h.Plugin.Card(ctx, cardID, mustJSON(t, entity))
}

// Call runs an export with an input document built from fields (abi, plugin
// and user are filled in) and returns the raw output.
func (h *Harness) Call(t testing.TB, export string, fields map[string]any) ([]byte, error) {
	t.Helper()
	ctx := context.Background()
	in, err := h.Plugin.Input(ctx, fields)
	if err != nil {
		t.Fatal(err)
	}
	return h.Plugin.Call(ctx, export, in)
}

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	switch x := v.(type) {
	case json.RawMessage:
		return x
	case []byte:
		return x
	case string:
		return json.RawMessage(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
