package auth

import (
	"bytes"
	"embed"
	"html/template"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/identity"
)

//go:embed templates/page.html
var pageFS embed.FS

var pageTmpl = template.Must(template.ParseFS(pageFS, "templates/page.html"))

// pageData fills the one auth page: sign-in options, signed-in state or an error.
type pageData struct {
	Title      string
	Message    string
	Error      string
	LoginURL   string
	Provider   string
	SignedInAs string
	CSRF       string
	Retry      bool
}

func (s *Service) page(c *fiber.Ctx, status int, d pageData) error {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// signInPage lists the sign-in option, or says who is signed in.
func (s *Service) signInPage(c *fiber.Ctx) error {
	d := pageData{Title: "Sign in to Portico"}
	if p, ok := identity.From(c.UserContext()); ok && p.Kind == identity.KindUser {
		d.Title, d.SignedInAs, d.CSRF = "Signed in", p.UserRef, CSRFToken(c)
		return s.page(c, fiber.StatusOK, d)
	}
	if s.oidc != nil {
		d.Provider = s.oidc.cfg.Title
		if d.Provider == "" {
			d.Provider = "your organisation's account"
		}
		d.LoginURL = "/auth/login?redirect=" + url.QueryEscape(localRedirect(c.Query("redirect")))
	}
	if s.cfg.Guest.Enabled {
		d.Message = "Guest access is on: you can use the portal without signing in."
	}
	return s.page(c, fiber.StatusOK, d)
}

// logoutPage confirms a sign-out (the sign-out itself is a POST with the CSRF token).
func (s *Service) logoutPage(c *fiber.Ctx) error {
	p, ok := identity.From(c.UserContext())
	if !ok || p.Kind != identity.KindUser {
		return c.Redirect("/auth/sign-in", fiber.StatusSeeOther)
	}
	return s.page(c, fiber.StatusOK, pageData{Title: "Sign out", SignedInAs: p.UserRef, CSRF: CSRFToken(c)})
}

// CSRFToken is the request's CSRF token as Middleware set it ("" for guests,
// tokens and anonymous requests): the value for a form's _csrf field.
func CSRFToken(c *fiber.Ctx) string {
	v, _ := c.Locals("csrf").(string)
	return v
}
