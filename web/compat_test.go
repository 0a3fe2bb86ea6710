package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/portico-dev/portico/web/webtest"
)

// compatDir is compat/catalog-client at the repository root.
func compatDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "compat", "catalog-client")
}

// TestBackstageCatalogClient drives the real server, loaded with Backstage's
// example catalog, through every @backstage/catalog-client method
// (compat/catalog-client/compat.test.js). `make test` installs the npm
// packages first (mk/web.mk); run alone, the test installs them with npm ci.
func TestBackstageCatalogClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node; skipped with -short")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node is required in CI: %v", err)
		}
		t.Skipf("node not found on PATH (needed for the catalog-client compatibility test): %v", err)
	}
	dir := compatDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@backstage", "catalog-client", "package.json")); err != nil {
		cmd := exec.CommandContext(ctx, "npm", "ci", "--prefer-offline", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}

	srv := webtest.Start(t, webtest.Options{Examples: true})
	cmd := exec.CommandContext(ctx, node, "compat.test.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PORTICO_URL="+srv.URL)
	out, err := cmd.CombinedOutput()
	t.Logf("node compat.test.js:\n%s", out)
	if err != nil {
		t.Fatalf("catalog-client compatibility failed: %v", err)
	}
}
