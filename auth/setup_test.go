package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/auth"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/ingest"
	"github.com/portico-dev/portico/config"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/webtest"
)

// orgYAML is the test organisation: jane in team-a (under platform, under
// acme), bob in team-b, cy in a parent cycle (loop-a ⇄ loop-b).
const orgYAML = `apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: acme}
spec: {type: organization, children: [platform]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: platform}
spec: {type: department, parent: acme, children: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, parent: platform, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-b}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: loop-a}
spec: {type: team, parent: loop-b, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: loop-b}
spec: {type: team, parent: loop-a, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jane}
spec: {profile: {email: Jane@Acme.example}, memberOf: [team-a]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bob}
spec: {profile: {email: bob@acme.example}, memberOf: [team-b]}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: cy}
spec: {memberOf: [loop-a]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc}
spec: {type: service, lifecycle: production, owner: team-a}
`

var (
	janeClaims = []string{"group:default/acme", "group:default/platform", "group:default/team-a", "user:default/jane"}
	bobClaims  = []string{"group:default/team-b", "user:default/bob"}
)

// clock is a settable time for sessions and tokens.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }

// portal is a running Portico web app with auth, a catalog and (when OIDC is
// configured) a real OpenID Provider.
type portal struct {
	URL   string
	Store catalog.Store
	OP    *testOP
	Svc   *auth.Service
	Cfg   config.Auth
	Clock *clock
}

// catalogStore returns a real store holding orgYAML.
func catalogStore(t *testing.T) catalog.Store {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "org.yaml")
	if err := os.WriteFile(file, []byte(orgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	st := webtest.OpenStore(t) // SQLite; PostgreSQL with PORTICO_TEST_WEB_STORE=postgres
	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		t.Fatal(err)
	}
	eng := ingest.New(st, kinds, ingest.Options{ConfigLocations: []ingest.ConfigLocation{{Type: "file", Target: file}}})
	if err := eng.SyncConfigLocations(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := eng.ProcessAll(ctx); err != nil || s.Errors > 0 {
		t.Fatalf("ingest: %+v %v", s, err)
	}
	return st
}

// startPortal loads authYAML (the auth section; "OIDC" is replaced by an
// oidc block naming the test provider, "OIDC+k: v" adds keys to it) through
// config.Load and serves.
func startPortal(t *testing.T, authYAML string) *portal {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	p := &portal{URL: base, Store: catalogStore(t), Clock: &clock{}}
	if strings.Contains(authYAML, "OIDC") {
		p.OP = startOP(t, "portico", "s3cret", []string{base + "/auth/callback"}, []string{base + "/"})
		i := strings.Index(authYAML, "OIDC")
		rest, extra := authYAML[i+4:], ""
		if strings.HasPrefix(rest, "+") { // "OIDC+resolver: username" adds keys
			line, after, _ := strings.Cut(rest[1:], "\n")
			extra, rest = ", "+line, "\n"+after
		}
		authYAML = authYAML[:i] + "oidc: {issuer: " + p.OP.URL + ", clientId: portico, clientSecret: \"${TEST_OIDC_SECRET}\", title: Test IdP" + extra + "}" + rest
	}
	cfgFile := filepath.Join(t.TempDir(), "portico.yaml")
	if err := os.WriteFile(cfgFile, []byte("server: {listen: \""+ln.Addr().String()+"\"}\nauth:\n"+authYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile, []string{"TEST_OIDC_SECRET=s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	p.Cfg = cfg.Auth
	p.Svc = auth.New(auth.Options{Config: cfg.Auth, Store: p.Store, Now: p.Clock.now})
	app := web.New(web.Options{
		Store:      p.Store,
		Middleware: []fiber.Handler{p.Svc.Middleware()},
		Areas:      []web.Area{web.AreaFunc(p.Svc.Mount), web.AreaFunc(testPages)},
	})
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return p
}

// replica serves a second Portico on the same store and config, as another
// replica behind a load balancer would; it returns its URL.
func (p *portal) replica(t *testing.T, cfg config.Auth) string {
	t.Helper()
	svc := auth.New(auth.Options{Config: cfg, Store: p.Store, Now: p.Clock.now})
	app := web.New(web.Options{Store: p.Store, Middleware: []fiber.Handler{svc.Middleware()},
		Areas: []web.Area{web.AreaFunc(svc.Mount), web.AreaFunc(testPages)}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// testPages stand in for the UI: a page and a form target that echo the principal.
func testPages(r fiber.Router) {
	echo := func(c *fiber.Ctx) error {
		p, _ := identity.From(c.UserContext())
		return c.JSON(fiber.Map{"principal": p, "csrf": c.Locals("csrf")})
	}
	r.Get("/catalog", echo)
	r.Get("/", echo)
	r.Post("/form", echo)
	r.Post("/api/thing", echo)
}

// browser is an http.Client with a cookie jar that does not follow redirects
// by itself, so a test can stop anywhere in the flow.
type browser struct {
	t   *testing.T
	c   *http.Client
	jar *cookiejar.Jar
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, u string, body io.Reader, hdr map[string]string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

// follow GETs u and follows redirects until stop says so (or a non-redirect);
// it returns the last response, body unread.
func (b *browser) follow(u string, stop func(*url.URL) bool) *http.Response {
	b.t.Helper()
	for range 20 {
		resp := b.do("GET", u, nil, nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
			return resp
		}
		next, err := resp.Request.URL.Parse(loc)
		if err != nil {
			b.t.Fatal(err)
		}
		resp.Body.Close()
		if stop != nil && stop(next) {
			resp.Header.Set("X-Next", next.String())
			return resp
		}
		u = next.String()
	}
	b.t.Fatal("too many redirects")
	return nil
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// me returns the principal /api/auth/me reports, with the status.
func (b *browser) me(base string, hdr map[string]string) (identity.Principal, int) {
	b.t.Helper()
	resp := b.do("GET", base+"/api/auth/me", nil, hdr)
	raw := body(b.t, resp)
	var p identity.Principal
	if resp.StatusCode == 200 {
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			b.t.Fatalf("me: %v: %s", err, raw)
		}
	}
	return p, resp.StatusCode
}

// signIn runs the whole flow as the OP's current account and returns the
// final response (the redirect target).
func (b *browser) signIn(p *portal, redirect string) *http.Response {
	b.t.Helper()
	return b.follow(p.URL+"/auth/login?redirect="+url.QueryEscape(redirect), nil)
}

// toCallback runs the flow up to the portal's callback and returns its URL
// without calling it.
func (b *browser) toCallback(p *portal) *url.URL {
	b.t.Helper()
	resp := b.follow(p.URL+"/auth/login?redirect=/catalog", func(u *url.URL) bool { return u.Path == "/auth/callback" })
	next, err := url.Parse(resp.Header.Get("X-Next"))
	if err != nil || next.Path != "/auth/callback" || next.Query().Get("code") == "" {
		b.t.Fatalf("flow did not reach the callback with a code: %v %v", next, err)
	}
	return next
}

func sessionKeys(t *testing.T, st catalog.Store) []string {
	t.Helper()
	keys, err := st.KVList(context.Background(), auth.SessionNamespace, "s/", 0)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func cookieOf(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}
