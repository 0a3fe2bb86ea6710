package graph

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/catalog"
)

// API serves the graph endpoints.
type API struct {
	Store catalog.Store
	// FilterFor returns the reader's permission filter (nil: everything).
	FilterFor func(c *fiber.Ctx) (catalog.Filter, error)
}

// Mount registers GET /api/catalog/graph and GET /api/catalog/blast-radius on
// the root router. Errors go through web's error handler.
func (a *API) Mount(r fiber.Router) {
	r.Get("/api/catalog/graph", a.graph)
	r.Get("/api/catalog/blast-radius", a.blast)
}

func (a *API) filter(c *fiber.Ctx) (catalog.Filter, error) {
	if a.FilterFor == nil {
		return catalog.Filter{}, nil
	}
	return a.FilterFor(c)
}

// OptionsFromQuery reads root, depth, direction and relations (repeated or
// comma-separated) from a request's query string.
func OptionsFromQuery(c *fiber.Ctx) (Options, error) {
	o := Options{Root: c.Query("root")}
	if d := c.Query("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return o, catalog.Inputf("depth %q: expected a whole number from 1 to %d", d, MaxDepth)
		}
		o.Depth = n
	}
	dir, err := ParseDirection(c.Query("direction"))
	if err != nil {
		return o, err
	}
	o.Direction = dir
	for _, v := range c.Context().QueryArgs().PeekMulti("relations") {
		o.Relations = append(o.Relations, string(v))
	}
	if _, err := NormalizeRelations(o.Relations); err != nil {
		return o, err
	}
	return o, nil
}

func (a *API) graph(c *fiber.Ctx) error {
	o, err := OptionsFromQuery(c)
	if err != nil {
		return err
	}
	if o.Filter, err = a.filter(c); err != nil {
		return err
	}
	g, err := Build(c.UserContext(), a.Store, o)
	if err != nil {
		return err
	}
	return c.JSON(g)
}

func (a *API) blast(c *fiber.Ctx) error {
	f, err := a.filter(c)
	if err != nil {
		return err
	}
	b, err := Blast(c.UserContext(), a.Store, c.Query("root"), f)
	if err != nil {
		return err
	}
	return c.JSON(b)
}
