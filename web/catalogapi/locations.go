package catalogapi

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
)

// locationJSON is the Location schema: {id, type, target, entityRef}.
type locationJSON struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Target    string `json:"target"`
	EntityRef string `json:"entityRef"`
}

// generatedLocationRef is location:default/generated-<sha1hex of "type:target">
// (catalog-backend util/conversion.ts).
func generatedLocationRef(typ, target string) string {
	sum := sha1.Sum([]byte(typ + ":" + target))
	return "location:default/generated-" + hex.EncodeToString(sum[:])
}

func toLocationJSON(l catalog.Location) locationJSON {
	ref := l.EntityRef
	if ref == "" {
		ref = generatedLocationRef(l.Type, l.Target)
	}
	return locationJSON{ID: l.ID, Type: l.Type, Target: l.Target, EntityRef: ref}
}

// locationInput is {type, target}; POST /locations also allows presence.
type locationInput struct {
	Type     *string `json:"type"`
	Target   *string `json:"target"`
	Presence *string `json:"presence,omitempty"`
}

func (in locationInput) check(allowPresence bool) error {
	if in.Type == nil || in.Target == nil {
		return catalog.Inputf("Malformed request: type and target are required")
	}
	if *in.Type == "" || *in.Target == "" {
		return catalog.Inputf("Malformed request: type and target must not be empty")
	}
	if in.Presence != nil && (!allowPresence || (*in.Presence != "optional" && *in.Presence != "required")) {
		return catalog.Inputf("Malformed request: presence must be \"optional\" or \"required\"")
	}
	return nil
}

func (a *api) checkLocationType(typ string) error {
	if slices.Contains(a.locationTypes, typ) {
		return nil
	}
	allowed, _ := json.Marshal(a.locationTypes)
	return catalog.Inputf("Registered locations must be of an allowed type %s", allowed)
}

// findLocation returns the registered location with this type and target.
func (a *api) findLocation(c *fiber.Ctx, typ, target string) (catalog.Location, bool, error) {
	all, err := a.store.Locations(c.UserContext())
	if err != nil {
		return catalog.Location{}, false, err
	}
	for _, l := range all {
		if l.Type == typ && l.Target == target {
			return l, true, nil
		}
	}
	return catalog.Location{}, false, nil
}

// readLocationInput reads and checks the body of POST and PUT /locations
// (presence only on POST), checking in this order: the body, read-only mode
// when the request writes, the location type, then the ingester.
func (a *api) readLocationInput(c *fiber.Ctx, allowPresence, writes bool) (locationInput, error) {
	var in locationInput
	body, err := requireJSONBody(c)
	if err != nil {
		return in, err
	}
	if err := decodeStrict(body, &in); err != nil {
		return in, err
	}
	if err := in.check(allowPresence); err != nil {
		return in, err
	}
	if writes && a.readOnly {
		return in, errReadOnly()
	}
	if err := a.checkLocationType(*in.Type); err != nil {
		return in, err
	}
	return in, a.needIngest()
}

// postLocation is POST /locations?dryRun&onConflict.
func (a *api) postLocation(c *fiber.Ctx) error {
	if err := a.require(c, authz.CatalogLocationCreate); err != nil {
		return err
	}
	dryRun := false
	if v, ok := queryValue(c, "dryRun"); ok {
		switch v {
		case "true":
			dryRun = true
		case "false", "":
		default:
			return catalog.Inputf("Invalid dryRun, expected \"true\" or \"false\"")
		}
	}
	onConflict := "reject"
	if v, ok := queryValue(c, "onConflict"); ok {
		if v != "refresh" && v != "reject" {
			return catalog.Inputf("Invalid onConflict, expected \"refresh\" or \"reject\"")
		}
		onConflict = v
	}
	in, err := a.readLocationInput(c, true, !dryRun)
	if err != nil {
		return err
	}
	typ, target := *in.Type, *in.Target
	existing, exists, err := a.findLocation(c, typ, target)
	if err != nil {
		return err
	}
	if dryRun {
		return a.dryRunLocation(c, typ, target, existing, exists)
	}
	if exists {
		if onConflict == "reject" {
			return catalog.Conflictf("Location %s:%s already exists", typ, target)
		}
		if err := a.store.ScheduleRefresh(c.UserContext(), existing.ID, time.Now()); err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{
			"location": toLocationJSON(existing), "entities": []any{}, "exists": true,
		})
	}
	loc, err := a.ingest.RegisterLocation(c.UserContext(), typ, target)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"location": toLocationJSON(loc), "entities": []any{}})
}

