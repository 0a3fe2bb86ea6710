package search

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// skippedAnnotations carry locations and bookkeeping, not words people type.
var skippedAnnotations = map[string]bool{
	catalog.AnnotationManagedByLocation:       true,
	catalog.AnnotationManagedByOriginLocation: true,
	catalog.AnnotationSourceLocation:          true,
	catalog.AnnotationOrphan:                  true,
	catalog.AnnotationViewURL:                 true,
	catalog.AnnotationEditURL:                 true,
	"backstage.io/techdocs-ref":               true,
	"backstage.io/techdocs-entity":            true,
}

// EntityLocation is the UI path of an entity: /catalog/:namespace/:kind/:name.
func EntityLocation(r catalog.Ref) string {
	ns := r.Namespace
	if ns == "" {
		ns = catalog.DefaultNamespace
	}
	return strings.ToLower("/catalog/" + ns + "/" + r.Kind + "/" + r.Name)
}

// EntityDocument is the catalog collator: one entity as a search document.
func EntityDocument(e *catalog.Entity) Document {
	ref := e.Ref()
	str := func(m map[string]any, k string) string {
		if v, ok := m[k].(string); ok {
			return v
		}
		return ""
	}
	d := Document{
		Key:        CatalogKey(ref.String()),
		Type:       TypeCatalog,
		Ref:        ref.String(),
		Name:       e.Metadata.Name,
		Title:      e.Metadata.Title,
		Text:       e.Metadata.Description,
		Location:   EntityLocation(ref),
		Kind:       e.Kind,
		Namespace:  strings.ToLower(ref.Namespace),
		EntityType: str(e.Spec, "type"),
		Lifecycle:  str(e.Spec, "lifecycle"),
		Owner:      str(e.Spec, "owner"),
		System:     str(e.Spec, "system"),
		Tags:       append([]string(nil), e.Metadata.Tags...),
	}
	var profileName, email string
	if p, ok := e.Spec["profile"].(map[string]any); ok {
		profileName, email = str(p, "displayName"), str(p, "email")
	}
	if d.Title == "" {
		d.Title = profileName
	}
	if d.Title == "" {
		d.Title = e.Metadata.Name
	}
	for _, r := range e.Relations {
		if strings.EqualFold(r.Type, "ownedBy") && r.TargetRef != "" {
			d.OwnedBy = append(d.OwnedBy, strings.ToLower(r.TargetRef))
		}
	}
	kw := []string{e.Kind, d.EntityType, d.Owner, d.Lifecycle, d.System, profileName, email}
	kw = append(kw, d.Tags...)
	keys := make([]string, 0, len(e.Metadata.Annotations))
	for k := range e.Metadata.Annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := e.Metadata.Annotations[k]
		if skippedAnnotations[k] || len(v) > 200 || strings.Contains(v, "://") {
			continue
		}
		kw = append(kw, v)
	}
	var parts []string
	for _, s := range kw {
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	d.Keywords = strings.Join(parts, " ")
	return d
}

// RecordDocument decodes a stored record and collates it.
func RecordDocument(rec *catalog.Record) (Document, error) {
	e, err := rec.Entity()
	if err != nil {
		return Document{}, fmt.Errorf("collate %s: %w", rec.Ref, err)
	}
	return EntityDocument(e), nil
}

// CatalogReader is the part of catalog.Store the collator reads.
type CatalogReader interface {
	QueryEntities(ctx context.Context, q catalog.Query) (catalog.Page, error)
	EntitiesByRefs(ctx context.Context, refs []string, f catalog.Filter) ([]*catalog.Record, error)
}

// Progress reports a full collation: done of total entities.
type Progress func(done, total int)

// Reindex rebuilds the catalog documents of idx from the store: it drops
// every catalog document, then adds every entity in batches. It returns how
// many documents were indexed.
func Reindex(ctx context.Context, st CatalogReader, idx Index, batch int, progress Progress) (int, error) {
	if batch <= 0 {
		batch = 1000
	}
	first, err := st.QueryEntities(ctx, catalog.Query{Limit: 1, CountTotal: true})
	if err != nil {
		return 0, fmt.Errorf("reindex: count entities: %w", err)
	}
	total := first.TotalItems
	if err := idx.DeleteType(ctx, TypeCatalog); err != nil {
		return 0, fmt.Errorf("reindex: clear catalog documents: %w", err)
	}
	done := 0
	if progress != nil {
		progress(0, total)
	}
	var after *catalog.Position
	for {
		p, err := st.QueryEntities(ctx, catalog.Query{Limit: batch, After: after})
		if err != nil {
			return done, fmt.Errorf("reindex: read entities: %w", err)
		}
		docs := make([]Document, 0, len(p.Items))
		for i := range p.Items {
			d, err := RecordDocument(&p.Items[i])
			if err != nil {
				return done, fmt.Errorf("reindex: %w", err)
			}
			docs = append(docs, d)
		}
		if err := idx.Upsert(ctx, docs); err != nil {
			return done, fmt.Errorf("reindex: %w", err)
		}
		done += len(docs)
		if done > total {
			total = done
		}
		if progress != nil {
			progress(done, total)
		}
		if !p.HasMore || p.Last == nil || len(p.Items) == 0 {
			return done, nil
		}
		after = p.Last
	}
}
