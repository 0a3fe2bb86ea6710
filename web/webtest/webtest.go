// Package webtest starts a real Portico API server for tests: web.New over a
// real store and the real ingest engine, listening on a free loopback port.
// The SDK tests and the @backstage/catalog-client compatibility test use it,
// and so can any package that needs a running catalog.
//
// It must never be imported by non-test code.
package webtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/web"
)

// Options configure Start.
type Options struct {
	// Examples loads Backstage's example catalog (all.yaml and acme-corp.yaml)
	// through the API's own url locations, served from a local file server.
	Examples bool
	ReadOnly bool
}

// Server is a running test server.
type Server struct {
	URL    string // http://127.0.0.1:PORT
	App    *fiber.App
	Store  catalog.Store
	Ingest *ingest.Engine
	// FilesURL serves shared/compat/backstage/catalog-examples when Examples is set.
	FilesURL string
}

// ExamplesDir is Backstage's example catalog, as copied into the repository
// (catalog/ingest/testdata/backstage, byte-identical to shared/compat).
func ExamplesDir() string {
	if d := os.Getenv("PORTICO_BACKSTAGE_EXAMPLES"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	// web/webtest → repository root → catalog/ingest/testdata/backstage
	return filepath.Join(filepath.Dir(file), "..", "..", "catalog", "ingest", "testdata", "backstage")
}

// loopbackOnly refuses every host but 127.0.0.1 at once, so example files
// pointing at github.com fail fast and deterministically.
func loopbackOnly() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			if host != "127.0.0.1" && host != "localhost" && host != "::1" {
				return nil, fmt.Errorf("network access to %s is disabled in tests", addr)
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	ctx := context.Background()
	store := OpenStore(t)
	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		t.Fatalf("webtest: kinds: %v", err)
	}
	eng := ingest.New(store, kinds, ingest.Options{
		Readers:        map[string]ingest.Reader{"url": &ingest.URLReader{Client: loopbackOnly()}},
		ProcessTimeout: time.Minute,
	})
	app := web.New(web.Options{Store: store, Ingest: eng, ReadOnly: opts.ReadOnly, LocationTypes: []string{"url"}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("webtest: listen: %v", err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	s := &Server{URL: "http://" + ln.Addr().String(), App: app, Store: store, Ingest: eng}

	if opts.Examples {
		dir := ExamplesDir()
		if _, err := os.Stat(filepath.Join(dir, "all.yaml")); err != nil {
			t.Fatalf("webtest: example catalog not found at %s: %v", dir, err)
		}
		fl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("webtest: listen: %v", err)
		}
		fs := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = fs.Serve(fl) }()
		t.Cleanup(func() { _ = fs.Close() })
		s.FilesURL = "http://" + fl.Addr().String()
		for _, f := range []string{"all.yaml", "acme-corp.yaml"} {
			if _, err := eng.RegisterLocation(ctx, "url", s.FilesURL+"/"+f); err != nil {
				t.Fatalf("webtest: register %s: %v", f, err)
			}
		}
	}
	return s
}

var _ web.Ingest = (*ingest.Engine)(nil)
