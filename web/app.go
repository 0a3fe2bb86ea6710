package web

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/web/catalogapi"
)

// Ingest is what the catalog API needs from ingestion (catalog/ingest's
// *ingest.Engine satisfies it).
type Ingest = catalogapi.Ingest

// DefaultBodyLimit is the largest request body accepted when Options.BodyLimit is 0.
const DefaultBodyLimit = 4 << 20

// Options configures the application. Zero values are usable defaults except
// Store, which is required.
type Options struct {
	Store  catalog.Store
	Ingest Ingest // nil: the location and refresh routes answer 501
	Logger *slog.Logger
	// ReadOnly is catalog.readonly: locations cannot be registered, changed or removed.
	ReadOnly bool
	// LocationTypes are the location types the API may register; default ["url"],
	// as Backstage's catalog.allowedLocationTypes.
	LocationTypes []string
	// BodyLimit caps request bodies in bytes; default DefaultBodyLimit.
	BodyLimit int
	// Areas are extra route groups mounted after the built-in ones.
	Areas []Area
	// Middleware runs, in order, before every route except /healthz (e.g.
	// auth's Middleware, which itself lets /static and /auth through).
	Middleware []fiber.Handler
	// Authz decides the catalog API's permissions (nil: everything allowed).
	Authz *authz.Authorizer
}

// Area is one group of routes, mounted on the application's root router.
// Each area owns its path prefix (e.g. /api/catalog, /catalog, /api/search).
type Area interface {
	Mount(r fiber.Router)
}

// AreaFunc adapts a function to Area.
type AreaFunc func(r fiber.Router)

// Mount calls f.
func (f AreaFunc) Mount(r fiber.Router) { f(r) }

var _ Area = AreaFunc(nil)

// New builds the Fiber application with every area mounted.
func New(opts Options) *fiber.App {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limit := opts.BodyLimit
	if limit <= 0 {
		limit = DefaultBodyLimit
	}
	app := fiber.New(fiber.Config{
		AppName:               "portico",
		BodyLimit:             limit,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(log),
		// Bodies are parsed by the handlers with strict decoders.
		StrictRouting: false,
		CaseSensitive: true,
	})
	app.Use(requestLogger(log))
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		log.ErrorContext(context.Background(), "panic serving request", "method", c.Method(), "path", c.Path(), "panic", e)
	}}))
	app.Get("/healthz", healthz)
	for _, mw := range opts.Middleware {
		app.Use(mw)
	}

	catalogapi.Mount(app.Group("/api/catalog"), catalogapi.Config{
		Store:         opts.Store,
		Ingest:        opts.Ingest,
		Logger:        log,
		ReadOnly:      opts.ReadOnly,
		LocationTypes: opts.LocationTypes,
		Authz:         opts.Authz,
	})
	for _, a := range opts.Areas {
		a.Mount(app)
	}
	return app
}

func healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}
