package search

import (
	"fmt"
	"sort"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// Filter fields: every document carries these lower-cased, for filters and facets.
const (
	FieldDocType   = "doctype"
	FieldKind      = "kind"
	FieldNamespace = "namespace"
	FieldName      = "name"
	FieldType      = "type"
	FieldLifecycle = "lifecycle"
	FieldOwner     = "owner"   // spec.owner as written
	FieldOwnedBy   = "ownedby" // relations.ownedBy targets (canonical refs)
	FieldTags      = "tags"
	FieldSystem    = "system"
	FieldRef       = "ref"
)

// FilterFields lists every filterable field.
var FilterFields = []string{FieldDocType, FieldKind, FieldNamespace, FieldName, FieldType, FieldLifecycle,
	FieldOwner, FieldOwnedBy, FieldTags, FieldSystem, FieldRef}

// keyFields maps catalog filter keys (and the API's short names) to fields.
// "owner" means either the spec.owner value or the ownedBy relation.
var keyFields = map[string][]string{
	"doctype":            {FieldDocType},
	"kind":               {FieldKind},
	"namespace":          {FieldNamespace},
	"metadata.namespace": {FieldNamespace},
	"name":               {FieldName},
	"metadata.name":      {FieldName},
	"type":               {FieldType},
	"spec.type":          {FieldType},
	"lifecycle":          {FieldLifecycle},
	"spec.lifecycle":     {FieldLifecycle},
	"spec.owner":         {FieldOwner},
	"relations.ownedby":  {FieldOwnedBy},
	"owner":              {FieldOwner, FieldOwnedBy},
	"tags":               {FieldTags},
	"metadata.tags":      {FieldTags},
	"system":             {FieldSystem},
	"spec.system":        {FieldSystem},
	"ref":                {FieldRef},
}

// SupportedKeys lists the catalog filter keys Translate accepts.
func SupportedKeys() []string {
	out := make([]string, 0, len(keyFields))
	for k := range keyFields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CondOp is a leaf operation.
type CondOp string

const (
	CondIn     CondOp = "in"     // the field has one of Values
	CondExists CondOp = "exists" // the field has any value
)

// Cond is a catalog.Filter translated to document fields. Exactly one of
// All, Any, Not, Field is set, or None, or nothing (match everything).
type Cond struct {
	All    []Cond
	Any    []Cond
	Not    *Cond
	None   bool // matches nothing (an empty Any)
	Field  string
	Op     CondOp
	Values []string // lower-cased
}

// IsAll reports whether c matches everything.
func (c Cond) IsAll() bool {
	return len(c.All) == 0 && len(c.Any) == 0 && c.Not == nil && !c.None && c.Field == ""
}

// Translate turns a catalog filter into a Cond. Supported: All/Any/Not and
// In/Exists on the keys of SupportedKeys; anything else (a prefix condition,
// another key) is an InputError: a permission condition is never dropped.
func Translate(f catalog.Filter) (Cond, error) {
	switch {
	case f.Key != "":
		fields, ok := keyFields[f.Key]
		if !ok {
			return Cond{}, catalog.Inputf("search filter: key %q is not supported (supported: %s)", f.Key, strings.Join(SupportedKeys(), ", "))
		}
		var leaf func(field string) Cond
		switch f.Op {
		case catalog.OpIn:
			vs := make([]string, len(f.Values))
			for i, v := range f.Values {
				vs[i] = strings.ToLower(v)
			}
			if len(vs) == 0 {
				return Cond{None: true}, nil
			}
			leaf = func(field string) Cond { return Cond{Field: field, Op: CondIn, Values: vs} }
		case catalog.OpExists:
			leaf = func(field string) Cond { return Cond{Field: field, Op: CondExists} }
		default:
			return Cond{}, catalog.Inputf("search filter: operator %q on %q is not supported (only equality and existence)", f.Op, f.Key)
		}
		if len(fields) == 1 {
			return leaf(fields[0]), nil
		}
		c := Cond{}
		for _, fl := range fields {
			c.Any = append(c.Any, leaf(fl))
		}
		return c, nil
	case f.Not != nil:
		inner, err := Translate(*f.Not)
		if err != nil {
			return Cond{}, err
		}
		return Cond{Not: &inner}, nil
	case f.IsAny():
		if len(f.Any) == 0 {
			return Cond{None: true}, nil
		}
		c := Cond{}
		for _, sub := range f.Any {
			t, err := Translate(sub)
			if err != nil {
				return Cond{}, err
			}
			c.Any = append(c.Any, t)
		}
		return c, nil
	case len(f.All) > 0:
		c := Cond{}
		for _, sub := range f.All {
			t, err := Translate(sub)
			if err != nil {
				return Cond{}, err
			}
			if !t.IsAll() {
				c.All = append(c.All, t)
			}
		}
		if len(c.All) == 1 {
			return c.All[0], nil
		}
		return c, nil
	}
	return Cond{}, nil
}

// FilterValues returns a document's lower-cased values per filter field;
// absent fields are left out (so Exists is false for them).
func FilterValues(d Document) map[string][]string {
	out := map[string][]string{}
	add := func(field string, vs ...string) {
		for _, v := range vs {
			if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
				out[field] = append(out[field], v)
			}
		}
	}
	add(FieldDocType, d.Type)
	add(FieldKind, d.Kind)
	add(FieldNamespace, d.Namespace)
	add(FieldName, d.Name)
	add(FieldType, d.EntityType)
	add(FieldLifecycle, d.Lifecycle)
	add(FieldOwner, d.Owner)
	add(FieldOwnedBy, d.OwnedBy...)
	add(FieldTags, d.Tags...)
	add(FieldSystem, d.System)
	add(FieldRef, d.Ref)
	return out
}

// ValidFacet reports whether field may be faceted.
func ValidFacet(field string) error {
	for _, f := range FilterFields {
		if f == field {
			return nil
		}
	}
	return catalog.Inputf("search facet %q is not supported (supported: %s)", field, strings.Join(FilterFields, ", "))
}

// TypesCond restricts to document types (nil = all types).
func TypesCond(types []string) Cond {
	if len(types) == 0 {
		return Cond{}
	}
	vs := make([]string, len(types))
	for i, t := range types {
		vs[i] = strings.ToLower(t)
	}
	return Cond{Field: FieldDocType, Op: CondIn, Values: vs}
}

// QueryCond checks q (its facets and offset) and returns its whole
// condition: its types and its filter. Every Index's Search starts with it.
func QueryCond(q Query) (Cond, error) {
	c, err := Translate(q.Filter)
	if err != nil {
		return Cond{}, err
	}
	for _, f := range q.Facets {
		if err := ValidFacet(f); err != nil {
			return Cond{}, err
		}
	}
	if q.Offset < 0 {
		return Cond{}, catalog.Inputf("search offset %d must not be negative", q.Offset)
	}
	return Simplify(Cond{All: []Cond{TypesCond(q.Types), c}}), nil
}

// String renders c for error messages and debugging.
func (c Cond) String() string {
	switch {
	case c.None:
		return "none"
	case c.Field != "":
		if c.Op == CondExists {
			return c.Field + " exists"
		}
		return fmt.Sprintf("%s in %v", c.Field, c.Values)
	case c.Not != nil:
		return "not(" + c.Not.String() + ")"
	case len(c.Any) > 0:
		parts := make([]string, len(c.Any))
		for i, s := range c.Any {
			parts[i] = s.String()
		}
		return "any(" + strings.Join(parts, ", ") + ")"
	case len(c.All) > 0:
		parts := make([]string, len(c.All))
		for i, s := range c.All {
			parts[i] = s.String()
		}
		return "all(" + strings.Join(parts, ", ") + ")"
	}
	return "all"
}

// Match evaluates c against a document (the reference semantics backends
// must follow; the conformance suite compares them with it).
func (c Cond) Match(d Document) bool { return c.match(FilterValues(d)) }

func (c Cond) match(fv map[string][]string) bool {
	switch {
	case c.None:
		return false
	case c.Field != "":
		vs, ok := fv[c.Field]
		if c.Op == CondExists {
			return ok
		}
		for _, v := range vs {
			for _, want := range c.Values {
				if v == want {
					return true
				}
			}
		}
		return false
	case c.Not != nil:
		return !c.Not.match(fv)
	case len(c.Any) > 0:
		for _, s := range c.Any {
			if s.match(fv) {
				return true
			}
		}
		return false
	}
	for _, s := range c.All {
		if !s.match(fv) {
			return false
		}
	}
	return true
}

// Simplify folds constant parts: an Any with a match-everything member
// matches everything, an All with a match-nothing member matches nothing, a
// Not of either is the other. Afterwards only the root may be constant.
func Simplify(c Cond) Cond {
	switch {
	case c.Not != nil:
		in := Simplify(*c.Not)
		switch {
		case in.IsAll():
			return Cond{None: true}
		case in.None:
			return Cond{}
		}
		return Cond{Not: &in}
	case len(c.Any) > 0:
		out := Cond{}
		for _, s := range c.Any {
			s = Simplify(s)
			if s.IsAll() {
				return Cond{}
			}
			if !s.None {
				out.Any = append(out.Any, s)
			}
		}
		switch len(out.Any) {
		case 0:
			return Cond{None: true}
		case 1:
			return out.Any[0]
		}
		return out
	case len(c.All) > 0:
		out := Cond{}
		for _, s := range c.All {
			s = Simplify(s)
			if s.None {
				return Cond{None: true}
			}
			if !s.IsAll() {
				out.All = append(out.All, s)
			}
		}
		if len(out.All) == 1 {
			return out.All[0]
		}
		return out
	}
	return c
}
