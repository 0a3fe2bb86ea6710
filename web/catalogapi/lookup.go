package catalogapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
)

// sendRaw writes stored JSON bytes as the response.
func sendRaw(c *fiber.Ctx, status int, b []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Status(status).Send(b)
}

func isNotFound(err error) bool {
	var nf *catalog.NotFoundError
	return errors.As(err, &nf)
}

// pathRef builds the canonical ref from the :kind/:namespace/:name parameters.
func pathRef(c *fiber.Ctx) catalog.Ref {
	return catalog.Ref{Kind: c.Params("kind"), Namespace: c.Params("namespace"), Name: c.Params("name")}
}

// getEntityByUID is GET /entities/by-uid/:uid.
func (a *api) getEntityByUID(c *fiber.Ctx) error {
	uid := c.Params("uid")
	rec, err := a.store.EntityByUID(c.UserContext(), uid, a.readFilter(c))
	if isNotFound(err) {
		return catalog.NotFoundf("No entity with uid %s", uid)
	}
	if err != nil {
		return err
	}
	return sendRaw(c, fiber.StatusOK, rec.JSON)
}

// deleteEntityByUID is DELETE /entities/by-uid/:uid.
func (a *api) deleteEntityByUID(c *fiber.Ctx) error {
	uid := c.Params("uid")
	if err := a.requireOnEntity(c, authz.CatalogEntityDelete, func(ctx context.Context, f catalog.Filter) error {
		_, err := a.store.EntityByUID(ctx, uid, f)
		return err
	}, catalog.NotFoundf("No entity with uid %s", uid)); err != nil {
		return err
	}
	err := a.store.DeleteEntityByUID(c.UserContext(), uid)
	if isNotFound(err) {
		return catalog.NotFoundf("No entity with uid %s", uid)
	}
	if err != nil {
		return err
	}
	return noBody(c, fiber.StatusNoContent)
}

// getEntityByName is GET /entities/by-name/:kind/:namespace/:name.
func (a *api) getEntityByName(c *fiber.Ctx) error {
	ref := pathRef(c)
	rec, err := a.store.EntityByRef(c.UserContext(), ref.String(), a.readFilter(c))
	if isNotFound(err) {
		return catalog.NotFoundf("No entity named '%s' found, with kind '%s' in namespace '%s'", ref.Name, ref.Kind, ref.Namespace)
	}
	if err != nil {
		return err
	}
	return sendRaw(c, fiber.StatusOK, rec.JSON)
}

// getAncestry is GET /entities/by-name/:kind/:namespace/:name/ancestry.
func (a *api) getAncestry(c *fiber.Ctx) error {
	ref := pathRef(c).String()
	items, err := a.store.Ancestry(c.UserContext(), ref)
	if isNotFound(err) || (err == nil && len(items) == 0) {
		return catalog.NotFoundf("No such entity %s", ref)
	}
	if err != nil {
		return err
	}
	if items, err = a.visibleAncestry(c, ref, items); err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(`{"rootEntityRef":`)
	rb, _ := json.Marshal(ref)
	buf.Write(rb)
	buf.WriteString(`,"items":[`)
	for i, it := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		parents := it.ParentEntityRefs
		if parents == nil {
			parents = []string{}
		}
		pb, _ := json.Marshal(parents)
		buf.WriteString(`{"entity":`)
		buf.Write(it.Record.JSON)
		buf.WriteString(`,"parentEntityRefs":`)
		buf.Write(pb)
		buf.WriteByte('}')
	}
	buf.WriteString("]}")
	return sendRaw(c, fiber.StatusOK, buf.Bytes())
}

// byRefsBody is POST /entities/by-refs' body.
type byRefsBody struct {
	EntityRefs *[]string       `json:"entityRefs"`
	Fields     []string        `json:"fields"`
	Query      json.RawMessage `json:"query"`
}

