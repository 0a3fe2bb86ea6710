package catalogapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/catalog"
)

// postRefresh is POST /refresh: {entityRef, authorizationToken?} → 200, empty body.
func (a *api) postRefresh(c *fiber.Ctx) error {
	body, err := requireJSONBody(c)
	if err != nil {
		return err
	}
	var b struct {
		EntityRef          *string `json:"entityRef"`
		AuthorizationToken *string `json:"authorizationToken"`
	}
	if err := decodeStrict(body, &b); err != nil {
		return err
	}
	if b.EntityRef == nil || *b.EntityRef == "" {
		return catalog.Inputf("Malformed request: entityRef is required")
	}
	ref, err := catalog.ParseRef(*b.EntityRef, catalog.RefContext{})
	if err != nil {
		return err
	}
	if err := a.needIngest(); err != nil {
		return err
	}
	if err := a.requireOnEntity(c, authz.CatalogEntityRefresh, func(ctx context.Context, f catalog.Filter) error {
		_, err := a.store.EntityByRef(ctx, ref.String(), f)
		return err
	}, catalog.NotFoundf("No entity named '%s' found, with kind '%s' in namespace '%s'", ref.Name, ref.Kind, ref.Namespace)); err != nil {
		return err
	}
	if err := a.ingest.RefreshEntity(c.UserContext(), ref.String()); err != nil {
		return err
	}
	return noBody(c, fiber.StatusOK)
}

// serializedError is Backstage's serializeError shape inside {errors: [...]}.
type serializedError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
}

func validationFailed(c *fiber.Ctx, errs ...serializedError) error {
	return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"errors": errs})
}

// postValidateEntity is POST /validate-entity: {entity, location} → 200 empty
// or 400 {errors}. Every failure, including a bad body, is reported in the
// errors array, as Backstage does.
func (a *api) postValidateEntity(c *fiber.Ctx) error {
	if err := a.require(c, authz.CatalogEntityValidate); err != nil {
		return err
	}
	body, err := requireJSONBody(c)
	if err != nil {
		return validationFailed(c, toSerialized(err))
	}
	var b struct {
		Entity   json.RawMessage `json:"entity"`
		Location *string         `json:"location"`
	}
	if err := decodeLenient(body, &b); err != nil {
		return validationFailed(c, toSerialized(err))
	}
	if b.Location == nil {
		return validationFailed(c, serializedError{Name: "InputError", Message: "Malformed request: location is required"})
	}
	var doc map[string]any
	if e := bytes.TrimSpace(b.Entity); len(e) == 0 || e[0] != '{' || json.Unmarshal(e, &doc) != nil {
		return validationFailed(c, serializedError{Name: "TypeError", Message: "Malformed envelope, entity must be an object"})
	}
	typ, _, ok := strings.Cut(*b.Location, ":")
	if !ok || typ != "url" {
		return validationFailed(c, serializedError{Name: "TypeError",
			Message: "Invalid location ref " + *b.Location + ", only 'url:<target>' is supported, e.g. url:https://host/path"})
	}
	if err := a.needIngest(); err != nil {
		return err
	}
	perrs := a.ingest.ValidateEntity(c.UserContext(), doc, *b.Location)
	if len(perrs) == 0 {
		return noBody(c, fiber.StatusOK)
	}
	out := make([]serializedError, len(perrs))
	for i, p := range perrs {
		name := p.Name
		if name == "" {
			name = "InputError"
		}
		out[i] = serializedError{Name: name, Message: p.Message, Field: p.Field, Line: p.Line}
	}
	return validationFailed(c, out...)
}

func toSerialized(err error) serializedError {
	var in *catalog.InputError
	if errors.As(err, &in) {
		return serializedError{Name: "InputError", Message: in.Msg}
	}
	return serializedError{Name: "Error", Message: err.Error()}
}

// analyzeField is AnalyzeLocationEntityField.
type analyzeField struct {
	Field       string  `json:"field"`
	State       string  `json:"state"`
	Value       *string `json:"value"`
	Description string  `json:"description"`
}

