package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// The methods in this file are the location operations of the REST API.

// RegisterLocation adds an API location (POST /locations) and processes it
// right away, bounded by Options.ProcessTimeout. Processing errors do not fail
// the registration: they are stored on the location, as in Backstage.
func (e *Engine) RegisterLocation(ctx context.Context, typ, target string) (catalog.Location, error) {
	if e.opts.Readonly {
		return catalog.Location{}, e.readonlyError()
	}
	typ, target, err := e.normalizeLocation(typ, target)
	if err != nil {
		return catalog.Location{}, err
	}
	loc, err := e.store.AddLocation(ctx, catalog.Location{
		Type: typ, Target: target, Origin: OriginAPI,
		EntityRef:   catalog.GeneratedLocationRef(typ, target),
		NextRefresh: e.opts.Now(),
	})
	if err != nil {
		return catalog.Location{}, err
	}
	e.processNow(ctx, loc)
	return loc, nil
}

// UpdateLocation changes an API location's type and target (PUT /locations/:id)
// and reprocesses it; what the old target produced is orphaned or deleted.
func (e *Engine) UpdateLocation(ctx context.Context, id, typ, target string) (catalog.Location, error) {
	if e.opts.Readonly {
		return catalog.Location{}, e.readonlyError()
	}
	typ, target, err := e.normalizeLocation(typ, target)
	if err != nil {
		return catalog.Location{}, err
	}
	loc, err := e.store.Location(ctx, id)
	if err != nil {
		return catalog.Location{}, err
	}
	loc.Type, loc.Target = typ, target
	loc.EntityRef = catalog.GeneratedLocationRef(typ, target)
	loc, err = e.store.UpdateLocation(ctx, loc)
	if err != nil {
		return catalog.Location{}, err
	}
	e.forget(id)
	e.processNow(ctx, loc)
	return loc, nil
}

// DeleteLocation removes a location; its entities are orphaned or deleted per
// Options.OrphanStrategy.
func (e *Engine) DeleteLocation(ctx context.Context, id string) error {
	if e.opts.Readonly {
		return e.readonlyError()
	}
	unlock := e.lock(id)
	defer unlock()
	e.forget(id)
	if err := e.store.DeleteLocation(ctx, id, e.opts.OrphanStrategy); err != nil {
		return err
	}
	e.mu.Lock()
	delete(e.locks, id)
	e.mu.Unlock()
	return nil
}

// DryRun processes a location without storing anything (POST
// /locations?dryRun=true): every entity it would produce, the generated
// Location entity first, each with its outgoing relations, and every
// processing error.
func (e *Engine) DryRun(ctx context.Context, typ, target string) ([]*catalog.Entity, []catalog.ProcessingError, error) {
	typ, target, err := e.normalizeLocation(typ, target)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.ProcessTimeout)
	defer cancel()
	out, _ := e.walkLocation(ctx, catalog.Location{Type: typ, Target: target, Origin: OriginAPI}, nil, nil)
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("dry run %s:%s: %w", typ, target, err)
	}
	ents := make([]*catalog.Entity, 0, len(out.entities))
	for i := range out.entities {
		p := &out.entities[i]
		if p.KeepPrevious {
			continue // invalid: only its errors are meaningful
		}
		ent := p.Entity
		ref := ent.Ref().String()
		for _, r := range p.Relations {
			if strings.EqualFold(r.Source, ref) {
				ent.Relations = append(ent.Relations, catalog.Relation{Type: r.Type, TargetRef: strings.ToLower(r.Target)})
			}
		}
		ents = append(ents, ent)
	}
	return ents, out.errors, nil
}

// RefreshEntity reprocesses, now, the registered location that produced ref
// (POST /refresh). An unknown ref is a NotFoundError.
func (e *Engine) RefreshEntity(ctx context.Context, ref string) error {
	r, err := catalog.ParseRef(ref, catalog.RefContext{})
	if err != nil {
		return err
	}
	loc, err := e.store.LocationByEntity(ctx, r.String())
	if err != nil {
		return err
	}
	e.forget(loc.ID) // an explicit refresh reads everything again
	ctx, cancel := context.WithTimeout(ctx, e.opts.ProcessTimeout)
	defer cancel()
	_, err = e.ProcessLocation(ctx, loc)
	return err
}

// ValidateEntity runs one entity through the processing chain as if read from
// locationRef ("url:https://…" or "file:/…"), storing nothing (POST
// /validate-entity). No errors means valid.
func (e *Engine) ValidateEntity(ctx context.Context, doc map[string]any, locationRef string) []catalog.ProcessingError {
	typ, target, ok := strings.Cut(locationRef, ":")
	typ, target = strings.TrimSpace(typ), strings.TrimSpace(target)
	bad := func(msg string) []catalog.ProcessingError {
		return []catalog.ProcessingError{{Source: locationRef, Doc: -1, Name: "InputError", Message: msg}}
	}
	if !ok || typ == "" || target == "" {
		return bad(fmt.Sprintf("Invalid location ref %q, expected <type>:<target> such as url:https://example.com/catalog-info.yaml", locationRef))
	}
	if typ == "http" || typ == "https" {
		return bad(fmt.Sprintf("Invalid location ref %q, please prefix it with 'url:', e.g. url:%s", locationRef, locationRef))
	}
	if typ != "url" && typ != "file" {
		return bad(fmt.Sprintf("Invalid location ref %q: unknown location type %q (expected url or file)", locationRef, typ))
	}
	if doc == nil {
		return bad("entity must be an object")
	}
	// Work on a copy: Check and placeholders rewrite in place.
	var cp map[string]any
	if b, err := json.Marshal(doc); err != nil || json.Unmarshal(b, &cp) != nil {
		return bad("entity is not a JSON object")
	}
	ctx, cancel := context.WithTimeout(ctx, e.opts.ProcessTimeout)
	defer cancel()
	fill := func(errs []catalog.ProcessingError) []catalog.ProcessingError {
		for i := range errs {
			if errs[i].Source == "" {
				errs[i].Source = locationRef
			}
			if errs[i].Name == "" {
				errs[i].Name = "InputError"
			}
		}
		return errs
	}
	// An API caller must not make the server read its local files, whatever
	// the location type claims: placeholders resolve over http(s) only.
	resolved, err := catalog.ResolvePlaceholders(ctx, cp, target, placeholderReader{readers: e.readers, fromURL: true})
	if err != nil {
		return fill(placeholderErrors(err))
	}
	ent, errs := e.kinds.Check(resolved)
	if len(errs) > 0 || ent == nil {
		return fill(errs)
	}
	annotate(ent, locationRef, locationRef)
	if _, errs := catalog.EmitRelations(ent); len(errs) > 0 {
		return fill(errs)
	}
	return nil
}

// processNow processes a just-registered or updated location, bounded by
// ProcessTimeout; a store failure is logged, and the refresh loop retries.
func (e *Engine) processNow(ctx context.Context, loc catalog.Location) {
	ctx, cancel := context.WithTimeout(ctx, e.opts.ProcessTimeout)
	defer cancel()
	if _, err := e.ProcessLocation(ctx, loc); err != nil {
		e.log.Warn("process location", "location", originKey(loc), "err", err)
	}
}