func (a *api) dryRunLocation(c *fiber.Ctx, typ, target string, existing catalog.Location, exists bool) error {
	entities, perrs, err := a.ingest.DryRun(c.UserContext(), typ, target)
	if err != nil {
		return err
	}
	if len(perrs) > 0 {
		msgs := make([]string, len(perrs))
		for i, e := range perrs {
			msgs[i] = e.Message
		}
		return catalog.Inputf("Failed processing of location %s:%s, errors: %s", typ, target, strings.Join(msgs, "; "))
	}
	loc := existing
	if !exists {
		loc = catalog.Location{ID: uuid.NewString(), Type: typ, Target: target}
	}
	if entities == nil {
		entities = []*catalog.Entity{}
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"location": toLocationJSON(loc), "entities": entities, "exists": exists})
}

// getLocations is GET /locations: [{data: Location}].
func (a *api) getLocations(c *fiber.Ctx) error {
	if !a.locationsReadable(c) {
		return c.JSON([]fiber.Map{})
	}
	all, err := a.store.Locations(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]fiber.Map, len(all))
	for i, l := range all {
		out[i] = fiber.Map{"data": toLocationJSON(l)}
	}
	return c.JSON(out)
}

// getLocation is GET /locations/:id.
func (a *api) getLocation(c *fiber.Ctx) error {
	id := c.Params("id")
	if !a.locationsReadable(c) {
		return catalog.NotFoundf("Found no location with ID %s", id)
	}
	l, err := a.store.Location(c.UserContext(), id)
	if isNotFound(err) {
		return catalog.NotFoundf("Found no location with ID %s", id)
	}
	if err != nil {
		return err
	}
	return c.JSON(toLocationJSON(l))
}

// putLocation is PUT /locations/:id.
func (a *api) putLocation(c *fiber.Ctx) error {
	if err := a.require(c, authz.CatalogLocationCreate); err != nil {
		return err
	}
	in, err := a.readLocationInput(c, false, true)
	if err != nil {
		return err
	}
	id := c.Params("id")
	if _, err := a.store.Location(c.UserContext(), id); isNotFound(err) {
		return catalog.NotFoundf("Found no location with ID %s", id)
	} else if err != nil {
		return err
	}
	if other, exists, err := a.findLocation(c, *in.Type, *in.Target); err != nil {
		return err
	} else if exists && other.ID != id {
		return catalog.Conflictf("Location %s:%s already exists", *in.Type, *in.Target)
	}
	l, err := a.ingest.UpdateLocation(c.UserContext(), id, *in.Type, *in.Target)
	if err != nil {
		return err
	}
	return c.JSON(toLocationJSON(l))
}

// deleteLocation is DELETE /locations/:id.
func (a *api) deleteLocation(c *fiber.Ctx) error {
	if err := a.require(c, authz.CatalogLocationDelete); err != nil {
		return err
	}
	if a.readOnly {
		return errReadOnly()
	}
	if err := a.needIngest(); err != nil {
		return err
	}
	id := c.Params("id")
	if _, err := a.store.Location(c.UserContext(), id); isNotFound(err) {
		return catalog.NotFoundf("Found no location with ID %s", id)
	} else if err != nil {
		return err
	}
	if err := a.ingest.DeleteLocation(c.UserContext(), id); err != nil {
		return err
	}
	return noBody(c, fiber.StatusNoContent)
}