type existingEntityFile struct {
	Entity       *catalog.Entity `json:"entity"`
	IsRegistered bool            `json:"isRegistered"`
	Location     locationSpec    `json:"location"`
}

type locationSpec struct {
	Type   string `json:"type"`
	Target string `json:"target"`
}

type generateEntity struct {
	Entity map[string]any `json:"entity"`
	Fields []analyzeField `json:"fields"`
}

// postAnalyzeLocation is POST /analyze-location. Portico has no SCM
// integrations: it reads the target itself (or <target>/<catalogFilename> when
// the target is not a YAML file) with a dry run. Entities found are reported as
// existing files; otherwise it suggests a Component named after the last path
// segment, with the owner left for the user.
func (a *api) postAnalyzeLocation(c *fiber.Ctx) error {
	if err := a.require(c, authz.CatalogLocationAnalyze); err != nil {
		return err
	}
	body, err := requireJSONBody(c)
	if err != nil {
		return err
	}
	var b struct {
		Location *struct {
			Type   string `json:"type"`
			Target string `json:"target"`
		} `json:"location"`
		CatalogFilename *string `json:"catalogFilename"`
		CatalogFileName *string `json:"catalogFileName"` // the spec's spelling
	}
	if err := decodeLenient(body, &b); err != nil {
		return err
	}
	if b.Location == nil {
		return catalog.Inputf("Malformed request: location is required")
	}
	u, err := url.Parse(b.Location.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return catalog.Inputf("The given location.target is not a URL")
	}
	if err := a.needIngest(); err != nil {
		return err
	}
	filename := "catalog-info.yaml"
	for _, f := range []*string{b.CatalogFilename, b.CatalogFileName} {
		if f != nil && *f != "" {
			filename = *f
		}
	}
	target := b.Location.Target
	if ext := strings.ToLower(path.Ext(u.Path)); ext != ".yaml" && ext != ".yml" {
		target = strings.TrimSuffix(target, "/") + "/" + filename
	}
	entities, _, err := a.ingest.DryRun(c.UserContext(), "url", target)
	if err != nil {
		var in *catalog.InputError
		if !errors.As(err, &in) && !isNotFound(err) {
			return err
		}
		entities = nil // unreadable target: nothing exists there yet
	}
	// The dry run lists the generated Location entity of the target itself first; it is not a file's entity.
	generated := strings.TrimPrefix(generatedLocationRef("url", target), "location:default/")
	entities = slices.DeleteFunc(entities, func(e *catalog.Entity) bool {
		return e.Kind == "Location" && e.Metadata.Name == generated
	})
	resp := struct {
		ExistingEntityFiles []existingEntityFile `json:"existingEntityFiles"`
		GenerateEntities    []generateEntity     `json:"generateEntities"`
	}{ExistingEntityFiles: []existingEntityFile{}, GenerateEntities: []generateEntity{}}
	if len(entities) > 0 {
		_, registered, err := a.findLocation(c, "url", target)
		if err != nil {
			return err
		}
		for _, e := range entities {
			resp.ExistingEntityFiles = append(resp.ExistingEntityFiles, existingEntityFile{
				Entity: e, IsRegistered: registered, Location: locationSpec{Type: "url", Target: target},
			})
		}
		return c.JSON(resp)
	}
	name := path.Base(strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git"))
	if name == "." || name == "/" || name == "" {
		name = u.Hostname()
	}
	resp.GenerateEntities = append(resp.GenerateEntities, generateEntity{
		Entity: map[string]any{
			"apiVersion": "backstage.io/v1alpha1",
			"kind":       "Component",
			"metadata":   map[string]any{"name": name},
			"spec":       map[string]any{"type": "other", "lifecycle": "unknown"},
		},
		Fields: []analyzeField{{
			Field: "spec.owner", State: "needsUserInput", Value: nil,
			Description: "Entity owner: no CODEOWNERS information is available, so the owner must be chosen",
		}},
	})
	return c.JSON(resp)
}
