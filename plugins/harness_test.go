// Package plugins_test runs Portico's first-party plugins (pagerduty,
// grafana, kubernetes, ci) through the real plugin host — built for wasip1,
// stamped, loaded with their manifests — against internal/upstreams, the
// vendor API simulators, started with httptest. Cards are compared with
// golden files (testdata/*.golden.json in each plugin; -update rewrites them).
package plugins_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/internal/upstreams"
	"github.com/portico-dev/portico/pdk/go/plugintest"
)

var update = flag.Bool("update", false, "rewrite the golden files under plugins/*/testdata")

// Builds are cached by a hash of the plugin's sources, the plugin kit, the
// PDK, go.mod/go.sum and the Go version, in plugintest.CacheDir().
var (
	buildMu    sync.Mutex
	builds     = map[string]string{}
	buildTimes = map[string]time.Duration{}
)

func buildPlugin(t testing.TB, name string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	path, ok := builds[name]
	if !ok {
		start := time.Now()
		var err error
		path, err = build(name)
		if err != nil {
			t.Fatal(err)
		}
		builds[name] = path
		buildTimes[name] = time.Since(start)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func build(name string) (string, error) {
	dir, _ := filepath.Abs(name)
	key, err := sourceKey(dir, filepath.Join(filepath.Dir(dir), "internal", "kit"), filepath.Join(filepath.Dir(dir), "..", "pdk", "go"))
	if err != nil {
		return "", err
	}
	out := filepath.Join(plugintest.CacheDir(), "firstparty-"+name+"-"+key+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(plugintest.CacheDir(), 0o755); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", out, os.Getpid())
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", tmp, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build %s: %v\n%s", name, err, b)
	}
	if err := plugintest.StampFile(tmp); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return out, os.Rename(tmp, out)
}

func sourceKey(dirs ...string) (string, error) {
	h := sha256.New()
	ver, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", err
	}
	h.Write(ver)
	root := filepath.Join(dirs[0], "..", "..")
	files := []string{filepath.Join(root, "go.mod"), filepath.Join(root, "go.sum")}
	for _, d := range dirs {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() && p != d {
				return filepath.SkipDir
			}
			if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

// env is one plugin loaded into its own host, and a simulator.
type env struct {
	t      testing.TB
	name   string
	plugin *host.Plugin
	mem    *services.Memory
	up     *upstreams.Server
	url    string
}

type loadOpts struct {
	timeout time.Duration // overrides the manifest's limits.timeout
	secrets []string      // granted secrets (default: the manifest's)
}

func newEnv(t testing.TB, name string, o loadOpts) *env {
	t.Helper()
	wasm := buildPlugin(t, name)
	mb, err := os.ReadFile(filepath.Join(name, host.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := host.ParseManifest(mb)
	if err != nil {
		t.Fatal(err)
	}
	if o.timeout > 0 {
		m.Spec.Limits.Timeout = host.Duration(o.timeout)
	}
	src, err := host.SourceFromBytes(name, m, wasm)
	if err != nil {
		t.Fatal(err)
	}
	mem := services.NewMemory()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := host.New(host.Options{Services: mem.Set(), Logger: quiet, CacheDir: compileCache(t),
		Breaker: host.BreakerConfig{Failures: 1000, Cooldown: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	// The simulator listens on 127.0.0.1: the grant names that IP literal
	// instead of the vendor's host (a host name never unlocks loopback).
	grant := m.Spec.Permissions
	grant.HTTP = []string{"127.0.0.1"}
	if o.secrets != nil {
		grant.Secrets = o.secrets
	}
	p, err := h.LoadSource(context.Background(), src, host.LoadOptions{Grant: &grant})
	if err != nil {
		t.Fatal(err)
	}
	up := upstreams.New(upstreams.Options{})
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	return &env{t: t, name: name, plugin: p, mem: mem, up: up, url: srv.URL}
}

var (
	ccOnce sync.Once
	ccDir  string
)

// compileCache shares wazero's compilation cache between the tests of one run.
func compileCache(t testing.TB) string {
	ccOnce.Do(func() {
		d, err := os.MkdirTemp("", "portico-firstparty-cc-")
		if err == nil {
			ccDir = d
		}
	})
	return ccDir
}

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	code := m.Run()
	if testing.Verbose() {
		for n, d := range buildTimes {
			fmt.Printf("build %s: %s\n", n, d.Round(time.Millisecond))
		}
		fmt.Printf("plugins tests: %s\n", time.Since(start).Round(time.Millisecond))
	}
	if ccDir != "" {
		os.RemoveAll(ccDir)
	}
	os.Exit(code)
}

func (e *env) config(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.plugin.Manifest().ValidateConfig(b); err != nil {
		e.t.Fatalf("config does not match the manifest's schema: %v", err)
	}
	e.mem.SetConfig(e.name, b)
}

func (e *env) secret(name, value string) { e.mem.SetSecret(e.name, name, value) }

func ctxUser() context.Context {
	return services.WithCaller(context.Background(), services.Caller{UserRef: "user:default/jane", Claims: []string{"user:default/jane"}})
}

// card renders a card directly through the host (no cache).
func (e *env) card(cardID string, entity json.RawMessage) (*host.Card, error) {
	e.t.Helper()
	return e.plugin.Card(ctxUser(), cardID, entity)
}

func (e *env) mustCard(cardID string, entity json.RawMessage) *host.Card {
	e.t.Helper()
	c, err := e.card(cardID, entity)
	if err != nil {
		e.t.Fatalf("card %s: %v", cardID, err)
	}
	return c
}

type checkOut struct {
	Result, Message string
}

func (e *env) check(id string, entity json.RawMessage) (checkOut, error) {
	e.t.Helper()
	in, err := e.plugin.Input(ctxUser(), map[string]any{"check": id, "entity": entity})
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.plugin.Call(ctxUser(), "check", in)
	if err != nil {
		return checkOut{}, err
	}
	var c checkOut
	if err := json.Unmarshal(out, &c); err != nil {
		e.t.Fatal(err)
	}
	return c, nil
}

// entity builds a catalog Component with annotations.
func entity(name string, ann map[string]string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
		"metadata": map[string]any{"name": name, "namespace": "default", "annotations": ann},
		"spec":     map[string]any{"type": "service", "lifecycle": "production", "owner": "group:default/team-a"},
	})
	return b
}

// golden compares a card (with the entity it was rendered for) with
// <plugin>/testdata/<name>.golden.json.
// The simulator's random address is written as http://upstreams.test.
func (e *env) golden(t *testing.T, name string, ent json.RawMessage, card *host.Card) {
	t.Helper()
	doc := map[string]any{"entity": ent, "card": card}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = []byte(strings.ReplaceAll(string(got), e.url, "http://upstreams.test"))
	got = append(got, '\n')
	plugin := e.name
	path := filepath.Join(plugin, "testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./plugins -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("card differs from %s (go test ./plugins -update rewrites it):\n--- got\n%s", path, got)
	}
}

// cardText is every string of a card, for "never shows the token" checks.
func cardText(c *host.Card) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func requestsContaining(reqs []string, sub string) int {
	n := 0
	for _, r := range reqs {
		if strings.Contains(r, sub) {
			n++
		}
	}
	return n
}

func fmtAny(v any) string { return fmt.Sprintf("%v", v) }
