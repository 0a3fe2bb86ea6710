package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/portico-dev/portico/host"
)

// registryBin is distribution/distribution v3's registry, built by
// `make registry-bin` (PORTICO_REGISTRY_BIN overrides).
func registryBin(t *testing.T) string {
	t.Helper()
	p := os.Getenv("PORTICO_REGISTRY_BIN")
	if p == "" {
		p, _ = filepath.Abs("../../bin/registry")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("distribution registry binary missing under CI: %v (make registry-bin builds it)", err)
		}
		t.Skipf("distribution registry binary missing: %v (run `make registry-bin`)", err)
	}
	return p
}

// startDistribution runs the registry binary with htpasswd basic auth and
// returns its host:port; it stops with the test.
func startDistribution(t *testing.T, user, pass string) string {
	t.Helper()
	bin := registryBin(t)
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	htpasswd := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: %s}
  delete: {enabled: true}
http:
  addr: %s
auth:
  htpasswd: {realm: portico-test, path: %s}
`, filepath.Join(dir, "data"), addr, htpasswd)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true", "OTEL_METRICS_EXPORTER=none")
	logf, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		logf.Close()
	})
	// Ready when /v2/ asks for credentials.
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
			t.Fatalf("registry exited: %v\n%s", err, b)
		default:
		}
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDistributionEndToEnd(t *testing.T) {
	ctx := context.Background()
	addr := startDistribution(t, "portico", "s3cret")
	// A fault proxy in front of the real registry, to cut a pull midway.
	up, _ := url.Parse("http://" + addr)
	proxy := &faultProxy{next: httputil.NewSingleHostReverseProxy(up)}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	addr = strings.TrimPrefix(srv.URL, "http://")

	rm := Remote{PlainHTTP: true, Username: "portico", Password: "s3cret"}
	signer := testSigner(t)
	repo := addr + "/portico/conf"
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0", perms: "{kv: true}"}, repo, signer)
	publish(t, rm, pluginSpec{name: "conf", version: "1.1.0", perms: "{kv: true, catalog: read}"}, repo, signer)

	// Without credentials the registry refuses.
	anon := newManager(t, Remote{PlainHTTP: true, Username: "nobody", Password: "x"})
	if _, err := anon.Install(ctx, Request{Ref: repo + ":1.0.0"}); err == nil {
		t.Fatal("install with wrong credentials succeeded")
	}

	m := newManager(t, rm)
	m.Trust = Trust{Require: true, Keys: []TrustedKey{{Name: "acme", Public: signer.Public()}}}
	if _, err := m.Install(ctx, Request{Ref: repo + ":1.0.0", All: true}); err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	live := &Live{Host: h, Manager: m}
	if err := live.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	card, err := h.Plugin("conf").Card(ctx, "conformance", entity)
	if err != nil || card.Title != "Conformance: payments" {
		t.Fatalf("card %+v %v", card, err)
	}

	// Upgrade asks for catalog=read: pending until granted; 1.0.0 keeps serving.
	res, err := m.Upgrade(ctx, "conf", Request{})
	if err != nil || res.Pending == nil || res.Pending.Version != "1.1.0" {
		t.Fatalf("upgrade %+v %v", res, err)
	}
	_ = live.Reconcile(ctx)
	if v := h.Plugin("conf").Manifest().Metadata.Version; v != "1.0.0" {
		t.Fatalf("running %s", v)
	}
	if _, err := m.Grant(ctx, "conf", Request{Grants: []string{"catalog=read"}}); err != nil {
		t.Fatal(err)
	}
	_ = live.Reconcile(ctx)
	if p := h.Plugin("conf"); p.Manifest().Metadata.Version != "1.1.0" || !p.Grant().CatalogRead() || !p.Grant().KV {
		t.Fatalf("after grant: %s %+v", p.Manifest().Metadata.Version, p.Grant())
	}

	// A 1.2.0 whose module download is cut midway leaves 1.1.0 in place.
	dir := pluginDir(t, pluginSpec{name: "conf", version: "1.2.0", perms: "{kv: true, catalog: read}"})
	wasm, _ := os.ReadFile(filepath.Join(dir, "plugin.wasm"))
	wasm = append(wasm, 0x00, 0x05, 0x04, 'p', 'a', 'd', 0x01)
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := ParseRef(repo)
	if _, err := Publish(ctx, rm, dir, r, signer); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(m.lockPath())
	stored := storeDirs(t, m)
	proxy.set("", descriptor(MediaTypeWasm, wasm).Digest.String())
	if _, err := m.Upgrade(ctx, "conf", Request{}); err == nil {
		t.Fatal("upgrade through a cut connection succeeded")
	}
	after, _ := os.ReadFile(m.lockPath())
	if string(before) != string(after) || fmt.Sprint(storeDirs(t, m)) != fmt.Sprint(stored) {
		t.Fatalf("a failed pull changed the state: %v → %v", stored, storeDirs(t, m))
	}
	// A tampered module is refused too.
	proxy.set(descriptor(MediaTypeWasm, wasm).Digest.String(), "")
	if _, err := m.Upgrade(ctx, "conf", Request{}); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("tampered: %v", err)
	}
	// The registry going away altogether.
	proxy.set("", "")
	srv.CloseClientConnections()
	srv.Close()
	if _, err := m.Upgrade(ctx, "conf", Request{}); err == nil {
		t.Fatal("upgrade from a stopped registry succeeded")
	} else if errors.Is(err, ErrNotInstalled) {
		t.Fatal(err)
	}
	if v := h.Plugin("conf").Manifest().Metadata.Version; v != "1.1.0" {
		t.Fatalf("running %s", v)
	}
}
