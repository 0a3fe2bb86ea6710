package pluginadmin_test

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ggcr "github.com/google/go-containerregistry/pkg/registry"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/registry"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/pluginadmin"
	"github.com/portico-dev/portico/web/webtest"
)

func publish(t *testing.T, rm registry.Remote, ref, version, perms string) {
	t.Helper()
	dir := t.TempDir()
	wasm, err := os.ReadFile("../../host/testdata/abi/v1/c/plugin.wasm")
	if err != nil {
		t.Fatal(err)
	}
	yml := "apiVersion: portico.dev/v1\nkind: Plugin\nmetadata: {name: conf, version: " + version + "}\n" +
		"spec:\n  abi: 1\n  provides: [{card: {id: conformance}}]\n  permissions: " + perms + "\n"
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := registry.ParseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Publish(context.Background(), rm, dir, r, nil); err != nil {
		t.Fatal(err)
	}
}

func TestAdminAPI(t *testing.T) {
	ctx := context.Background()
	reg := httptest.NewServer(ggcr.New(ggcr.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	rm := registry.Remote{PlainHTTP: true}
	repo := strings.TrimPrefix(reg.URL, "http://") + "/plugins/conf"
	publish(t, rm, repo, "1.0.0", "{kv: true}")
	publish(t, rm, repo, "1.1.0", "{kv: true, search: true}")

	h, err := host.New(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	m := &registry.Manager{Data: t.TempDir(), Remote: rm, Compat: registry.Compat{ABIs: host.SupportedABIs(), HostVersion: "0.1.0"}}
	live := &registry.Live{Host: h, Manager: m}
	app := web.New(web.Options{Store: webtest.OpenStore(t), Areas: []web.Area{pluginadmin.New(pluginadmin.Options{Manager: m, Live: live})}})

	call := func(method, path, body string, wantStatus int) map[string]any {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, wantStatus)
		}
		var out map[string]any
		if len(b) > 0 {
			_ = json.Unmarshal(b, &out)
		}
		return out
	}

	got := call("POST", pluginadmin.Prefix, `{"ref":"`+repo+`:1.0.0","grants":["kv=true"]}`, http.StatusCreated)
	if got["version"] != "1.0.0" || got["loaded"] != true {
		t.Fatalf("install: %v", got)
	}
	if h.Plugin("conf") == nil || !h.Plugin("conf").Grant().KV {
		t.Fatal("install did not load the plugin with its grant")
	}
	// An upgrade asking for search waits for a grant; 1.0.0 keeps running.
	got = call("POST", pluginadmin.Prefix+"/conf/upgrade", `{}`, http.StatusOK)
	if got["version"] != "1.0.0" || got["pending"] == nil || got["notGranted"] == nil {
		t.Fatalf("upgrade: %v", got)
	}
	got = call("POST", pluginadmin.Prefix+"/conf/grant", `{"grants":["search=true"]}`, http.StatusOK)
	if got["version"] != "1.1.0" || got["pending"] != nil {
		t.Fatalf("grant: %v", got)
	}
	if p := h.Plugin("conf"); p.Manifest().Metadata.Version != "1.1.0" || !p.Grant().Search {
		t.Fatalf("running %s %+v", p.Manifest().Metadata.Version, p.Grant())
	}
	list := call("GET", pluginadmin.Prefix, "", http.StatusOK)
	if items := list["items"].([]any); len(items) != 1 {
		t.Fatalf("list %v", list)
	}
	insp := call("GET", pluginadmin.Prefix+"/inspect?ref="+repo+":1.0.0", "", http.StatusOK)
	if insp["version"] != "1.0.0" || insp["signed"] != false {
		t.Fatalf("inspect %v", insp)
	}
	// Bad input: a clear error and nothing lost.
	bad := call("POST", pluginadmin.Prefix, `{"ref":"`+repo+`:9.9.9"}`, http.StatusBadRequest)
	if msg := bad["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "not found") {
		t.Fatalf("missing tag: %v", bad)
	}
	call("POST", pluginadmin.Prefix, `{"ref":"x","bogus":1}`, http.StatusBadRequest)
	call("POST", pluginadmin.Prefix+"/nope/grant", `{"yes":true}`, http.StatusNotFound)
	call("DELETE", pluginadmin.Prefix+"/conf", "", http.StatusNoContent)
	if h.Plugin("conf") != nil {
		t.Fatal("removed plugin still loaded")
	}
	call("DELETE", pluginadmin.Prefix+"/conf", "", http.StatusNotFound)
}
