package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServe runs the server on a config location, reads an entity through
// the API, imports a second location with `catalog import --server`, and
// shuts down on cancel.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "catalog/one.yaml", goodComponent)
	two := writeTestFile(t, dir, "catalog/two.yaml", strings.Replace(goodComponent, "name: svc", "name: svc-two", 1))
	cfg := writeTestFile(t, dir, "portico.yaml",
		"server:\n  data: ./data\ncatalog:\n  processingInterval: false\n  locations:\n    - type: file\n      target: catalog/one.yaml\n"+
			"auth:\n  guest: {enabled: true, role: admin}\n") // requests without credentials run as the guest
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() { done <- serve(ctx, cfg, addr, "", slog.New(slog.NewTextHandler(&logs, nil))) }()

	base := "http://" + addr
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ { // wait for the listener, not for a duration
		if resp, err = http.Get(base + "/api/catalog/entities/by-name/component/default/svc"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		cancel()
		t.Fatalf("server never answered: %v\n%s", err, logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ent struct {
		Metadata struct{ Annotations map[string]string } `json:"metadata"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &ent) != nil ||
		ent.Metadata.Annotations["backstage.io/managed-by-location"] != "file:"+filepath.Join(dir, "catalog", "one.yaml") {
		t.Errorf("by-name: %d %s", resp.StatusCode, body)
	}

	var out, errb bytes.Buffer
	if code := dispatch(ctx, []string{"catalog", "import", two, "--server", base}, &out, &errb); code != 0 {
		t.Errorf("import --server: code %d: %s %s", code, out.String(), errb.String())
	}
	if resp, err := http.Get(base + "/api/catalog/entities/by-name/component/default/svc-two"); err != nil || resp.StatusCode != 200 {
		t.Errorf("imported entity not served: %v %v", resp, err)
	}
	out.Reset()
	if code := dispatch(ctx, []string{"catalog", "import", two, "--server", base}, &out, &errb); code != 0 || !strings.Contains(out.String(), "refreshed") {
		t.Errorf("second import --server: code %d: %s %s", code, out.String(), errb.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(logs.String(), "catalog processed") || !strings.Contains(logs.String(), "entities=2") {
		t.Errorf("start-up counts not logged:\n%s", logs.String())
	}
}
