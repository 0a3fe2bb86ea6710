package config

import (
	"strings"
	"testing"
	"time"
)

func TestAuthSection(t *testing.T) {
	p := write(t, t.TempDir(), "c.yaml", `
server: {listen: "127.0.0.1:9000"}
auth:
  oidc:
    issuer: https://login.example.com
    clientId: portico
    clientSecret: ${OIDC_SECRET}
    resolver: username
  session: {idleTimeout: 30m, maxAge: {hours: 12}}
  guest: {enabled: true, role: admin, user: User:default/Visitor}
`)
	c, err := Load(p, []string{"OIDC_SECRET=s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Auth
	if a.BaseURL != "http://127.0.0.1:9000" || a.OIDC.RedirectURL != "http://127.0.0.1:9000/auth/callback" ||
		a.OIDC.ClientSecret != "s3cret" || a.OIDC.Resolver != "username" || a.OIDC.UsernameClaim != "preferred_username" ||
		strings.Join(a.OIDC.Scopes, " ") != "openid profile email" {
		t.Errorf("oidc = %+v base %q", a.OIDC, a.BaseURL)
	}
	if a.Session.IdleTimeout.Duration != 30*time.Minute || a.Session.MaxAge.Duration != 12*time.Hour {
		t.Errorf("session = %+v", a.Session)
	}
	if !a.Guest.Enabled || a.Guest.Role != "admin" || a.Guest.User != "user:default/visitor" {
		t.Errorf("guest = %+v", a.Guest)
	}

	d, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Auth.OIDC != nil || d.Auth.Guest.Enabled || d.Auth.Session.IdleTimeout.Duration != DefaultSessionIdleTimeout ||
		d.Auth.Session.MaxAge.Duration != DefaultSessionMaxAge {
		t.Errorf("auth defaults = %+v", d.Auth)
	}
	g := write(t, t.TempDir(), "g.yaml", "auth:\n  guest: {enabled: true}\n")
	if c, err := Load(g, nil); err != nil || c.Auth.Guest.Role != "viewer" || c.Auth.Guest.User != "user:default/guest" {
		t.Errorf("guest defaults: %+v %v", c, err)
	}
}

func TestAuthSectionErrors(t *testing.T) {
	oidc := "auth:\n  oidc: {issuer: https://idp.example.com, clientId: x}\n"
	for _, c := range []struct{ yaml, want string }{
		{"auth:\n  providers: {github: {}}\n", `line 2: unknown key "auth.providers"`},
		{"auth:\n  oidc: {issuer: https://x, clientID: y}\n", `unknown key "auth.oidc.clientID"`},
		{"auth:\n  guest: {enabled: true, roles: [a]}\n", `unknown key "auth.guest.roles"`},
		{"auth:\n  oidc: {clientId: x}\n", "auth.oidc: issuer and clientId are required"},
		{"auth:\n  oidc: {issuer: http://idp.example.com, clientId: x}\n", "auth.oidc.issuer: expected an https URL"},
		{"auth:\n  oidc: {issuer: https://x, clientId: y, resolver: ldap}\n", "auth.oidc.resolver: expected email or username"},
		{"auth:\n  oidc: {issuer: https://x, clientId: y, clientSecret: \"${NOPE_NOT_SET}\"}\n", "environment variable NOPE_NOT_SET is not set"},
		{"auth:\n  baseUrl: http://portal.example.com\n" + oidc[len("auth:\n"):], "needs https unless the portal runs on localhost"},
		{"auth:\n  baseUrl: portal\n", "auth.baseUrl: expected the portal's URL"},
		{"auth:\n  session: {idleTimeout: soon}\n", "expected a duration such as 8h"},
		{"auth:\n  session: {idleTimeout: 0s}\n", "more than zero"},
		{"auth:\n  session: {idleTimeout: 10h, maxAge: 1h}\n", "idleTimeout (10h0m0s) is longer than maxAge"},
		{"auth:\n  guest: {enabled: true, role: Admin!}\n", "auth.guest.role"},
		{"auth:\n  guest: {enabled: true, user: group:default/x}\n", "auth.guest.user: expected a user ref"},
		{"auth:\n  oidc: {issuer: https://x, clientId: y, redirectUrl: https://p/cb}\n", "auth.oidc.redirectUrl"},
	} {
		p := write(t, t.TempDir(), "c.yaml", c.yaml)
		_, err := Load(p, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.yaml, err, c.want)
		}
	}
	if _, err := Load(write(t, t.TempDir(), "ok.yaml", oidc), nil); err != nil {
		t.Errorf("oidc on the default loopback base URL: %v", err)
	}
}
