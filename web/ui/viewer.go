package ui

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/identity"
)

// viewer is who the page is for: the principal the auth middleware put in
// the request's context; the zero Principal (anonymous) when none is set.
func viewer(c *fiber.Ctx) identity.Principal {
	p, _ := identity.From(c.UserContext())
	return p
}

// ownerClaims are the refs whose entities count as "mine": a user's (or
// token's) ownership claims (the user and its groups, resolved by auth), or
// the user ref alone when no claims were resolved; none for a guest.
func ownerClaims(p identity.Principal) []string {
	if p.Kind == identity.KindGuest || p.Kind == identity.KindService {
		return nil // the shared guest owns nothing of its own
	}
	if len(p.Claims) > 0 {
		return p.Claims
	}
	if p.UserRef != "" {
		return []string{p.UserRef}
	}
	return nil
}

// groupClaims are the claims other than the user itself.
func groupClaims(p identity.Principal) []string {
	var out []string
	for _, c := range p.Claims {
		if c != p.UserRef && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// baseFor fills what the layout needs: title, navigation, the header search
// box and the signed-in user (or the sign-in link).
func (u *UI) baseFor(c *fiber.Ctx, title, nav string) base {
	b := base{Title: title, Nav: nav, Path: c.OriginalURL(), SearchAction: "/search", SearchParam: "term",
		Policies: u.opts.Policies != nil}
	if u.opts.Search == nil {
		b.SearchAction, b.SearchParam = "/catalog", "q"
	}
	p := viewer(c)
	if p.Kind == identity.KindService {
		return b // Portico itself: no user to show
	}
	if p.UserRef != "" {
		b.User, b.UserName = p.UserRef, refName(p.UserRef)
	}
	b.SignedIn = p.Kind == identity.KindUser || p.Kind == identity.KindToken
	b.CSRF, _ = c.Locals("csrf").(string)
	return b
}
