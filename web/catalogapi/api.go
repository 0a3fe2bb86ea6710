// Package catalogapi serves the catalog REST API under /api/catalog, compatible
// with Backstage's catalog backend (shared/compat/backstage/REFERENCE.md §2):
// routes, query parameters, bodies, cursors and status codes.
//
// Handlers return errors (the catalog's typed errors); web's one error mapper
// turns them into Backstage's error body.
//
// Authorization (Config.Authz, package authz) is enforced in the store
// query: every entity read ANDs the caller's catalog.entity.read filter into
// the request's own, so totals, cursors, facets and by-refs nulls count only
// what the caller may see, and a hidden entity is a 404. DENY on a read is an
// empty answer, as in Backstage; DENY on a write is 403 NotAllowedError.
// Cursors carry only the caller's own filter; the permission filter is
// applied again on every page. This package must never import web
// (web imports it) nor any store implementation: it talks to catalog.Store and
// the Ingest interface only.
package catalogapi

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
)

// Ingest is what the API needs from ingestion; catalog/ingest's Engine implements it.
type Ingest interface {
	RegisterLocation(ctx context.Context, typ, target string) (catalog.Location, error)
	UpdateLocation(ctx context.Context, id, typ, target string) (catalog.Location, error)
	DeleteLocation(ctx context.Context, id string) error
	DryRun(ctx context.Context, typ, target string) ([]*catalog.Entity, []catalog.ProcessingError, error)
	RefreshEntity(ctx context.Context, ref string) error
	ValidateEntity(ctx context.Context, doc map[string]any, locationRef string) []catalog.ProcessingError
}

// Config is what Mount needs.
type Config struct {
	Store         catalog.Store
	Ingest        Ingest // nil: ingestion routes answer 501
	Logger        *slog.Logger
	ReadOnly      bool
	LocationTypes []string // default ["url"]
	// Authz decides permissions for the principal in each request's context;
	// nil allows everything (permission.enabled: false).
	Authz *authz.Authorizer
}

// api holds the handlers' shared state.
type api struct {
	store         catalog.Store
	ingest        Ingest
	log           *slog.Logger
	readOnly      bool
	locationTypes []string
	authz         *authz.Authorizer
}

// Mount registers every catalog route on r (normally the /api/catalog group).
func Mount(r fiber.Router, cfg Config) {
	a := &api{store: cfg.Store, ingest: cfg.Ingest, log: cfg.Logger, readOnly: cfg.ReadOnly, locationTypes: cfg.LocationTypes, authz: cfg.Authz}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if len(a.locationTypes) == 0 {
		a.locationTypes = []string{"url"}
	}

	r.Use(func(c *fiber.Ctx) error {
		if err := rejectNUL(c); err != nil {
			return err
		}
		return c.Next()
	})
	r.Get("/entities", a.getEntities)
	r.Get("/entities/by-query", a.getEntitiesByQuery)
	r.Post("/entities/by-query", a.postEntitiesByQuery)
	r.Post("/entities/by-refs", a.postEntitiesByRefs)
	r.Get("/entities/by-uid/:uid", a.getEntityByUID)
	r.Delete("/entities/by-uid/:uid", a.deleteEntityByUID)
	r.Get("/entities/by-name/:kind/:namespace/:name", a.getEntityByName)
	r.Get("/entities/by-name/:kind/:namespace/:name/ancestry", a.getAncestry)
	r.Get("/entity-facets", a.getFacets)
	r.Post("/entity-facets", a.postFacets)

	r.Post("/refresh", a.postRefresh)
	r.Post("/validate-entity", a.postValidateEntity)
	r.Post("/analyze-location", a.postAnalyzeLocation)

	r.Post("/locations", a.postLocation)
	r.Get("/locations", a.getLocations)
	r.Post("/locations/by-query", a.postLocationsByQuery)
	r.Get("/locations/by-entity/:kind/:namespace/:name", a.getLocationByEntity)
	r.Get("/locations/:id", a.getLocation)
	r.Put("/locations/:id", a.putLocation)
	r.Delete("/locations/:id", a.deleteLocation)
}

// errNoIngest answers routes that need ingestion when none is configured.
var errNoIngest = fiber.NewError(fiber.StatusNotImplemented, "Ingestion is not configured on this server")

func (a *api) needIngest() error {
	if a.ingest == nil {
		return errNoIngest
	}
	return nil
}

func errReadOnly() error {
	return &catalog.NotAllowedError{Msg: "This operation not allowed in readonly mode"}
}

// noBody answers with a status and an empty body (Backstage's res.status(n).end()).
func noBody(c *fiber.Ctx, status int) error {
	c.Response().ResetBody()
	c.Status(status)
	return nil
}
