package catalog

import (
	"strconv"
)

// Relation types (REFERENCE.md §1.4).
const (
	RelationOwnedBy       = "ownedBy"
	RelationOwnerOf       = "ownerOf"
	RelationConsumesAPI   = "consumesApi"
	RelationAPIConsumedBy = "apiConsumedBy"
	RelationProvidesAPI   = "providesApi"
	RelationAPIProvidedBy = "apiProvidedBy"
	RelationDependsOn     = "dependsOn"
	RelationDependencyOf  = "dependencyOf"
	RelationParentOf      = "parentOf"
	RelationChildOf       = "childOf"
	RelationMemberOf      = "memberOf"
	RelationHasMember     = "hasMember"
	RelationPartOf        = "partOf"
	RelationHasPart       = "hasPart"
)

// relationField is one spec field that yields a relation pair.
type relationField struct {
	key         string
	list        bool
	defaultKind string // "" means the ref must name its kind
	outgoing    string // self → target
	incoming    string // target → self
}

var (
	ownerField  = relationField{key: "owner", defaultKind: "Group", outgoing: RelationOwnedBy, incoming: RelationOwnerOf}
	systemField = relationField{key: "system", defaultKind: "System", outgoing: RelationPartOf, incoming: RelationHasPart}
	dependsOn   = relationField{key: "dependsOn", list: true, outgoing: RelationDependsOn, incoming: RelationDependencyOf}
	dependency  = relationField{key: "dependencyOf", list: true, outgoing: RelationDependencyOf, incoming: RelationDependsOn}
)

// relationFields is BuiltinKindsEntityProcessor's table, per kind. Template's
// owner is what the scaffolder's entity processor emits.
var relationFields = map[string][]relationField{
	"component": {
		ownerField,
		{key: "subcomponentOf", defaultKind: "Component", outgoing: RelationPartOf, incoming: RelationHasPart},
		{key: "providesApis", list: true, defaultKind: "API", outgoing: RelationProvidesAPI, incoming: RelationAPIProvidedBy},
		{key: "consumesApis", list: true, defaultKind: "API", outgoing: RelationConsumesAPI, incoming: RelationAPIConsumedBy},
		dependsOn, dependency, systemField,
	},
	"api":      {ownerField, systemField},
	"resource": {ownerField, dependsOn, dependency, systemField},
	"user": {
		{key: "memberOf", list: true, defaultKind: "Group", outgoing: RelationMemberOf, incoming: RelationHasMember},
	},
	"group": {
		{key: "parent", defaultKind: "Group", outgoing: RelationChildOf, incoming: RelationParentOf},
		{key: "children", list: true, defaultKind: "Group", outgoing: RelationParentOf, incoming: RelationChildOf},
		{key: "members", list: true, defaultKind: "User", outgoing: RelationHasMember, incoming: RelationMemberOf},
	},
	"system":   {ownerField, {key: "domain", defaultKind: "Domain", outgoing: RelationPartOf, incoming: RelationHasPart}},
	"domain":   {ownerField, {key: "subdomainOf", defaultKind: "Domain", outgoing: RelationPartOf, incoming: RelationHasPart}},
	"template": {ownerField},
}

// EmitRelations returns both directions of every relation of REFERENCE.md
// §1.4 for this entity, with canonical lower-cased refs, the field's default
// target kind and the entity's own namespace as default namespace. A
// malformed ref yields a ProcessingError (Field set, e.g. "spec.dependsOn.1")
// and the others are still emitted. Dangling refs are fine. Duplicates are
// dropped.
func EmitRelations(e *Entity) ([]RelationRow, []ProcessingError) {
	fields := relationFields[lowerASCII(e.Kind)]
	if len(fields) == 0 || len(e.Spec) == 0 {
		return nil, nil
	}
	self := e.Ref().String()
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	var rows []RelationRow
	var errs []ProcessingError
	var seen map[[2]string]bool
	emit := func(f relationField, field, target string) {
		ref, err := ParseRef(target, RefContext{DefaultKind: f.defaultKind, DefaultNamespace: ns})
		if err != nil {
			errs = append(errs, ProcessingError{Doc: -1, Field: field, Entity: self, Name: "InputError", Message: err.Error()})
			return
		}
		t := ref.String()
		if seen != nil {
			key := [2]string{f.outgoing, t}
			if seen[key] {
				return
			}
			seen[key] = true
		} else {
			for _, r := range rows {
				if r.Type == f.outgoing && r.Target == t {
					return
				}
			}
			if len(rows) >= 64 { // switch to a set for big lists (large groups)
				seen = make(map[[2]string]bool, 2*len(rows))
				for i := 0; i < len(rows); i += 2 {
					seen[[2]string{rows[i].Type, rows[i].Target}] = true
				}
				seen[[2]string{f.outgoing, t}] = true
			}
		}
		rows = append(rows,
			RelationRow{Source: self, Type: f.outgoing, Target: t},
			RelationRow{Source: t, Type: f.incoming, Target: self})
	}
	for _, f := range fields {
		v, ok := e.Spec[f.key]
		if !ok || v == nil {
			continue
		}
		field := "spec." + f.key
		if !f.list {
			s, isStr := v.(string)
			if !isStr {
				errs = append(errs, ProcessingError{Doc: -1, Field: field, Entity: self, Name: "InputError",
					Message: "expected an entity reference string but found " + describeFound(v)})
				continue
			}
			emit(f, field, s)
			continue
		}
		switch arr := v.(type) {
		case []any:
			for i, x := range arr {
				s, isStr := x.(string)
				if !isStr {
					errs = append(errs, ProcessingError{Doc: -1, Field: field + "." + strconv.Itoa(i), Entity: self, Name: "InputError",
						Message: "expected an entity reference string but found " + describeFound(x)})
					continue
				}
				emit(f, field+"."+strconv.Itoa(i), s)
			}
		case []string:
			for i, s := range arr {
				emit(f, field+"."+strconv.Itoa(i), s)
			}
		case string: // Backstage flattens a single ref into a list
			emit(f, field, arr)
		default:
			errs = append(errs, ProcessingError{Doc: -1, Field: field, Entity: self, Name: "InputError",
				Message: "expected an array of entity references but found " + describeFound(v)})
		}
	}
	return rows, errs
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// LocationTargets returns the targets of a Location entity: spec.target
// first, then spec.targets in order. Empty and non-string values are skipped.
func LocationTargets(e *Entity) []string {
	var out []string
	if t := e.SpecString("target"); t != "" {
		out = append(out, t)
	}
	for _, t := range e.SpecStrings("targets") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// GeneratedLocationRef is defined in plan.go (same contract as the brief:
// "location:default/generated-<sha1hex of type:target>").

// reverseRelations maps each relation type of §1.4 to its other direction.
var reverseRelations = func() map[string]string {
	m := map[string]string{}
	for _, fs := range relationFields {
		for _, f := range fs {
			m[f.outgoing], m[f.incoming] = f.incoming, f.outgoing
		}
	}
	return m
}()

// ReverseRelation returns the type of the other direction of a relation
// type of §1.4 (ownedBy → ownerOf, ...); false for any other type.
func ReverseRelation(t string) (string, bool) {
	r, ok := reverseRelations[t]
	return r, ok
}
