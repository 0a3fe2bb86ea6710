// Package browser_test drives the real portal in Debian's headless Chromium
// with chromedp: the catalog, entity pages with real plugin cards from the
// Wasm host (first-party plugins against the vendor simulators, the example
// hello plugins, and a plugin that never answers), the dependency graph and
// API pages, the home page of a signed-in user and the search page over a
// real embedded index (header box, facets, keyboard navigation). Screenshots go to $PORTICO_SCREENSHOTS (make screenshots sets it
// to docs/screenshots) or the test's temporary directory.
//
// Chromium missing is a skip on a laptop and a failure in CI (CI or
// PORTICO_TEST_REQUIRE_BROWSER set); `make test` installs it (mk/ui.mk).
package browser_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// screenshotDir is where screenshots go.
func screenshotDir(t testing.TB) string {
	if d := os.Getenv("PORTICO_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func save(t testing.TB, dir, name string, png []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func fatalf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatal(fmt.Sprintf(format, args...))
}
