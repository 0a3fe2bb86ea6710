package auth

import (
	"crypto/subtle"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/identity"
)

// Cookie names.
const (
	SessionCookie = "portico_session"
	loginCookie   = "portico_login"
	// CSRFHeader and CSRFField carry the session's CSRF token on state changes.
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "_csrf"
)

// Error is an authentication or CSRF refusal; web's error mapper turns it
// into Backstage's error body through HTTPStatus.
type Error struct {
	Status int
	Name   string
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// HTTPStatus gives the status and Backstage error name.
func (e *Error) HTTPStatus() (int, string) { return e.Status, e.Name }

func unauthenticated(format string, args ...any) error {
	return &Error{Status: fiber.StatusUnauthorized, Name: "AuthenticationError", Msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) error {
	return &Error{Status: fiber.StatusForbidden, Name: "NotAllowedError", Msg: fmt.Sprintf(format, args...)}
}

// public paths answer without credentials: the stylesheet and scripts, the
// health check and the sign-in flow itself.
func public(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/healthz" || path == "/favicon.ico" ||
		strings.HasPrefix(path, "/auth/")
}

func stateChanging(method string) bool {
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return false
	}
	return true
}

// Middleware identifies the request and enforces that one is identified:
//
//   - Authorization: Bearer <API token>: a token principal; a bad, expired or
//     revoked token is a 401 whatever else is configured. No CSRF check: a
//     browser never adds this header by itself.
//   - the session cookie: a user principal. State-changing methods must carry
//     the session's CSRF token (X-CSRF-Token header or _csrf form field), else 403.
//   - neither, with auth.guest enabled: the guest principal. A guest has no
//     cookie, so there is no token to check; a state change the browser marks
//     as cross-site (Sec-Fetch-Site, or an Origin naming another host) is
//     refused, so a web page cannot drive a guest portal on localhost.
//   - neither, without guest: /api/… answers 401 with Backstage's error body;
//     a page redirects to the sign-in page.
//
// The principal goes into c.UserContext() (identity.With) and
// c.Locals("principal"); the CSRF token into c.Locals("csrf").
func (s *Service) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Locals("csrf", "")
		p, csrf, err := s.identify(c)
		if err != nil {
			return err
		}
		if !p.Anonymous() {
			c.SetUserContext(identity.With(c.UserContext(), p))
			c.Locals("principal", p)
			c.Locals("csrf", csrf)
		}
		if stateChanging(c.Method()) {
			switch {
			case csrf != "":
				if !validCSRF(c, csrf) {
					return forbidden("missing or invalid CSRF token: send the session's token in the %s header or the %s form field (reload the page to get a fresh one)", CSRFHeader, CSRFField)
				}
			case p.Kind == identity.KindGuest:
				if crossSite(c) {
					return forbidden("cross-site request refused: a guest portal accepts changes only from its own pages")
				}
			}
		}
		if p.Anonymous() && !public(c.Path()) {
			if strings.HasPrefix(c.Path(), "/api/") || stateChanging(c.Method()) {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="portico"`)
				return unauthenticated("sign in or send an API token (Authorization: Bearer …) to use %s", c.Path())
			}
			return c.Redirect("/auth/sign-in?redirect="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return c.Next()
	}
}

// identify returns the request's principal (zero when anonymous) and, for a
// session, its CSRF token.
func (s *Service) identify(c *fiber.Ctx) (identity.Principal, string, error) {
	ctx := c.UserContext()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return identity.Principal{}, "", unauthenticated("Authorization header: expected Bearer <token>")
		}
		t, err := s.tokens.Verify(ctx, strings.TrimSpace(tok))
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="portico", error="invalid_token"`)
			return identity.Principal{}, "", unauthenticated("%v", err)
		}
		claims, exists, err := s.userClaims(ctx, t.UserRef)
		if err != nil {
			return identity.Principal{}, "", err
		}
		if !exists {
			return identity.Principal{}, "", unauthenticated("API token %s: its user %s is no longer in the catalog", t.ID, t.UserRef)
		}
		return identity.Principal{Kind: identity.KindToken, UserRef: t.UserRef, Claims: claims, Scopes: t.Scopes,
			CredentialID: "token:" + t.ID}, "", nil
	}
	if id := c.Cookies(SessionCookie); id != "" {
		sess, ok, err := s.sessions.get(ctx, id)
		if err != nil {
			return identity.Principal{}, "", err
		}
		if ok {
			claims, exists, err := s.userClaims(ctx, sess.UserRef)
			if err != nil {
				return identity.Principal{}, "", err
			}
			if exists {
				return identity.Principal{Kind: identity.KindUser, UserRef: sess.UserRef, Claims: claims,
					CredentialID: credentialID(id)}, sess.CSRF, nil
			}
			if err := s.sessions.delete(ctx, id); err != nil {
				return identity.Principal{}, "", err
			}
		}
		s.clearCookie(c, SessionCookie, "/") // unknown or expired: fall through as anonymous
	}
	if g := s.cfg.Guest; g.Enabled {
		claims, _, err := s.userClaims(ctx, g.User)
		if err != nil {
			return identity.Principal{}, "", err
		}
		return identity.Principal{Kind: identity.KindGuest, UserRef: g.User, Claims: claims, Roles: []string{g.Role}}, "", nil
	}
	return identity.Principal{}, "", nil
}

func validCSRF(c *fiber.Ctx, want string) bool {
	got := c.Get(CSRFHeader)
	if got == "" {
		ct := strings.ToLower(c.Get(fiber.HeaderContentType))
		if strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
			got = c.FormValue(CSRFField)
		}
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// crossSite reports whether the browser says the request comes from another
// site. Non-browser clients send neither header and pass.
func crossSite(c *fiber.Ctx) bool {
	switch strings.ToLower(c.Get("Sec-Fetch-Site")) {
	case "cross-site", "same-site":
		return true
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		if o == "null" || err != nil || !strings.EqualFold(u.Host, c.Hostname()) {
			return true
		}
	}
	return false
}

func (s *Service) setCookie(c *fiber.Ctx, name, value, path string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Service) clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HTTPOnly: true,
		Secure: s.secure, SameSite: fiber.CookieSameSiteLaxMode})
}
