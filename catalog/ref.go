package catalog

import (
	"fmt"
	"strings"
	"unsafe"
)

// Ref identifies an entity: kind, namespace and name (REFERENCE.md §1.5).
// Comparisons are case-insensitive; String gives the lower-cased canonical form
// used everywhere as the key (relations.targetRef, by-refs, the stores).
type Ref struct {
	Kind      string
	Namespace string
	Name      string
}

// RefContext supplies defaults for the parts a ref string leaves out.
type RefContext struct {
	DefaultKind      string
	DefaultNamespace string
}

// ParseRef parses "[<kind>:][<namespace>/]<name>" exactly as Backstage's
// parseEntityRef: a '/' before the first ':' makes the colon part of the name.
//
// Ex. ParseRef("guest", RefContext{DefaultKind: "Group"}) is group:default/guest.
func ParseRef(s string, ctx RefContext) (Ref, error) {
	bad := func() (Ref, error) {
		return Ref{}, &InputError{Msg: fmt.Sprintf("Entity reference %q was not on the form [<kind>:][<namespace>/]<name>", s)}
	}
	colon := strings.IndexByte(s, ':')
	slash := strings.IndexByte(s, '/')
	if slash >= 0 && colon > slash {
		colon = -1
	}
	var r Ref
	nameStart := 0
	if colon >= 0 {
		r.Kind = s[:colon]
		if r.Kind == "" {
			return bad()
		}
		nameStart = colon + 1
	}
	if slash >= 0 {
		r.Namespace = s[nameStart:slash]
		if r.Namespace == "" {
			return bad()
		}
		nameStart = slash + 1
	}
	r.Name = s[nameStart:]
	if r.Name == "" {
		return bad()
	}
	if r.Kind == "" {
		if ctx.DefaultKind == "" {
			return Ref{}, &InputError{Msg: fmt.Sprintf("Entity reference %q had missing or empty kind (e.g. did not start with \"component:\" or similar)", s)}
		}
		r.Kind = ctx.DefaultKind
	}
	if r.Namespace == "" {
		r.Namespace = ctx.DefaultNamespace
		if r.Namespace == "" {
			r.Namespace = DefaultNamespace
		}
	}
	return r, nil
}

// MustParseRef is ParseRef for literals in tests and tables; it panics on error.
func MustParseRef(s string) Ref {
	r, err := ParseRef(s, RefContext{})
	if err != nil {
		panic(err)
	}
	return r
}

// String returns the canonical, lower-cased "kind:namespace/name".
func (r Ref) String() string {
	ns := r.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	// One allocation: the parts are joined and lower-cased in one buffer
	// (a kind is capitalised, so joining and then lower-casing made two).
	b := make([]byte, 0, len(r.Kind)+len(ns)+len(r.Name)+2)
	b = append(append(append(append(append(b, r.Kind...), ':'), ns...), '/'), r.Name...)
	for i, c := range b {
		if c >= 0x80 {
			return strings.ToLower(string(b))
		}
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Equal compares two refs case-insensitively.
func (r Ref) Equal(o Ref) bool { return r.String() == o.String() }
