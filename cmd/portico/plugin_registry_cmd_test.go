package main

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func regCLI(t *testing.T, want int, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), args, &out, &errb); code != want {
		t.Fatalf("portico %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

func TestPluginRegistryCLI(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "keys", "acme.key")
	regCLI(t, 0, "plugin", "keygen", key)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "portico.yaml")
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(cfg, []byte("server: {data: "+data+"}\ntrust:\n  require: true\n  keys: [{name: acme, publicKey: "+strings.TrimSpace(string(pub))+"}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	layout := "oci:" + filepath.Join(dir, "bundle")
	src := "../../host/testdata/abi/v1/c"
	out := regCLI(t, 0, "plugin", "publish", src, layout, "--sign", key)
	if !strings.Contains(out, "published conformance-c 1.0.0") || !strings.Contains(out, "signed with ed25519:") {
		t.Fatalf("publish: %s", out)
	}
	out = regCLI(t, 0, "plugin", "inspect", layout)
	if !strings.Contains(out, "permissions: catalog=read,search=true,kv=true,secret=token") || !strings.Contains(out, "signed by") {
		t.Fatalf("inspect: %s", out)
	}
	out = regCLI(t, 0, "plugin", "install", layout+":1.0.0", "--config", cfg, "--grant", "kv=true", "--grant=catalog=read")
	if !strings.Contains(out, "granted:  catalog=read,kv=true") || !strings.Contains(out, "not granted: search=true,secret=token") || !strings.Contains(out, "signed by: acme") {
		t.Fatalf("install: %s", out)
	}
	out = regCLI(t, 0, "plugin", "list", "--config", cfg)
	if !strings.Contains(out, "conformance-c") || !strings.Contains(out, "acme") {
		t.Fatalf("list: %s", out)
	}

	// serve's wiring loads it and mounts the admin API.
	rt, err := openRuntime(context.Background(), cfg, "", newLogger(io.Discard), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.store.Close()
	app := fiber.New()
	stop := startPlugins(context.Background(), rt, app)
	if p := pluginHost(rt).Plugin("conformance-c"); p == nil || !p.Grant().KV || p.Grant().Search {
		t.Fatalf("serve did not load the installed plugin with its grant: %v", p)
	}
	resp, err := app.Test(httptest.NewRequest("GET", "/api/admin/plugins", nil), -1)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin API: %v %v", resp, err)
	}
	// The host's metrics are served for Prometheus, one series set per plugin.
	resp, err = app.Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %v %v", resp, err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(metrics), `plugin="conformance-c"`) || !strings.Contains(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics does not expose the plugin's series:\n%s", metrics)
	}
	stop()

	regCLI(t, 0, "plugin", "grant", "conformance-c", "--config", cfg, "--yes")
	regCLI(t, 0, "plugin", "remove", "conformance-c", "--config", cfg)
	out = regCLI(t, 1, "plugin", "remove", "conformance-c", "--config", cfg)
	if !strings.Contains(out, "not installed") {
		t.Fatalf("remove twice: %s", out)
	}
	// An unsigned plugin is refused under trust.require.
	regCLI(t, 0, "plugin", "publish", src, "oci:"+filepath.Join(dir, "unsigned"))
	out = regCLI(t, 1, "plugin", "install", "oci:"+filepath.Join(dir, "unsigned"), "--config", cfg)
	if !strings.Contains(out, "unsigned") {
		t.Fatalf("unsigned: %s", out)
	}
	regCLI(t, 2, "plugin", "install", "--bogus")
	regCLI(t, 2, "plugin", "publish", src)
	regCLI(t, 0, "plugin", "run", "--help")
}
