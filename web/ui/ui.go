package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/web"
	"github.com/portico-dev/portico/web/graph"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the portal.
type Options struct {
	Store catalog.Store
	// Cards renders plugin cards on entity pages; nil = no plugin cards.
	Cards Cards
	// Plugins lists installed plugins for the admin page; nil = none.
	Plugins Plugins
	Logger  *slog.Logger
	// CardTimeout bounds one card fragment request (default 5 s); a card that
	// takes longer shows an error card.
	CardTimeout time.Duration
	// PageSize of the catalog list and the search page (default 25).
	PageSize int
	// FilterFor returns the reader's permission filter (nil: everything).
	FilterFor func(c *fiber.Ctx) (catalog.Filter, error)
	// Search answers the search page (/search) and the header search box;
	// nil: the search page says search is not configured and the box
	// falls back to the catalog list's text filter.
	Search Searcher
	// Policies is the permission policy the admin page shows and edits
	// (/admin/policies, policies.go); nil: permissions are disabled.
	Policies *authz.Authorizer
}

// UI is the portal's web.Area.
type UI struct {
	opts  Options
	log   *slog.Logger
	pages map[string]*template.Template
	api   *graph.API
}

// New parses the templates and returns the portal.
func New(o Options) (*UI, error) {
	if o.Store == nil {
		return nil, fmt.Errorf("ui: Options.Store is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CardTimeout <= 0 {
		o.CardTimeout = 5 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 25
	}
	u := &UI{opts: o, log: o.Logger, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/page_*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("ui: parse %s: %w", n, err)
		}
		u.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/page_"), ".html")] = t
	}
	card, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("ui: parse partials: %w", err)
	}
	u.pages["_partials"] = card
	u.api = &graph.API{Store: o.Store, FilterFor: o.FilterFor}
	return u, nil
}

// Mount registers the pages, the graph APIs and /static.
func (u *UI) Mount(r fiber.Router) {
	sub, _ := fs.Sub(staticFS, "static")
	r.Use("/static", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Next()
	}, filesystem.New(filesystem.Config{Root: http.FS(sub)}))
	u.api.Mount(r)
	r.Get("/", u.page(u.home))
	r.Get("/catalog", u.page(u.list))
	r.Get("/catalog/:namespace/:kind/:name", u.page(u.entity))
	r.Get("/catalog/:namespace/:kind/:name/graph", u.page(u.graphPage))
	r.Get("/catalog/:namespace/:kind/:name/cards/:plugin/:card", u.page(u.cardFragment))
	r.Get("/plugins", u.page(u.plugins))
	r.Get("/admin/policies", u.page(u.policies)).Post("/admin/policies", u.page(u.savePolicy))
	r.Get("/search", u.page(u.searchPage))
}

// base is what every page template gets; baseFor fills it.
type base struct {
	Title string
	Nav   string // "home", "catalog", "search", "plugins"
	Query string // the header search box's value
	// SearchAction is where the header search box goes: /search, or the
	// catalog list's text filter when no search index is configured.
	SearchAction, SearchParam string
	// Who reads the page (identity.From of the request).
	User     string // canonical user ref, "" when anonymous
	UserName string // the ref shown compactly
	SignedIn bool   // a user session or token (not a guest): show "Sign out"
	CSRF     string // the request's CSRF token for the sign-out form
	Path     string // the page's own path, where sign-in returns to
	// Policies: permissions are on, so the navigation links the policy page.
	Policies bool
}

func (u *UI) render(c *fiber.Ctx, page string, data any) error {
	t := u.pages[page]
	if t == nil {
		return fmt.Errorf("ui: no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("ui: render %s: %w", page, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(buf.Bytes())
}

func (u *UI) filter(c *fiber.Ctx) (catalog.Filter, error) {
	if u.opts.FilterFor == nil {
		return catalog.Filter{}, nil
	}
	return u.opts.FilterFor(c)
}

// EntityURL is the page of an entity ref ("kind:namespace/name").
func EntityURL(ref string) string {
	r, err := catalog.ParseRef(ref, catalog.RefContext{DefaultKind: "component", DefaultNamespace: catalog.DefaultNamespace})
	if err != nil {
		return "/catalog"
	}
	return "/catalog/" + url.PathEscape(r.Namespace) + "/" + url.PathEscape(r.Kind) + "/" + url.PathEscape(r.Name)
}

// refOf reads the :namespace/:kind/:name route parameters as a canonical ref.
// entityOf reads the entity the URL names, as the reader may see it: its
// canonical ref, the reader's filter (for further reads) and the record.
func (u *UI) entityOf(c *fiber.Ctx) (string, catalog.Filter, catalog.Record, error) {
	ref, err := refOf(c)
	if err != nil {
		return "", catalog.Filter{}, catalog.Record{}, err
	}
	perm, err := u.filter(c)
	if err != nil {
		return "", catalog.Filter{}, catalog.Record{}, err
	}
	rec, err := u.opts.Store.EntityByRef(c.UserContext(), ref, perm)
	return ref, perm, rec, err
}

func refOf(c *fiber.Ctx) (string, error) {
	ns, _ := url.PathUnescape(c.Params("namespace"))
	kind, _ := url.PathUnescape(c.Params("kind"))
	name, _ := url.PathUnescape(c.Params("name"))
	if ns == "" || kind == "" || name == "" {
		return "", catalog.Inputf("expected /catalog/:namespace/:kind/:name")
	}
	return catalog.Ref{Kind: kind, Namespace: ns, Name: name}.String(), nil
}

// MustNew is New for embedded templates, which are checked by the tests:
// an error is a programming error.
func MustNew(o Options) *UI {
	u, err := New(o)
	if err != nil {
		panic(err)
	}
	return u
}

var _ web.Area = (*UI)(nil)

// page turns a handler's error into an HTML error page with the status web's
// one error mapper gives it (the JSON APIs keep web's JSON error body).
func (u *UI) page(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := h(c)
		if err == nil {
			return nil
		}
		status, name := web.StatusOf(err)
		if status >= 500 {
			u.log.ErrorContext(c.UserContext(), "ui page failed", "path", c.Path(), "err", err)
		}
		heading := map[int]string{400: "Bad request", 403: "Not allowed", 404: "Not found"}[status]
		if heading == "" {
			heading = "Something went wrong"
		}
		msg := err.Error()
		if status >= 500 {
			msg = "The page could not be rendered (" + name + "). The error is in the server log."
		}
		c.Status(status)
		if rerr := u.render(c, "error", struct {
			base
			Heading, Message string
		}{u.baseFor(c, heading, ""), heading, msg}); rerr != nil {
			return err
		}
		return nil
	}
}
