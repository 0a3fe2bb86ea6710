package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gofiber/fiber/v2"
	"golang.org/x/oauth2"

	"github.com/portico-dev/portico/config"
)

// oidcClient is the relying party: the provider's metadata (discovered once,
// on first use) and the OAuth2 client configuration.
type oidcClient struct {
	cfg     config.OIDC
	baseURL string
	http    *http.Client

	mu         sync.Mutex
	provider   *oidc.Provider
	endSession string
}

func (o *oidcClient) ctx(ctx context.Context) context.Context { return oidc.ClientContext(ctx, o.http) }

// discover fetches the provider metadata; a failure is retried on the next sign-in.
func (o *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(o.ctx(ctx), o.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover the OpenID Provider %s: %w", o.cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := p.Claims(&meta); err == nil {
		o.endSession = meta.EndSession
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth2(p *oidc.Provider) *oauth2.Config {
	ep := p.Endpoint()
	if o.cfg.ClientSecret == "" {
		ep.AuthStyle = oauth2.AuthStyleInParams // a public client: PKCE is its proof
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range o.cfg.Scopes {
		if s != oidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: ep,
		RedirectURL: o.cfg.RedirectURL, Scopes: scopes}
}

// localRedirect keeps a post-sign-in target on this site: an absolute path,
// not a scheme-relative "//host" nor a backslash trick; anything else is "/".
func localRedirect(r string) string {
	if r == "" || r[0] != '/' || strings.HasPrefix(r, "//") || strings.ContainsAny(r, "\\\r\n\t") {
		return "/"
	}
	if u, err := url.Parse(r); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return r
}

// login starts the authorization code flow: state, nonce and PKCE verifier
// are remembered server-side; the state also goes into a short-lived cookie
// so the callback is bound to the browser that started it.
func (s *Service) login(c *fiber.Ctx) error {
	if s.oidc == nil {
		return s.page(c, fiber.StatusNotFound, pageData{Title: "Sign-in is not configured", Error: "OpenID Connect sign-in is not configured on this portal (auth.oidc)."})
	}
	p, err := s.oidc.discover(c.UserContext())
	if err != nil {
		s.log.Error("sign-in", "err", err)
		return s.page(c, fiber.StatusBadGateway, pageData{Title: "Sign-in failed", Error: "The identity provider could not be reached. Try again later."})
	}
	state, nonce, verifier := randomID(32), randomID(32), oauth2.GenerateVerifier()
	if err := s.sessions.putLogin(c.UserContext(), state, pendingLogin{Nonce: nonce, Verifier: verifier,
		Redirect: localRedirect(c.Query("redirect"))}); err != nil {
		return err
	}
	s.setCookie(c, loginCookie, state, "/auth/", int(loginTTL.Seconds()))
	return c.Redirect(s.oidc.oauth2(p).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), fiber.StatusFound)
}

// callback finishes the flow: the state must match the browser's cookie and a
// pending sign-in (once), the code is exchanged with the PKCE verifier, the ID
// token verified (issuer, audience, expiry, signature, nonce) and the account
// mapped to a User entity. A new session replaces any previous one.
func (s *Service) callback(c *fiber.Ctx) error {
	ctx := c.UserContext()
	fail := func(status int, msg string) error {
		return s.page(c, status, pageData{Title: "Sign-in failed", Error: msg, Retry: s.oidc != nil})
	}
	if s.oidc == nil {
		return fail(fiber.StatusNotFound, "OpenID Connect sign-in is not configured on this portal (auth.oidc).")
	}
	if e := c.Query("error"); e != "" {
		msg := "The identity provider refused the sign-in: " + e
		if d := c.Query("error_description"); d != "" {
			msg += " (" + d + ")"
		}
		return fail(fiber.StatusBadRequest, msg)
	}
	state, cookie := c.Query("state"), c.Cookies(loginCookie)
	s.clearCookie(c, loginCookie, "/auth/")
	badState := "The sign-in state is missing or does not match this browser's sign-in (a reused or forged link, another browser, or more than 10 minutes since it started). Start again."
	if state == "" || cookie == "" || subtle.ConstantTimeCompare([]byte(state), []byte(cookie)) != 1 {
		return fail(fiber.StatusBadRequest, badState)
	}
	pending, ok, err := s.sessions.takeLogin(ctx, state)
	if err != nil {
		return err
	}
	if !ok {
		return fail(fiber.StatusBadRequest, badState)
	}
	code := c.Query("code")
	if code == "" {
		return fail(fiber.StatusBadRequest, "The identity provider sent no authorization code.")
	}
	p, err := s.oidc.discover(ctx)
	if err != nil {
		s.log.Error("sign-in", "err", err)
		return fail(fiber.StatusBadGateway, "The identity provider could not be reached. Try again later.")
	}
	tok, err := s.oidc.oauth2(p).Exchange(s.oidc.ctx(ctx), code, oauth2.VerifierOption(pending.Verifier))
	if err != nil {
		s.log.Warn("sign-in: code exchange refused", "err", err)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			return fail(fiber.StatusBadRequest, fmt.Sprintf("The identity provider refused the authorization code (%s: expired, already used or not issued to this portal). Start again.", re.ErrorCode))
		}
		return fail(fiber.StatusBadGateway, "The authorization code could not be exchanged with the identity provider. Start again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fail(fiber.StatusBadGateway, "The identity provider sent no ID token.")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID}).Verify(s.oidc.ctx(ctx), raw)
	if err != nil {
		s.log.Warn("sign-in: ID token refused", "err", err)
		return fail(fiber.StatusBadRequest, "The identity provider's ID token did not verify.")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pending.Nonce)) != 1 {
		return fail(fiber.StatusBadRequest, "The ID token's nonce does not match this sign-in. Start again.")
	}
	userRef, err := s.resolveAccount(ctx, p, idt, tok)
	if err != nil {
		var uu *UnknownUserError
		if errors.As(err, &uu) {
			s.log.Info("sign-in refused", "subject", idt.Subject, "reason", uu.Msg)
			return s.page(c, fiber.StatusForbidden, pageData{Title: "Sign-in refused",
				Error: "You signed in at the identity provider, but this portal does not know you: " + uu.Msg + ". Ask an administrator to add your User entity to the catalog."})
		}
		return err
	}
	if old := c.Cookies(SessionCookie); old != "" { // rotation: the pre-sign-in ID dies
		if err := s.sessions.delete(ctx, old); err != nil {
			return err
		}
	}
	if _, _, err := s.resolveClaims(ctx, userRef); err != nil { // a fresh sign-in sees fresh memberships
		return err
	}
	id, _, err := s.sessions.create(ctx, Session{UserRef: userRef, IDToken: raw, Subject: idt.Subject, Issuer: idt.Issuer})
	if err != nil {
		return err
	}
	s.setCookie(c, SessionCookie, id, "/", int(s.cfg.Session.MaxAge.Seconds()))
	s.log.Info("signed in", "user", userRef, "subject", idt.Subject, "session", credentialID(id))
	return c.Redirect(localRedirect(pending.Redirect), fiber.StatusSeeOther)
}

// resolveAccount maps the ID token (and, for a claim it lacks, the userinfo
// endpoint) to a User entity ref by the configured resolver.
func (s *Service) resolveAccount(ctx context.Context, p *oidc.Provider, idt *oidc.IDToken, tok *oauth2.Token) (string, error) {
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return "", err
	}
	want := "email"
	if s.oidc.cfg.Resolver == "username" {
		want = s.oidc.cfg.UsernameClaim
	}
	if _, ok := claims[want]; !ok && p.UserInfoEndpoint() != "" {
		ui, err := p.UserInfo(s.oidc.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err != nil {
			return "", fmt.Errorf("read userinfo: %w", err)
		}
		var more map[string]any
		if err := ui.Claims(&more); err == nil && more["sub"] == idt.Subject {
			for k, v := range more {
				if _, ok := claims[k]; !ok {
					claims[k] = v
				}
			}
		}
	}
	value, _ := claims[want].(string)
	if s.oidc.cfg.Resolver == "username" {
		return s.res.UserByName(ctx, value)
	}
	if v, ok := claims["email_verified"].(bool); ok && !v {
		return "", &UnknownUserError{Msg: fmt.Sprintf("the provider has not verified the email %q", value)}
	}
	return s.res.UserByEmail(ctx, value)
}

// logout ends the session server-side (the middleware has checked the CSRF
// token), clears the cookie and, when the provider advertises an
// end_session_endpoint, continues with RP-initiated logout there.
func (s *Service) logout(c *fiber.Ctx) error {
	ctx := c.UserContext()
	target := "/"
	if id := c.Cookies(SessionCookie); id != "" {
		sess, ok, err := s.sessions.get(ctx, id)
		if err != nil {
			return err
		}
		if err := s.sessions.delete(ctx, id); err != nil {
			return err
		}
		if ok {
			s.log.Info("signed out", "user", sess.UserRef, "session", credentialID(id))
			if end := s.endSessionURL(ctx, sess.IDToken); end != "" {
				target = end
			}
		}
	}
	s.clearCookie(c, SessionCookie, "/")
	return c.Redirect(target, fiber.StatusSeeOther)
}

func (s *Service) endSessionURL(ctx context.Context, idToken string) string {
	if s.oidc == nil {
		return ""
	}
	if _, err := s.oidc.discover(ctx); err != nil {
		return ""
	}
	s.oidc.mu.Lock()
	end := s.oidc.endSession
	s.oidc.mu.Unlock()
	if end == "" {
		return ""
	}
	u, err := url.Parse(end)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", s.oidc.cfg.ClientID)
	q.Set("post_logout_redirect_uri", s.cfg.BaseURL+"/")
	u.RawQuery = q.Encode()
	return u.String()
}