// postEntitiesByRefs is POST /entities/by-refs.
func (a *api) postEntitiesByRefs(c *fiber.Ctx) error {
	body, err := requireJSONBody(c)
	if err != nil {
		return err
	}
	var b byRefsBody
	if err := decodeLenient(body, &b); err != nil {
		return err
	}
	if b.EntityRefs == nil {
		return catalog.Inputf("Malformed request: entityRefs is required")
	}
	proj, err := parseFields(b.Fields)
	if err != nil {
		return err
	}
	filter, err := catalog.ParseFilterParams(queryValues(c, "filter"))
	if err != nil {
		return err
	}
	if q := bytes.TrimSpace(b.Query); len(q) > 0 && string(q) != "null" {
		if q[0] != '{' {
			return catalog.Inputf("Invalid query: must be an object")
		}
		pf, err := catalog.ParsePredicate(q)
		if err != nil {
			return err
		}
		filter = catalog.And(filter, pf)
	}
	refs := make([]string, len(*b.EntityRefs))
	for i, s := range *b.EntityRefs {
		if r, err := catalog.ParseRef(s, catalog.RefContext{}); err == nil {
			refs[i] = r.String()
		} else {
			refs[i] = strings.ToLower(s) // cannot exist; the store answers null
		}
	}
	recs, err := a.store.EntitiesByRefs(c.UserContext(), refs, catalog.And(filter, a.readFilter(c)))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString(`{"items":[`)
	for i := range refs {
		if i > 0 {
			buf.WriteByte(',')
		}
		if i >= len(recs) || recs[i] == nil {
			buf.WriteString("null")
			continue
		}
		eb, err := proj.apply(recs[i].JSON)
		if err != nil {
			return err
		}
		buf.Write(eb)
	}
	buf.WriteString("]}")
	return sendRaw(c, fiber.StatusOK, buf.Bytes())
}

// getFacets is GET /entity-facets.
func (a *api) getFacets(c *fiber.Ctx) error {
	facets := queryValues(c, "facet")
	if len(facets) == 0 {
		return catalog.Inputf("Missing facet parameter")
	}
	filter, err := catalog.ParseFilterParams(queryValues(c, "filter"))
	if err != nil {
		return err
	}
	return a.facets(c, facets, filter)
}

// postFacets is POST /entity-facets.
func (a *api) postFacets(c *fiber.Ctx) error {
	body, err := requireJSONBody(c)
	if err != nil {
		return err
	}
	var b struct {
		Facets []string        `json:"facets"`
		Query  json.RawMessage `json:"query"`
	}
	if err := decodeLenient(body, &b); err != nil {
		return err
	}
	if len(b.Facets) == 0 {
		return catalog.Inputf("Missing facet parameter")
	}
	var filter catalog.Filter
	if q := bytes.TrimSpace(b.Query); len(q) > 0 && string(q) != "null" {
		if q[0] != '{' {
			return catalog.Inputf("Invalid query: must be an object")
		}
		if filter, err = catalog.ParsePredicate(q); err != nil {
			return err
		}
	}
	return a.facets(c, b.Facets, filter)
}

// facets asks the store with lower-cased keys and answers keyed by the facets as given.
func (a *api) facets(c *fiber.Ctx, facets []string, filter catalog.Filter) error {
	keys := make([]string, 0, len(facets))
	seen := map[string]bool{}
	for _, f := range facets {
		k := strings.ToLower(strings.TrimSpace(f))
		if k == "" {
			return catalog.Inputf("Invalid facet, must not be empty")
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	got, err := a.store.Facets(c.UserContext(), catalog.And(filter, a.readFilter(c)), keys)
	if err != nil {
		return err
	}
	out := make(map[string][]catalog.FacetCount, len(facets))
	for _, f := range facets {
		counts := got[strings.ToLower(strings.TrimSpace(f))]
		if counts == nil {
			counts = []catalog.FacetCount{}
		}
		out[f] = counts
	}
	return c.JSON(fiber.Map{"facets": out})
}
