package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveUntilCleanup runs serve on addr until the test ends and waits until
// it answers /healthz; the returned buffer collects its logs.
func serveUntilCleanup(t *testing.T, cfg, addr string) *bytes.Buffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logs := &bytes.Buffer{}
	go func() { done <- serve(ctx, cfg, addr, "", slog.New(slog.NewTextHandler(logs, nil))) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	for range 400 { // wait for the listener, not for a duration
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return logs
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve never answered:\n%s", logs.String())
	return nil
}

// TestServeWithOIDC: serve wires auth from the config; the provider is
// discovered on the first sign-in, so an unreachable one does not stop the
// portal: the sign-in page offers it and /auth/login explains the failure.
func TestServeWithOIDC(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := writeTestFile(t, dir, "portico.yaml", "server:\n  data: ./data\n  listen: \""+addr+"\"\ncatalog:\n  processingInterval: false\n"+
		"auth:\n  oidc: {issuer: \"http://127.0.0.1:9/realm\", clientId: portico, title: Acme SSO}\n")
	logs := serveUntilCleanup(t, cfg, addr)
	base := "http://" + addr
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string, string) {
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, "", err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	if code, _, body := get("/auth/sign-in?redirect=/catalog"); code != 200 || !strings.Contains(body, "Sign in with Acme SSO") {
		t.Errorf("sign-in page: %d\n%s\n%s", code, body, logs.String())
	}
	if code, loc, _ := get("/catalog"); code != http.StatusSeeOther || loc != "/auth/sign-in?redirect=%2Fcatalog" {
		t.Errorf("page without a session: %d %q", code, loc)
	}
	if code, _, _ := get("/api/catalog/entities"); code != 401 {
		t.Errorf("API without credentials: %d", code)
	}
	if code, _, body := get("/auth/login"); code != http.StatusBadGateway || !strings.Contains(body, "could not be reached") {
		t.Errorf("login with the provider down: %d\n%s", code, body)
	}
	if !strings.Contains(logs.String(), "oidc=true") {
		t.Errorf("auth set-up not logged:\n%s", logs.String())
	}
}
