package catalog

import (
	"encoding/json"
	"fmt"
)

// Entity is one catalog entity in Backstage's envelope (REFERENCE.md §1.1).
//
// Spec is kept generic because custom kinds bring their own spec shape; the
// typed accessors (SpecString, SpecStrings) cover what the built-in kinds need.
type Entity struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   Metadata       `json:"metadata"`
	Spec       map[string]any `json:"spec,omitempty"`
	Relations  []Relation     `json:"relations,omitempty"`
	Status     *Status        `json:"status,omitempty"`
}

// Metadata is EntityMeta. Backstage allows arbitrary extra keys
// (additionalProperties: true); they are kept in Extra and written back at the
// top level of metadata, so a round trip loses nothing.
type Metadata struct {
	UID         string            `json:"uid,omitempty"`
	Etag        string            `json:"etag,omitempty"`
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Title       string            `json:"title,omitempty"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Links       []Link            `json:"links,omitempty"`
	Extra       map[string]any    `json:"-"`
}

// Link is one entry of metadata.links.
type Link struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
	Icon  string `json:"icon,omitempty"`
	Type  string `json:"type,omitempty"`
}

// Relation is one entry of the stitched entity's relations: the source is the
// entity carrying it.
type Relation struct {
	Type      string `json:"type"`
	TargetRef string `json:"targetRef"`
}

// Status carries processing results (REFERENCE.md §8: status.items).
type Status struct {
	Items []StatusItem `json:"items,omitempty"`
}

// StatusItem is one processing result on an entity.
type StatusItem struct {
	Type    string       `json:"type"`
	Level   string       `json:"level"`
	Message string       `json:"message"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail is a serialized error, shaped like Backstage's SerializedError.
type ErrorDetail struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// StatusTypeProcessing is the status item type for processing errors, as Backstage.
const StatusTypeProcessing = "backstage.io/catalog-processing"

// Well-known annotations the catalog itself sets or reads (REFERENCE.md §1.6).
const (
	AnnotationManagedByLocation       = "backstage.io/managed-by-location"
	AnnotationManagedByOriginLocation = "backstage.io/managed-by-origin-location"
	AnnotationSourceLocation          = "backstage.io/source-location"
	AnnotationOrphan                  = "backstage.io/orphan"
	AnnotationViewURL                 = "backstage.io/view-url"
	AnnotationEditURL                 = "backstage.io/edit-url"
)

// DefaultNamespace is used where a namespace is absent.
const DefaultNamespace = "default"

// Ref returns the entity's reference; the namespace defaults to "default".
func (e *Entity) Ref() Ref {
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	return Ref{Kind: e.Kind, Namespace: ns, Name: e.Metadata.Name}
}

// SpecString returns spec[key] when it is a string.
func (e *Entity) SpecString(key string) string {
	s, _ := e.Spec[key].(string)
	return s
}

// SpecStrings returns spec[key] when it is a list of strings; other items are skipped.
func (e *Entity) SpecStrings(key string) []string {
	switch v := e.Spec[key].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var metadataKnown = map[string]bool{
	"uid": true, "etag": true, "name": true, "namespace": true, "title": true,
	"description": true, "labels": true, "annotations": true, "tags": true, "links": true,
}

type metadataAlias Metadata

// MarshalJSON writes the known fields and the extra keys at one level.
func (m Metadata) MarshalJSON() ([]byte, error) {
	if b, ok := appendMetadata(nil, &m); ok {
		return b, nil
	}
	known, err := json.Marshal(metadataAlias(m))
	if err != nil || len(m.Extra) == 0 {
		return known, err
	}
	merged := map[string]any{}
	if err := json.Unmarshal(known, &merged); err != nil {
		return nil, err
	}
	for k, v := range m.Extra {
		if !metadataKnown[k] {
			merged[k] = v
		}
	}
	return json.Marshal(merged)
}

// UnmarshalJSON reads the known fields and keeps every other key in Extra.
func (m *Metadata) UnmarshalJSON(b []byte) error {
	var a metadataAlias
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	var all map[string]any
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	for k, v := range all {
		if !metadataKnown[k] {
			if a.Extra == nil {
				a.Extra = map[string]any{}
			}
			a.Extra[k] = v
		}
	}
	*m = Metadata(a)
	return nil
}

// DeepCopy returns an independent copy of the entity through its JSON form.
func (e *Entity) DeepCopy() *Entity {
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("catalog: entity does not marshal: %v", err))
	}
	var out Entity
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("catalog: entity does not unmarshal: %v", err))
	}
	return &out
}
