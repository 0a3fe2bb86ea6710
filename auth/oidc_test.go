package auth_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/identity"
)

const janeAccount = "jane"

func (op *testOP) as(who string) {
	switch who {
	case "jane":
		op.store.setAccount(opAccount{Subject: "sub-jane", Email: "jane@acme.example", Username: "jane", EmailVerified: true})
	case "bob":
		op.store.setAccount(opAccount{Subject: "sub-bob", Email: "bob@acme.example", Username: "bob", EmailVerified: true})
	case "stranger":
		op.store.setAccount(opAccount{Subject: "sub-x", Email: "x@elsewhere.example", Username: "x", EmailVerified: true})
	case "unverified":
		op.store.setAccount(opAccount{Subject: "sub-jane", Email: "jane@acme.example", Username: "jane", EmailVerified: false})
	}
}

// TestOIDCSignIn signs jane in against the real provider: the flow lands on
// the requested page, the session is server-side, the principal carries her
// transitive group claims, PKCE (S256) was used, the cookie has the right
// flags, and a second sign-in rotates the session ID.
func TestOIDCSignIn(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	p.OP.as(janeAccount)
	b := newBrowser(t)

	// Without a session a page redirects to the sign-in page, which offers the provider.
	resp := b.do("GET", p.URL+"/catalog?kind=component", nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/sign-in?redirect=%2Fcatalog%3Fkind%3Dcomponent" {
		t.Fatalf("anonymous page: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp.Body.Close()
	page := body(t, b.do("GET", p.URL+"/auth/sign-in?redirect=%2Fcatalog", nil, nil))
	if !strings.Contains(page, `href="/auth/login?redirect=%2Fcatalog"`) || !strings.Contains(page, "Sign in with Test IdP") ||
		!strings.Contains(page, `/static/portico.css`) {
		t.Errorf("sign-in page:\n%s", page)
	}

	cb := b.toCallback(p)
	resp = b.do("GET", cb.String(), nil, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/catalog" {
		t.Fatalf("callback: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body(t, resp))
	}
	c := cookieOf(resp, "portico_session")
	if c == nil || !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) < 40 {
		t.Errorf("session cookie flags: %+v (Set-Cookie %q)", c, resp.Header.Values("Set-Cookie"))
	}
	resp.Body.Close()
	if got := p.OP.store.challenges; len(got) != 1 || got[0] != "S256" {
		t.Errorf("PKCE methods seen by the provider: %v", got)
	}

	me, code := b.me(p.URL, nil)
	if code != 200 || me.Kind != identity.KindUser || me.UserRef != "user:default/jane" || !slices.Equal(me.Claims, janeClaims) ||
		!strings.HasPrefix(me.CredentialID, "session:") {
		t.Fatalf("principal after sign-in: %d %+v", code, me)
	}
	keys := sessionKeys(t, p.Store)
	if len(keys) != 1 || strings.Contains(keys[0], c.Value) {
		t.Errorf("stored sessions %v (must be one, keyed by a hash, not the cookie)", keys)
	}

	// Signing in again replaces the session: the old ID no longer works. A
	// redirect to another site ("//evil.example") lands on the portal's root.
	resp = b.signIn(p, "//evil.example/x")
	if resp.Request.URL.String() != p.URL+"/" {
		t.Errorf("open redirect: landed on %s", resp.Request.URL)
	}
	resp.Body.Close()
	if keys2 := sessionKeys(t, p.Store); len(keys2) != 1 || keys2[0] == keys[0] {
		t.Errorf("after a second sign-in, sessions %v (was %v)", keys2, keys)
	}
	old := newBrowser(t)
	if _, code := old.me(p.URL, map[string]string{"Cookie": "portico_session=" + c.Value}); code != 401 {
		t.Errorf("the rotated-out session still works: %d", code)
	}
	if me, code := b.me(p.URL, nil); code != 200 || me.UserRef != "user:default/jane" {
		t.Errorf("the new session: %d %+v", code, me)
	}
}

// TestOIDCUsernameResolver maps the username claim to a User by name; the
// provider sends it only from its userinfo endpoint, which the portal reads.
func TestOIDCUsernameResolver(t *testing.T) {
	p := startPortal(t, "  OIDC+resolver: username\n")
	p.OP.as("bob")
	b := newBrowser(t)
	if resp := b.signIn(p, "/catalog"); resp.StatusCode != 200 || resp.Request.URL.Path != "/catalog" {
		t.Fatalf("sign-in: %d %s %s", resp.StatusCode, resp.Request.URL, body(t, resp))
	}
	if me, code := b.me(p.URL, nil); code != 200 || me.UserRef != "user:default/bob" || !slices.Equal(me.Claims, bobClaims) {
		t.Errorf("principal: %d %+v", code, me)
	}
}

// TestOIDCBadState: a callback whose state does not match the browser's
// sign-in, or comes from a browser that never started one, is refused with a
// 400 page and no session.
func TestOIDCBadState(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	p.OP.as(janeAccount)
	b := newBrowser(t)
	cb := b.toCallback(p)

	forged := *cb
	q := forged.Query()
	q.Set("state", "forged-state-value")
	forged.RawQuery = q.Encode()
	resp := b.do("GET", forged.String(), nil, nil)
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "sign-in state is missing or does not match") {
		t.Errorf("forged state: %d\n%s", resp.StatusCode, page)
	}
	// Another browser (no login cookie) presenting the genuine callback URL.
	other := newBrowser(t)
	resp = other.do("GET", cb.String(), nil, nil)
	if page := body(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "state") {
		t.Errorf("callback in another browser: %d\n%s", resp.StatusCode, page)
	}
	if keys := sessionKeys(t, p.Store); len(keys) != 0 {
		t.Errorf("sessions after refused callbacks: %v", keys)
	}
	if _, code := b.me(p.URL, nil); code != 401 {
		t.Errorf("signed in after a bad state: %d", code)
	}
	// A provider error is reported, not swallowed.
	resp = b.do("GET", p.URL+"/auth/callback?error=access_denied&error_description=user+cancelled", nil, nil)
	if page := body(t, resp); resp.StatusCode != 400 || !strings.Contains(page, "access_denied") || !strings.Contains(page, "user cancelled") {
		t.Errorf("provider error: %d\n%s", resp.StatusCode, page)
	}
}

// TestOIDCExpiredCode: the provider refuses a code older than its lifetime;
// the portal says so and signs nobody in.
func TestOIDCExpiredCode(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	p.OP.as(janeAccount)
	b := newBrowser(t)
	cb := b.toCallback(p)
	p.OP.store.setSkew(2 * time.Minute) // the code's lifetime is one minute
	resp := b.do("GET", cb.String(), nil, nil)
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "refused the authorization code (invalid_grant") {
		t.Errorf("expired code: %d\n%s", resp.StatusCode, page)
	}
	if _, code := b.me(p.URL, nil); code != 401 || len(sessionKeys(t, p.Store)) != 0 {
		t.Errorf("signed in with an expired code: %d", code)
	}
}

