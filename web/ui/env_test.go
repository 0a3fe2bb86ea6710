package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/catalog/sqlite"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/ui"
	"github.com/portico-dev/portico/web/ui/uitest"
)

// env is a real portal over the embedded store with a catalog file ingested.
type env struct {
	t     testing.TB
	app   *fiber.App
	store catalog.Store
	eng   *ingest.Engine
	// who is the principal requests run as (nil: anonymous), set the way
	// the auth middleware sets it: in the user context and in Locals.
	who *identity.Principal
}

// testCSRF is the CSRF token the test middleware hands the pages.
const testCSRF = "csrf-token-for-tests"

// newEnv ingests catalogFile (relative to testdata, or absolute) and mounts
// the portal with o (Store is filled in).
func newEnv(t testing.TB, catalogFile string, o ui.Options) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var eng *ingest.Engine
	if catalogFile != "" {
		abs := catalogFile
		if !filepath.IsAbs(abs) {
			abs, _ = filepath.Abs(filepath.Join("testdata", catalogFile))
		}
		kinds, err := catalog.NewKinds(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Orphans are kept, as Backstage does by default, so pages can show them.
		eng = ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: abs}}, OrphanStrategy: catalog.OrphanKeep})
		if err := eng.SyncConfigLocations(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.ProcessAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, store: st}
	if catalogFile != "" {
		e.eng = eng
	}
	o.Store = st
	if o.Search == searchPlease {
		o.Search = uitest.SearchIndex(t, st)
	}
	u, err := ui.New(o)
	if err != nil {
		t.Fatal(err)
	}
	signIn := uitest.SignIn(func() *identity.Principal { return e.who }, testCSRF)
	app := web.New(web.Options{Store: st, Areas: []web.Area{signIn, u}})
	e.app = app
	return e
}

// searchPlease in Options.Search asks newEnv for a real search index over
// the ingested catalog.
var searchPlease ui.Searcher = placeholderSearcher{}

type placeholderSearcher struct{ ui.Searcher }

// as makes the following requests run as p.
func (e *env) as(p identity.Principal) *env { e.who = &p; return e }

// get requests path and returns status and body.
func (e *env) get(path string) (int, string) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	resp, err := e.app.Test(req, int((30 * time.Second).Milliseconds()))
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) mustGet(path string) string {
	e.t.Helper()
	st, body := e.get(path)
	if st != http.StatusOK {
		e.t.Fatalf("GET %s: status %d, body %.400s", path, st, body)
	}
	return body
}

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func lacks(t *testing.T, what, body string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(body, b) {
			t.Errorf("%s: must not contain %q", what, b)
		}
	}
}