// getLocationByEntity is GET /locations/by-entity/:kind/:namespace/:name.
func (a *api) getLocationByEntity(c *fiber.Ctx) error {
	ref := pathRef(c).String()
	if !a.locationsReadable(c) {
		return catalog.NotFoundf("No location found for entity %s", ref)
	}
	if _, err := a.store.EntityByRef(c.UserContext(), ref, a.readFilter(c)); isNotFound(err) {
		return catalog.NotFoundf("No location found for entity %s", ref)
	} else if err != nil {
		return err
	}
	l, err := a.store.LocationByEntity(c.UserContext(), ref)
	if isNotFound(err) {
		return catalog.NotFoundf("No location found for entity %s", ref)
	}
	if err != nil {
		return err
	}
	return c.JSON(toLocationJSON(l))
}

// locationsCursor continues POST /locations/by-query.
type locationsCursor struct {
	Query  json.RawMessage `json:"query,omitempty"`
	Limit  int             `json:"limit"`
	Offset int             `json:"offset"`
}

// defaultLocationsLimit is POST /locations/by-query's page size.
const defaultLocationsLimit = 1000

// postLocationsByQuery is POST /locations/by-query: {items, totalItems, pageInfo}.
// Locations are few (they are roots), so the predicate is evaluated here over
// each location's id, type, target and entityRef.
func (a *api) postLocationsByQuery(c *fiber.Ctx) error {
	body, err := optionalJSONBody(c)
	if err != nil {
		return err
	}
	var b struct {
		Cursor *string         `json:"cursor"`
		Limit  *float64        `json:"limit"`
		Query  json.RawMessage `json:"query"`
	}
	if body != nil {
		if err := decodeLenient(body, &b); err != nil {
			return err
		}
	}
	cur := locationsCursor{Limit: defaultLocationsLimit}
	if b.Cursor != nil {
		raw, err := base64.StdEncoding.DecodeString(*b.Cursor)
		if err != nil || json.Unmarshal(raw, &cur) != nil || cur.Limit < 1 || cur.Offset < 0 {
			return catalog.Inputf("Malformed cursor, could not be parsed")
		}
	} else if q := bytes.TrimSpace(b.Query); len(q) > 0 && string(q) != "null" {
		if q[0] != '{' {
			return catalog.Inputf("Invalid query: must be an object")
		}
		cur.Query = q
	}
	if b.Limit != nil {
		if *b.Limit < 1 || *b.Limit != float64(int(*b.Limit)) {
			return catalog.Inputf("Invalid limit, must be an integer greater than zero")
		}
		cur.Limit = int(*b.Limit)
	}
	filter, err := catalog.ParsePredicate(cur.Query)
	if err != nil {
		return err
	}
	if !a.locationsReadable(c) {
		return c.JSON(fiber.Map{"items": []locationJSON{}, "totalItems": 0, "pageInfo": map[string]string{}})
	}
	all, err := a.store.Locations(c.UserContext())
	if err != nil {
		return err
	}
	matched := make([]locationJSON, 0, len(all))
	for _, l := range all {
		lj := toLocationJSON(l)
		ts := catalog.TokenSet{
			"id": {strings.ToLower(lj.ID)}, "type": {strings.ToLower(lj.Type)},
			"target": {strings.ToLower(lj.Target)}, "entityref": {strings.ToLower(lj.EntityRef)},
		}
		if filter.MatchTokens(ts) {
			matched = append(matched, lj)
		}
	}
	slices.SortFunc(matched, func(x, y locationJSON) int { return strings.Compare(x.ID, y.ID) })
	start := min(cur.Offset, len(matched))
	end := min(start+cur.Limit, len(matched))
	info := map[string]string{}
	if end < len(matched) {
		n := cur
		n.Offset = end
		nb, _ := json.Marshal(n)
		info["nextCursor"] = base64.StdEncoding.EncodeToString(nb)
	}
	return c.JSON(fiber.Map{"items": matched[start:end], "totalItems": len(matched), "pageInfo": info})
}
