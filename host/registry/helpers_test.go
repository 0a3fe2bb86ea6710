package registry

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
)

// corpusWasm is the frozen ABI v1 conformance plugin built with pdk/c: always
// in the repository, small, and it renders a card.
const corpusWasm = "../testdata/abi/v1/c/plugin.wasm"

// faultProxy sits in front of a real registry and can tamper with or cut
// the download of one blob.
type faultProxy struct {
	next http.Handler
	mu   sync.Mutex
	// tamper flips a byte of this blob; cut sends half of it and drops the connection.
	tamper, cut string
	fetched     map[string]int
}

func (p *faultProxy) set(tamper, cut string) {
	p.mu.Lock()
	p.tamper, p.cut = tamper, cut
	p.mu.Unlock()
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	tamper, cut := p.tamper, p.cut
	if p.fetched == nil {
		p.fetched = map[string]int{}
	}
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		p.fetched[r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]]++
	}
	p.mu.Unlock()
	isBlob := func(d string) bool {
		return d != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d)
	}
	if !isBlob(tamper) && !isBlob(cut) {
		p.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	if isBlob(tamper) {
		body = bytes.Clone(body)
		body[len(body)/2] ^= 0xff
		_, _ = w.Write(body)
		return
	}
	_, _ = w.Write(body[:len(body)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler) // the registry goes away mid-blob
}

// startRegistry starts go-containerregistry's registry behind a fault proxy
// and returns its host:port.
func startRegistry(t *testing.T) (string, *faultProxy) {
	t.Helper()
	p := &faultProxy{next: ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), p
}

type pluginSpec struct {
	name, version string
	abi           int
	perms         string // YAML flow mapping, e.g. "{kv: true}"
	requires      string
}

func (s pluginSpec) yaml() string {
	if s.abi == 0 {
		s.abi = 1
	}
	if s.perms == "" {
		s.perms = "{}"
	}
	y := "apiVersion: portico.dev/v1\nkind: Plugin\nmetadata: {name: " + s.name + ", version: " + s.version + "}\n" +
		"spec:\n  abi: " + strconv.Itoa(s.abi) + "\n  provides:\n    - card: {id: conformance, title: Conformance}\n" +
		"  permissions: " + s.perms + "\n  limits: {memoryMiB: 64, timeout: 10s}\n"
	if s.requires != "" {
		y += "  requires: {portico: \"" + s.requires + "\"}\n"
	}
	return y
}

// pluginDir writes a plugin directory with the corpus module.
func pluginDir(t *testing.T, s pluginSpec) string {
	t.Helper()
	wasm, err := os.ReadFile(corpusWasm)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(s.yaml()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func publish(t *testing.T, rm Remote, s pluginSpec, ref string, signer *Signer) *Published {
	t.Helper()
	r, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Publish(context.Background(), rm, pluginDir(t, s), r, signer)
	if err != nil {
		t.Fatalf("publish %s: %v", ref, err)
	}
	return p
}

// pushRaw pushes an artifact without Publish's checks (a wrong ABI, an older
// layer media type).
func pushRaw(t *testing.T, rm Remote, ref string, yml string, wasmMediaType string) {
	t.Helper()
	ctx := context.Background()
	r, err := ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := rm.open(r, true)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(corpusWasm)
	if err != nil {
		t.Fatal(err)
	}
	cfg := []byte(`{"architecture":"wasm","os":"wasip1"}`)
	cd, wd, yd := descriptor(MediaTypeWasmConfig, cfg), descriptor(wasmMediaType, wasm), descriptor(MediaTypePluginManifest, []byte(yml))
	for _, b := range []struct {
		d    ocispec.Descriptor
		data []byte
	}{{cd, cfg}, {wd, wasm}, {yd, []byte(yml)}} {
		if err := pushBlob(ctx, tg, b.d, b.data); err != nil {
			t.Fatal(err)
		}
	}
	desc, err := oras.PackManifest(ctx, tg, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{ConfigDescriptor: &cd, Layers: []ocispec.Descriptor{wd, yd}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Tag(ctx, desc, r.Tag); err != nil {
		t.Fatal(err)
	}
}

func newManager(t *testing.T, rm Remote) *Manager {
	return &Manager{Data: t.TempDir(), Remote: rm, Compat: Compat{ABIs: []int{1}, HostVersion: "0.1.0-dev"}}
}

// storeDirs lists DATA/plugins/store/NAME/* and tmp/*.
func storeDirs(t *testing.T, m *Manager) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"store/*/*", "tmp/*"} {
		got, _ := filepath.Glob(filepath.Join(m.root(), pat))
		for _, g := range got {
			rel, _ := filepath.Rel(m.root(), g)
			out = append(out, rel)
		}
	}
	return out
}

// claimingSigner signs with one key and names another.
type claimingSigner struct {
	*Signer
	claim string
}

func (c *claimingSigner) KeyID() string { return c.claim }
