package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// processItem runs one document through placeholders, kind checks, rules and
// relations.
func (w *walk) processItem(ctx context.Context, it *item) result {
	d := &it.doc
	if d.Err != nil {
		return w.failed(it, d.Value, nil, []catalog.ProcessingError{*d.Err})
	}
	resolved := d.Value
	if d.MayHavePlaceholders() {
		var err error
		resolved, err = catalog.ResolvePlaceholders(ctx, d.Value, it.base, placeholderReader{readers: w.e.readers, fromURL: it.fromURL})
		if err != nil {
			return w.failed(it, d.Value, nil, d.Annotate(placeholderErrors(err)))
		}
	}
	ent, errs := w.e.kinds.Check(resolved)
	if len(errs) > 0 || ent == nil {
		return w.failed(it, resolved, nil, d.Annotate(errs))
	}
	if !w.e.allowed(ent.Kind, w.root) {
		return result{errs: []catalog.ProcessingError{w.notAllowed(it, ent)}}
	}
	annotate(ent, it.src, w.origin)
	rels, rerrs := catalog.EmitRelations(ent)
	if len(rerrs) > 0 {
		return w.failed(it, resolved, ent, d.Annotate(rerrs))
	}
	p := &catalog.Processed{Entity: ent, Relations: rels, Parent: it.parent}
	_ = catalog.HashBody(p) // an entity that does not encode fails again, with its error, in the store
	return result{proc: p}
}

func (w *walk) notAllowed(it *item, ent *catalog.Entity) catalog.ProcessingError {
	return catalog.ProcessingError{Source: it.src, Doc: it.doc.Index, Line: it.doc.Line, Entity: ent.Ref().String(),
		Field: "kind", Name: "NotAllowedError",
		Message: fmt.Sprintf("Entity %s of kind %s is not allowed by the catalog rules for location %s", ent.Ref(), ent.Kind, w.origin)}
}

// failed turns a broken document into location errors and, when its kind and
// name are known, an entity that keeps its previous stored body. Without an
// identity, its source is kept whole so nothing stored from it is lost.
func (w *walk) failed(it *item, v map[string]any, ent *catalog.Entity, errs []catalog.ProcessingError) result {
	for i := range errs {
		if errs[i].Source == "" {
			errs[i].Source = it.src
		}
		if errs[i].Line == 0 {
			errs[i].Line = it.doc.Line
		}
		if errs[i].Name == "" {
			errs[i].Name = "InputError"
		}
	}
	id := identity(v)
	if ent != nil {
		id = &catalog.Entity{APIVersion: ent.APIVersion, Kind: ent.Kind, Metadata: catalog.Metadata{Name: ent.Metadata.Name, Namespace: ent.Metadata.Namespace}}
	}
	if id == nil {
		return result{errs: errs, keep: it.src}
	}
	ref := id.Ref().String()
	for i := range errs {
		if errs[i].Entity == "" {
			errs[i].Entity = ref
		}
	}
	if !w.e.allowed(id.Kind, w.root) {
		return result{errs: append(errs, w.notAllowed(it, id))}
	}
	annotate(id, it.src, w.origin)
	return result{
		proc: &catalog.Processed{Entity: id, Errors: errs, KeepPrevious: true, Parent: it.parent},
		errs: errs,
	}
}

// identity extracts kind, namespace and name from a raw document, or nil.
func identity(v map[string]any) *catalog.Entity {
	if v == nil {
		return nil
	}
	kind, _ := v["kind"].(string)
	meta, _ := v["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if strings.TrimSpace(kind) == "" || strings.TrimSpace(name) == "" {
		return nil
	}
	api, _ := v["apiVersion"].(string)
	return &catalog.Entity{APIVersion: api, Kind: kind, Metadata: catalog.Metadata{Name: name, Namespace: ns}}
}

// annotate sets the two annotations the catalog owns.
func annotate(e *catalog.Entity, src, origin string) {
	if e.Metadata.Annotations == nil {
		e.Metadata.Annotations = map[string]string{}
	}
	e.Metadata.Annotations[catalog.AnnotationManagedByLocation] = src
	e.Metadata.Annotations[catalog.AnnotationManagedByOriginLocation] = origin
}

// errorName is the Backstage error name of err.
func errorName(err error) string {
	var (
		ie *catalog.InputError
		nf *catalog.NotFoundError
		ce *catalog.ConflictError
		na *catalog.NotAllowedError
	)
	switch {
	case errors.As(err, &nf):
		return "NotFoundError"
	case errors.As(err, &ie):
		return "InputError"
	case errors.As(err, &ce):
		return "ConflictError"
	case errors.As(err, &na):
		return "NotAllowedError"
	}
	return "Error"
}

func isNotFound(err error) bool {
	var nf *catalog.NotFoundError
	return errors.As(err, &nf)
}

// placeholderErrors splits ResolvePlaceholders' joined error into one
// processing error per failed substitution, each with its field.
func placeholderErrors(err error) []catalog.ProcessingError {
	list := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	}
	out := make([]catalog.ProcessingError, 0, len(list))
	for _, e := range list {
		pe := catalog.ProcessingError{Name: errorName(e), Message: e.Error()}
		var ph *catalog.PlaceholderError
		if errors.As(e, &ph) {
			pe.Field = ph.Field
			pe.Message = strings.TrimPrefix(pe.Message, ph.Field+": ")
		}
		out = append(out, pe)
	}
	return out
}
