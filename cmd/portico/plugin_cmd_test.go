package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const corpusPlugin = "../../host/testdata/abi/v1/go-conformance"

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), append([]string{"plugin", "run"}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func TestPluginRun(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "cache")
	input := filepath.Join(dir, "in.json")
	os.WriteFile(input, []byte(`{"action":"x","input":{"key":"k","value":"v"}}`), 0o644)

	out, errs, code := runCLI(t, corpusPlugin, "action", input, "--cache-dir", cache)
	if code != 0 || !strings.Contains(out, `"value":"v"`) {
		t.Fatalf("code=%d out=%s err=%s", code, out, errs)
	}
	// Grants replace the manifest's permissions: without kv the action fails.
	out, errs, code = runCLI(t, corpusPlugin, "action", input, "--grant", "catalog=read", "--cache-dir", cache)
	if code != 1 || !strings.Contains(errs, "permission_denied") {
		t.Fatalf("code=%d out=%s err=%s", code, out, errs)
	}
	// A bare .wasm runs with default limits and no permissions.
	wasm := filepath.Join(dir, "conf.wasm")
	b, _ := os.ReadFile(filepath.Join(corpusPlugin, "plugin.wasm"))
	os.WriteFile(wasm, b, 0o644)
	out, errs, code = runCLI(t, wasm, "probe", input, "--cache-dir="+cache, "--grant", "secret=token", "--secret", "token=x")
	if code != 0 || !strings.Contains(out, `"secret_get":"ok"`) || !strings.Contains(out, `"kv_get":"permission_denied"`) {
		t.Fatalf("code=%d out=%s err=%s", code, out, errs)
	}
	if _, errs, code = runCLI(t, wasm, "nope", "--cache-dir", cache); code != 1 || !strings.Contains(errs, "no such export") {
		t.Fatalf("unknown export: code=%d err=%s", code, errs)
	}
	if _, _, code = runCLI(t, wasm); code != 2 {
		t.Fatalf("missing export: code=%d", code)
	}
	if _, errs, code = runCLI(t, wasm, "card", "--grant", "disk=all"); code != 2 || !strings.Contains(errs, "unknown grant") {
		t.Fatalf("bad grant: code=%d err=%s", code, errs)
	}
}
