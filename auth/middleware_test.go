package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/auth"
	"github.com/portico-dev/portico/config"
	"github.com/portico-dev/portico/identity"
	"github.com/portico-dev/portico/web"
)

// TestAnonymousWithoutGuest: no credentials and no guest — the API answers
// 401 with Backstage's error body, a page redirects to sign-in, a form post
// is 401, and the public paths stay open.
func TestAnonymousWithoutGuest(t *testing.T) {
	p := startPortal(t, "  session: {idleTimeout: 1h}\n")
	b := newBrowser(t)
	resp := b.do("GET", p.URL+"/api/catalog/entities?filter=kind=user", nil, nil)
	var eb struct {
		Error    struct{ Name, Message string }
		Request  struct{ Method, URL string }
		Response struct{ StatusCode int }
	}
	raw := body(t, resp)
	if err := json.Unmarshal([]byte(raw), &eb); err != nil || resp.StatusCode != 401 ||
		eb.Error.Name != "AuthenticationError" || !strings.Contains(eb.Error.Message, "sign in or send an API token") ||
		eb.Request.Method != "GET" || eb.Request.URL != "/api/catalog/entities?filter=kind=user" || eb.Response.StatusCode != 401 ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 body: %d %s %v", resp.StatusCode, raw, err)
	}
	resp = b.do("GET", p.URL+"/", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/sign-in?redirect=%2F" {
		t.Errorf("page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp.Body.Close()
	if resp := b.do("POST", p.URL+"/form", nil, nil); resp.StatusCode != 401 {
		t.Errorf("anonymous form post: %d", resp.StatusCode)
	}
	for _, path := range []string{"/healthz", "/auth/sign-in"} {
		if resp := b.do("GET", p.URL+path, nil, nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if page := body(t, b.do("GET", p.URL+"/auth/sign-in", nil, nil)); !strings.Contains(page, "No sign-in method is configured") {
		t.Errorf("sign-in page without methods:\n%s", page)
	}
	if resp := b.do("GET", p.URL+"/auth/login", nil, nil); resp.StatusCode != 404 {
		t.Errorf("/auth/login without oidc: %d", resp.StatusCode)
	}
	// A bad Authorization header is a 401 even on a page.
	if resp := b.do("GET", p.URL+"/", nil, map[string]string{"Authorization": "Basic abc"}); resp.StatusCode != 401 {
		t.Errorf("basic auth: %d", resp.StatusCode)
	}
}

// TestGuest: with auth.guest on, requests without credentials run as the
// guest with its role; a cross-site state change is refused; a bad token is
// still a 401 rather than a fall-back to guest.
func TestGuest(t *testing.T) {
	p := startPortal(t, "  guest: {enabled: true, role: admin, user: user:default/jane}\n")
	b := newBrowser(t)
	me, code := b.me(p.URL, nil)
	if code != 200 || me.Kind != identity.KindGuest || me.UserRef != "user:default/jane" ||
		!slices.Equal(me.Roles, []string{"admin"}) || !slices.Equal(me.Claims, janeClaims) || me.CredentialID != "" {
		t.Errorf("guest principal: %d %+v", code, me)
	}
	if resp := b.do("GET", p.URL+"/api/catalog/entities", nil, nil); resp.StatusCode != 200 {
		t.Errorf("guest API read: %d", resp.StatusCode)
	}
	if resp := b.do("GET", p.URL+"/catalog", nil, nil); resp.StatusCode != 200 {
		t.Errorf("guest page: %d", resp.StatusCode)
	}
	// Same-origin or non-browser state changes pass (authz decides what a guest may write).
	for _, h := range []map[string]string{nil, {"Origin": p.URL, "Sec-Fetch-Site": "same-origin"}} {
		if resp := b.do("POST", p.URL+"/api/thing", strings.NewReader("{}"), h); resp.StatusCode != 200 {
			t.Errorf("guest POST %v: %d", h, resp.StatusCode)
		}
	}
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"}} {
		resp := b.do("POST", p.URL+"/form", strings.NewReader("a=b"), h)
		if raw := body(t, resp); resp.StatusCode != 403 || !strings.Contains(raw, "cross-site request refused") {
			t.Errorf("cross-site guest POST %v: %d %s", h, resp.StatusCode, raw)
		}
	}
	if resp := b.do("GET", p.URL+"/api/catalog/entities", nil, map[string]string{"Authorization": "Bearer ptk_nope"}); resp.StatusCode != 401 {
		t.Errorf("bad token with guest on: %d", resp.StatusCode)
	}
}

// TestTokens: a token authenticates as its user with its scopes, needs no
// CSRF token, and stops working when revoked, expired or its user leaves.
func TestTokens(t *testing.T) {
	p := startPortal(t, "  session: {maxAge: 24h}\n")
	ctx := context.Background()
	ts := auth.Tokens{KV: p.Store, Now: p.Clock.now}
	secret, tok, err := ts.Create(ctx, "user:default/jane", time.Hour, []string{"catalog.entity.read", "catalog.entity.read"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "ptk_"+tok.ID+"_") || !slices.Equal(tok.Scopes, []string{"catalog.entity.read"}) {
		t.Errorf("token %q %+v", secret, tok)
	}
	raw, _, _ := p.Store.KVGet(ctx, auth.TokenNamespace, tok.ID)
	if strings.Contains(string(raw), secret[len("ptk_")+25:]) {
		t.Error("the secret is stored in clear")
	}
	b := newBrowser(t)
	bearer := map[string]string{"Authorization": "Bearer " + secret}
	me, code := b.me(p.URL, bearer)
	if code != 200 || me.Kind != identity.KindToken || me.UserRef != "user:default/jane" || !slices.Equal(me.Claims, janeClaims) ||
		!slices.Equal(me.Scopes, []string{"catalog.entity.read"}) || me.CredentialID != "token:"+tok.ID {
		t.Errorf("token principal: %d %+v", code, me)
	}
	if resp := b.do("POST", p.URL+"/form", strings.NewReader("a=b"), map[string]string{"Authorization": "Bearer " + secret,
		"Content-Type": "application/x-www-form-urlencoded"}); resp.StatusCode != 200 {
		t.Errorf("bearer POST without CSRF: %d", resp.StatusCode)
	}
	// A wrong secret for a real ID is refused like an unknown token.
	wrong := secret[:len(secret)-2] + "AA"
	if wrong == secret {
		wrong = secret[:len(secret)-2] + "BA"
	}
	if _, code := b.me(p.URL, map[string]string{"Authorization": "Bearer " + wrong}); code != 401 {
		t.Errorf("wrong secret: %d", code)
	}

	// Expiry, with the portal's clock.
	short, st, err := ts.Create(ctx, "user:default/bob", time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, code := b.me(p.URL, map[string]string{"Authorization": "Bearer " + short}); code != 200 {
		t.Errorf("fresh token: %d", code)
	}
	p.Clock.advance(2 * time.Minute)
	resp := b.do("GET", p.URL+"/api/auth/me", nil, map[string]string{"Authorization": "Bearer " + short})
	if raw := body(t, resp); resp.StatusCode != 401 || !strings.Contains(raw, "expired") {
		t.Errorf("expired token: %d %s", resp.StatusCode, raw)
	}
	if _, err := ts.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	resp = b.do("GET", p.URL+"/api/auth/me", nil, bearer)
	if raw := body(t, resp); resp.StatusCode != 401 || !strings.Contains(raw, "was revoked") {
		t.Errorf("revoked token: %d %s", resp.StatusCode, raw)
	}
	list, err := ts.List(ctx)
	status := map[string]string{}
	for _, l := range list {
		status[l.ID] = l.Status(p.Clock.now())
	}
	if err != nil || len(list) != 2 || status[tok.ID] != "revoked" || status[st.ID] != "expired" {
		t.Errorf("list: %+v %v", list, err)
	}
	if _, err := ts.Revoke(ctx, "0123456789abcdef01234567"); err == nil {
		t.Error("revoking an unknown ID succeeded")
	}
	if _, _, err := ts.Create(ctx, "user:default/jane", time.Hour, []string{"Catalog Read"}); err == nil {
		t.Error("a malformed scope was accepted")
	}
	// A token whose user left the catalog stops working.
	gone, _, err := ts.Create(ctx, "user:default/left", time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp = b.do("GET", p.URL+"/api/auth/me", nil, map[string]string{"Authorization": "Bearer " + gone})
	if raw := body(t, resp); resp.StatusCode != 401 || !strings.Contains(raw, "no longer in the catalog") {
		t.Errorf("token of a removed user: %d %s", resp.StatusCode, raw)
	}
}

// TestCSRFAndSessionExpiry: a cookie session must send its CSRF token on
// state changes (header or form field); sessions end after the idle timeout
// and after the absolute maximum age.
func TestCSRFAndSessionExpiry(t *testing.T) {
	p := startPortal(t, "  OIDC\n  session: {idleTimeout: 1h, maxAge: 3h}\n")
	p.OP.as(janeAccount)
	b := newBrowser(t)
	resp := b.signIn(p, "/catalog")
	var echo struct {
		Principal identity.Principal
		CSRF      string
	}
	if err := json.Unmarshal([]byte(body(t, resp)), &echo); err != nil || echo.CSRF == "" || echo.Principal.UserRef != "user:default/jane" {
		t.Fatalf("page after sign-in: %+v %v", echo, err)
	}
	form := func(v url.Values, h map[string]string) int {
		if h == nil {
			h = map[string]string{}
		}
		h["Content-Type"] = "application/x-www-form-urlencoded"
		resp := b.do("POST", p.URL+"/form", strings.NewReader(v.Encode()), h)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		name string
		v    url.Values
		h    map[string]string
		want int
	}{
		{"no token", url.Values{"a": {"b"}}, nil, 403},
		{"wrong field", url.Values{"_csrf": {"nope"}}, nil, 403},
		{"wrong header", nil, map[string]string{"X-CSRF-Token": "nope"}, 403},
		{"field", url.Values{"_csrf": {echo.CSRF}}, nil, 200},
		{"header", nil, map[string]string{"X-CSRF-Token": echo.CSRF}, 200},
	} {
		if got := form(c.v, c.h); got != c.want {
			t.Errorf("CSRF %s: %d, want %d", c.name, got, c.want)
		}
	}
	resp = b.do("DELETE", p.URL+"/form", nil, nil)
	if raw := body(t, resp); resp.StatusCode != 403 || !strings.Contains(raw, `"name":"NotAllowedError"`) || !strings.Contains(raw, "CSRF") {
		t.Errorf("DELETE without CSRF: %d %s", resp.StatusCode, raw)
	}

	// Idle: 50 minutes keep it alive (each request refreshes it), 61 idle end it.
	for range 3 {
		p.Clock.advance(50 * time.Minute)
		if _, code := b.me(p.URL, nil); code != 200 {
			t.Fatalf("session ended while in use: %d", code)
		}
	}
	p.Clock.advance(61 * time.Minute)
	if _, code := b.me(p.URL, nil); code != 401 || len(sessionKeys(t, p.Store)) != 0 {
		t.Errorf("idle session still works: %d", code)
	}
	// Absolute: in use every 50 minutes, it still ends 3 hours after sign-in.
	b.signIn(p, "/").Body.Close()
	n := 0
	for ; n < 10; n++ {
		p.Clock.advance(50 * time.Minute)
		if _, code := b.me(p.URL, nil); code != 200 {
			break
		}
	}
	if n != 3 { // 50, 100, 150 min live; 200 min > maxAge
		t.Errorf("session lived %d steps of 50 minutes, want 3", n)
	}
}

// TestClaimsCycle: a parent cycle in the group tree ends the walk.
func TestClaimsCycle(t *testing.T) {
	st := catalogStore(t)
	got, err := auth.Resolver{Store: st}.Claims(context.Background(), "User:default/CY")
	want := []string{"group:default/loop-a", "group:default/loop-b", "user:default/cy"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("claims = %v %v, want %v", got, err, want)
	}
	if got, err := (auth.Resolver{Store: st}).Claims(context.Background(), "user:default/nobody"); err != nil || !slices.Equal(got, []string{"user:default/nobody"}) {
		t.Errorf("unknown user's claims = %v %v", got, err)
	}
	if ref, err := (auth.Resolver{Store: st}).UserByEmail(context.Background(), "JANE@acme.example"); err != nil || ref != "user:default/jane" {
		t.Errorf("email lookup is case-insensitive: %q %v", ref, err)
	}
}

// TestSecureCookies: cookies are Secure unless the base URL is http on a
// loopback address.
func TestSecureCookies(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	b := newBrowser(t)
	resp := b.do("GET", p.URL+"/auth/login", nil, nil)
	c := cookieOf(resp, "portico_login")
	resp.Body.Close()
	if c == nil || c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/auth/" {
		t.Errorf("login cookie on loopback: %+v", c)
	}

	op := startOP(t, "portico", "s3cret", nil, nil)
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	yaml := "auth:\n  baseUrl: https://portal.example.com\n  oidc: {issuer: " + op.URL + ", clientId: portico}\n"
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.New(auth.Options{Config: cfg.Auth, Store: p.Store})
	app := web.New(web.Options{Store: p.Store, Middleware: []fiber.Handler{svc.Middleware()}, Areas: []web.Area{web.AreaFunc(svc.Mount)}})
	resp, err = app.Test(httptest.NewRequest("GET", "https://portal.example.com/auth/login?redirect=/x", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	if c := cookieOf(resp, "portico_login"); c == nil || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("login cookie with an https base URL: %+v (%q)", c, resp.Header.Values("Set-Cookie"))
	}
	authz, _ := url.Parse(resp.Header.Get("Location"))
	if q := authz.Query(); resp.StatusCode != 302 || q.Get("redirect_uri") != "https://portal.example.com/auth/callback" ||
		q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Errorf("authorization request: %d %v", resp.StatusCode, authz)
	}
}
