package host_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/pdk/go/plugintest"
)

// hostileWasm is the module built from testdata/hostile (cached by source hash).
var hostileWasm []byte

// cacheDir is a compilation cache shared by this package's tests.
var cacheDir string

func TestMain(m *testing.M) {
	path, err := plugintest.BuildWasm("testdata/hostile")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if hostileWasm, err = os.ReadFile(path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "portico-host-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = filepath.Join(dir, "cache")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// manifest returns a manifest named name with the given limits and grant.
func manifest(name string, lim host.Limits, grant services.Grant) *host.Manifest {
	return &host.Manifest{
		APIVersion: "portico.dev/v1", Kind: "Plugin",
		Metadata: host.Metadata{Name: name, Version: "1.0.0"},
		Spec:     host.Spec{ABI: 1, Limits: lim, Permissions: grant},
	}
}

type env struct {
	h   *host.Host
	mem *services.Memory
}

func newEnv(t testing.TB, opts ...func(*host.Options)) *env {
	t.Helper()
	mem := services.NewMemory()
	o := host.Options{CacheDir: cacheDir, Services: mem.Set()}
	for _, f := range opts {
		f(&o)
	}
	h, err := host.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return &env{h: h, mem: mem}
}

// load loads the hostile module under a manifest.
func (e *env) load(t testing.TB, m *host.Manifest) *host.Plugin {
	t.Helper()
	src, err := host.SourceFromBytes(m.Metadata.Name, m, hostileWasm)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.h.LoadSource(context.Background(), src, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