// TestOIDCReplayedCode: a code already exchanged is refused by the provider,
// even inside a fresh, valid sign-in of the same browser.
func TestOIDCReplayedCode(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	p.OP.as(janeAccount)
	b := newBrowser(t)
	cb := b.toCallback(p)
	resp := b.do("GET", cb.String(), nil, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first use: %d %s", resp.StatusCode, body(t, resp))
	}
	resp.Body.Close()

	// The same callback URL again: its state was used up.
	resp = b.do("GET", cb.String(), nil, nil)
	if page := body(t, resp); resp.StatusCode != 400 || !strings.Contains(page, "state") {
		t.Errorf("replayed callback: %d\n%s", resp.StatusCode, page)
	}
	// The old code inside a new sign-in's valid state: the provider refuses it.
	cb2 := b.toCallback(p)
	replay := *cb2
	q := replay.Query()
	q.Set("code", cb.Query().Get("code"))
	replay.RawQuery = q.Encode()
	resp = b.do("GET", replay.String(), nil, nil)
	if page := body(t, resp); resp.StatusCode != 400 || !strings.Contains(page, "refused the authorization code (invalid_grant") {
		t.Errorf("replayed code: %d\n%s", resp.StatusCode, page)
	}
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// TestOIDCLogout: logout needs the CSRF token, ends the session server-side,
// clears the cookie and continues at the provider's end_session_endpoint,
// which ends the provider's session and comes back to the portal.
func TestOIDCLogout(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	p.OP.as(janeAccount)
	b := newBrowser(t)
	b.signIn(p, "/").Body.Close()
	if _, code := b.me(p.URL, nil); code != 200 {
		t.Fatalf("not signed in: %d", code)
	}
	page := body(t, b.do("GET", p.URL+"/auth/logout", nil, nil))
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("logout page has no CSRF field:\n%s", page)
	}
	form := "application/x-www-form-urlencoded"
	resp := b.do("POST", p.URL+"/auth/logout", strings.NewReader(""), map[string]string{"Content-Type": form})
	if resp.StatusCode != 403 || !strings.Contains(body(t, resp), "CSRF") {
		t.Errorf("logout without CSRF: %d", resp.StatusCode)
	}
	if len(sessionKeys(t, p.Store)) != 1 {
		t.Fatal("a refused logout ended the session")
	}
	resp = b.do("POST", p.URL+"/auth/logout", strings.NewReader(url.Values{"_csrf": {m[1]}}.Encode()), map[string]string{"Content-Type": form})
	end, _ := url.Parse(resp.Header.Get("Location"))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || end == nil || !strings.HasPrefix(end.String(), p.OP.URL+"/") ||
		end.Query().Get("id_token_hint") == "" || end.Query().Get("post_logout_redirect_uri") != p.URL+"/" {
		t.Fatalf("logout redirect: %d %v", resp.StatusCode, end)
	}
	if c := cookieOf(resp, "portico_session"); c == nil || c.MaxAge >= 0 && c.Value != "" {
		t.Errorf("session cookie not cleared: %+v", c)
	}
	if keys := sessionKeys(t, p.Store); len(keys) != 0 {
		t.Errorf("session still stored after logout: %v", keys)
	}
	back := b.follow(end.String(), func(u *url.URL) bool { return strings.HasPrefix(u.String(), p.URL) })
	if next := back.Header.Get("X-Next"); next != p.URL+"/" {
		t.Errorf("provider did not send the browser back: %d %q", back.StatusCode, next)
	}
	back.Body.Close()
	if ended := p.OP.store.ended; len(ended) != 1 || ended[0] != "sub-jane" {
		t.Errorf("provider sessions ended: %v", ended)
	}
	if _, code := b.me(p.URL, nil); code != 401 {
		t.Errorf("still signed in after logout: %d", code)
	}
}

// TestSessionsSharedByReplicas: a session started on one replica works on
// another (they share the store), and logout on either ends it on both.
func TestSessionsSharedByReplicas(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	p.OP.as(janeAccount)
	other := p.replica(t, p.Cfg)
	b := newBrowser(t)
	b.signIn(p, "/").Body.Close()
	var cookie string
	for _, c := range b.jar.Cookies(mustURL(t, p.URL)) {
		if c.Name == "portico_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	plain := newBrowser(t)
	if me, code := plain.me(other, map[string]string{"Cookie": cookie}); code != 200 || me.UserRef != "user:default/jane" {
		t.Fatalf("session on the other replica: %d %+v", code, me)
	}
	page := body(t, b.do("GET", p.URL+"/auth/logout", nil, nil))
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field:\n%s", page)
	}
	resp := plain.do("POST", other+"/auth/logout", strings.NewReader(url.Values{"_csrf": {m[1]}}.Encode()),
		map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on the other replica: %d", resp.StatusCode)
	}
	if _, code := b.me(p.URL, nil); code != 401 {
		t.Errorf("session still works on the first replica after logout on the other: %d", code)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOIDCUnknownUser: an account without a User entity (or with an
// unverified email) is refused with a page that says why.
func TestOIDCUnknownUser(t *testing.T) {
	p := startPortal(t, "  OIDC\n")
	for _, c := range []struct{ who, want string }{
		{"stranger", `no User entity in the catalog has spec.profile.email &#34;x@elsewhere.example&#34;`},
		{"unverified", "has not verified the email"},
	} {
		p.OP.as(c.who)
		b := newBrowser(t)
		resp := b.signIn(p, "/")
		page := body(t, resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "this portal does not know you") || !strings.Contains(page, c.want) {
			t.Errorf("%s: %d\n%s", c.who, resp.StatusCode, page)
		}
		if _, code := b.me(p.URL, nil); code != 401 {
			t.Errorf("%s signed in", c.who)
		}
	}
}
