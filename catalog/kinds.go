package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Kinds validates entities: the built-in kinds plus custom kinds from JSON
// Schemas. It is safe for concurrent use once built.
//
// The built-in kinds except Template are checked by hand-written rules that
// mirror Backstage's kind schemas (cheap: ingest runs them on every entity);
// Template and every custom kind run through the compiled JSON Schema.
type Kinds struct {
	builtin map[string]*builtinKind
	schemas map[string]*schemaKind // Template and custom kinds
	known   []string
}

// KindSchema names a JSON Schema file of a custom kind, e.g.
// AiResource.v1alpha1.schema.json.
type KindSchema struct{ Path string }

// ruleType is the shape a built-in spec field must have.
type ruleType int

const (
	ruleString   ruleType = iota // string, minLength 1
	ruleStrings                  // array of strings, each minLength 1
	ruleProfile                  // {displayName?, email?, picture?} non-empty strings
	ruleRemotes                  // array (≥1) of {type, url} non-empty strings
	rulePresence                 // "required" | "optional"
)

type fieldRule struct {
	key      string
	typ      ruleType
	required bool
}

// builtinKind is a built-in kind's schema as rules. As in Backstage's
// schemas, spec.dependencyOf is not validated (the TS types have it, the
// schemas do not); EmitRelations reports a malformed one.
type builtinKind struct {
	name        string
	apiVersions []string
	spec        []fieldRule
	// variant picks another rule set by spec.type (API mcp-server).
	variantType string
	variant     []fieldRule
}

var backstageAPIVersions = []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}

func builtinKinds() map[string]*builtinKind {
	s := func(k string) fieldRule { return fieldRule{key: k, typ: ruleString} }
	rs := func(k string) fieldRule { return fieldRule{key: k, typ: ruleString, required: true} }
	l := func(k string) fieldRule { return fieldRule{key: k, typ: ruleStrings} }
	rl := func(k string) fieldRule { return fieldRule{key: k, typ: ruleStrings, required: true} }
	profile := fieldRule{key: "profile", typ: ruleProfile}
	kinds := []*builtinKind{
		{name: "Component", spec: []fieldRule{rs("type"), rs("lifecycle"), rs("owner"), s("system"), s("subcomponentOf"),
			l("providesApis"), l("consumesApis"), l("dependsOn")}},
		{name: "API", spec: []fieldRule{rs("type"), rs("lifecycle"), rs("owner"), s("system"), rs("definition")},
			variantType: "mcp-server",
			variant:     []fieldRule{rs("type"), rs("lifecycle"), rs("owner"), s("system"), {key: "remotes", typ: ruleRemotes, required: true}}},
		{name: "System", spec: []fieldRule{rs("owner"), s("domain"), s("type")}},
		{name: "Domain", spec: []fieldRule{rs("owner"), s("subdomainOf"), s("type")}},
		{name: "Resource", spec: []fieldRule{rs("type"), rs("owner"), l("dependsOn"), s("system")}},
		{name: "User", spec: []fieldRule{profile, rl("memberOf")}},
		{name: "Group", spec: []fieldRule{rs("type"), profile, s("parent"), rl("children"), l("members")}},
		{name: "Location", spec: []fieldRule{s("type"), s("target"), l("targets"), {key: "presence", typ: rulePresence}}},
	}
	out := make(map[string]*builtinKind, len(kinds))
	for _, k := range kinds {
		k.apiVersions = backstageAPIVersions
		out[k.name] = k
	}
	return out
}

// NewKinds compiles the built-in kinds and the custom kind schemas once.
//
// Each custom schema file must name its kind the way Backstage's kind schemas
// do: an "allOf" member whose properties.kind is an enum (or const) of kind
// names; properties.apiVersion (enum/const) restricts the apiVersion when
// present. A file whose properties.spec.properties.type is a const or enum is
// a per-type variant (e.g. AiResource.v1alpha1.skill.schema.json): it applies
// only to entities of that spec.type, in addition to the kind's base schemas.
// So loading AiResource.v1alpha1.schema.json alone makes AiResource valid,
// and adding the variant files tightens it per type. Schemas may $ref the
// Backstage schemas by their $id ("Entity", "EntityMeta", "common#…").
func NewKinds(custom []KindSchema) (*Kinds, error) {
	files := make([]*customFile, 0, len(custom))
	skip := map[string]bool{}
	for _, ks := range custom {
		cf, err := readCustomFile(ks.Path)
		if err != nil {
			return nil, err
		}
		files = append(files, cf)
		skip[cf.id] = true
	}
	c, err := newSchemaCompiler(skip)
	if err != nil {
		return nil, err
	}
	k := &Kinds{builtin: builtinKinds(), schemas: map[string]*schemaKind{}}
	tmpl, err := c.compileEmbedded("kinds/Template.v1beta3.schema.json")
	if err != nil {
		return nil, err
	}
	k.schemas["Template"] = &schemaKind{name: "Template", apiVersions: []string{"scaffolder.backstage.io/v1beta3"},
		schemas: []kindSchema{{sch: tmpl}}}
	for _, cf := range files {
		if err := k.addCustom(c, cf); err != nil {
			return nil, err
		}
	}
	for name := range k.builtin {
		k.known = append(k.known, name)
	}
	for name := range k.schemas {
		k.known = append(k.known, name)
	}
	slices.Sort(k.known)
	return k, nil
}

// Known returns the kind names, sorted.
func (k *Kinds) Known() []string { return slices.Clone(k.known) }

// Check runs Backstage's policy chain on one decoded document and the kind's
// schema. It pre-processes as Backstage does, in place: metadata.namespace is
// defaulted and the string arrays of REFERENCE.md §1.4 are sorted. The
// returned entity shares its spec and extra metadata maps with doc (no copy). It returns
// the entity, or nil plus every error found. Errors carry Field, Name
// "InputError" and, when the document has a usable kind and name, Entity.
// Source, Doc and Line are left for the caller (see Document.Annotate and
// Kinds.CheckDocument).
func (k *Kinds) Check(doc map[string]any) (*Entity, []ProcessingError) {
	var e errs
	if doc == nil {
		e.add("", "expected an entity object, found nothing")
		return nil, e
	}
	meta := e.checkEnvelope(doc)
	if meta != nil {
		if _, ok := meta["namespace"]; !ok {
			meta["namespace"] = DefaultNamespace
		}
	}
	e.checkFormats(doc, meta)
	kind, _ := doc["kind"].(string)
	apiVersion, _ := doc["apiVersion"].(string)
	spec, _ := doc["spec"].(map[string]any)
	if kind != "" {
		if bk := k.builtin[kind]; bk != nil {
			bk.check(&e, apiVersion, doc, spec)
		} else if sk := k.schemas[kind]; sk != nil {
			sk.check(&e, apiVersion, doc, spec)
		} else {
			e.add("kind", k.unknownKind(kind))
		}
	}
	if len(e) > 0 {
		if ref := usableRef(doc, meta); ref != "" {
			for i := range e {
				e[i].Entity = ref
			}
		}
		return nil, e
	}
	sortSpecArrays(spec)
	return buildEntity(doc, meta, spec), nil
}

// CheckDocument is Check on a parsed document, with Source, Doc and Line set
// on every error. A document that failed to decode returns its Err.
func (k *Kinds) CheckDocument(d *Document) (*Entity, []ProcessingError) {
	if d.Err != nil {
		return nil, []ProcessingError{*d.Err}
	}
	ent, errs := k.Check(d.Value)
	return ent, d.Annotate(errs)
}

func (k *Kinds) unknownKind(kind string) string {
	for _, n := range k.known {
		if strings.EqualFold(n, kind) {
			return fmt.Sprintf("Unknown kind %q; kinds are case-sensitive, did you mean %q? Known kinds: %s", kind, n, strings.Join(k.known, ", "))
		}
	}
	return fmt.Sprintf("Unknown kind %q; expected one of the known kinds: %s (custom kinds are registered with catalog.kinds: [{schema: path}])",
		kind, strings.Join(k.known, ", "))
}

func checkAPIVersion(e *errs, kind, apiVersion string, allowed []string) {
	if apiVersion == "" || len(allowed) == 0 || slices.Contains(allowed, apiVersion) {
		return
	}
	e.add("apiVersion", fmt.Sprintf("%q is not valid; expected one of %s for kind %s but found %q",
		"apiVersion", strings.Join(allowed, ", "), kind, apiVersion))
}

func (bk *builtinKind) check(e *errs, apiVersion string, doc, spec map[string]any) {
	checkAPIVersion(e, bk.name, apiVersion, bk.apiVersions)
	if _, ok := doc["spec"]; !ok {
		e.missing("spec", "an object")
		return
	}
	if spec == nil {
		return // not an object: reported by the envelope check
	}
	rules := bk.spec
	if bk.variantType != "" && spec["type"] == bk.variantType {
		rules = bk.variant
	}
	for _, r := range rules {
		v, present := spec[r.key]
		field := "spec." + r.key
		if !present {
			if r.required {
				e.missing(field, ruleExpectation(r.typ))
			}
			continue
		}
		checkRule(e, field, r.typ, v)
	}
}

func ruleExpectation(t ruleType) string {
	switch t {
	case ruleStrings:
		return "an array of non empty strings"
	case ruleProfile:
		return "an object with optional non empty strings displayName, email and picture"
	case ruleRemotes:
		return "an array of at least one {type, url} object"
	case rulePresence:
		return `"required" or "optional"`
	}
	return expectNonEmpty
}

func (e *errs) expected(field string, t ruleType, found any) {
	e.add(field, fmt.Sprintf("%q is not valid; expected %s but found %s", field, ruleExpectation(t), describeFound(found)))
}

func checkRule(e *errs, field string, t ruleType, v any) {
	switch t {
	case ruleString:
		if s, ok := v.(string); !ok || s == "" {
			e.expected(field, t, v)
		}
	case ruleStrings:
		arr, ok := v.([]any)
		if !ok {
			e.expected(field, t, v)
			return
		}
		for i, x := range arr {
			if s, ok := x.(string); !ok || s == "" {
				e.expected(fmt.Sprintf("%s.%d", field, i), ruleString, x)
			}
		}
	case ruleProfile:
		m, ok := v.(map[string]any)
		if !ok {
			e.expected(field, t, v)
			return
		}
		for _, k := range [...]string{"displayName", "email", "picture"} {
			if x, ok := m[k]; ok {
				checkRule(e, field+"."+k, ruleString, x)
			}
		}
	case ruleRemotes:
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			e.expected(field, t, v)
			return
		}
		for i, x := range arr {
			f := fmt.Sprintf("%s.%d", field, i)
			m, ok := x.(map[string]any)
			if !ok {
				e.expected(f, t, x)
				continue
			}
			for _, k := range [...]string{"type", "url"} {
				if y, ok := m[k]; ok {
					checkRule(e, f+"."+k, ruleString, y)
				} else {
					e.missing(f+"."+k, expectNonEmpty)
				}
			}
		}
	case rulePresence:
		if v != "required" && v != "optional" {
			e.expected(field, t, v)
		}
	}
}

// usableRef is the canonical ref of a document with a usable kind and name.
func usableRef(doc, meta map[string]any) string {
	kind, _ := doc["kind"].(string)
	if meta == nil || !isValidKind(kind) {
		return ""
	}
	name, _ := meta["name"].(string)
	if !isValidObjectName(name) {
		return ""
	}
	ns, _ := meta["namespace"].(string)
	if ns == "" {
		ns = DefaultNamespace
	} else if !isValidDNSLabel(ns) {
		return ""
	}
	return Ref{Kind: kind, Namespace: ns, Name: name}.String()
}

// sortedSpecArrays are the spec arrays preProcessEntity sorts (REFERENCE.md §1.4).
var sortedSpecArrays = [...]string{"providesApis", "consumesApis", "dependsOn", "dependencyOf", "memberOf", "children", "members"}

func sortSpecArrays(spec map[string]any) {
	for _, k := range sortedSpecArrays {
		arr, ok := spec[k].([]any)
		if !ok || len(arr) < 2 {
			continue
		}
		allStrings := true
		for _, x := range arr {
			if _, ok := x.(string); !ok {
				allStrings = false
				break
			}
		}
		if allStrings {
			slices.SortFunc(arr, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		}
	}
}

// buildEntity turns a checked document into an Entity without re-marshalling.
func buildEntity(doc, meta, spec map[string]any) *Entity {
	ent := &Entity{Spec: spec}
	ent.APIVersion, _ = doc["apiVersion"].(string)
	ent.Kind, _ = doc["kind"].(string)
	m := &ent.Metadata
	for k, v := range meta {
		switch k {
		case "uid":
			m.UID, _ = v.(string)
		case "etag":
			m.Etag, _ = v.(string)
		case "name":
			m.Name, _ = v.(string)
		case "namespace":
			m.Namespace, _ = v.(string)
		case "title":
			m.Title, _ = v.(string)
		case "description":
			m.Description, _ = v.(string)
		case "labels":
			m.Labels = stringMap(v)
		case "annotations":
			m.Annotations = stringMap(v)
		case "tags":
			arr, _ := v.([]any)
			m.Tags = make([]string, 0, len(arr))
			for _, t := range arr {
				s, _ := t.(string)
				m.Tags = append(m.Tags, s)
			}
		case "links":
			arr, _ := v.([]any)
			m.Links = make([]Link, 0, len(arr))
			for _, l := range arr {
				lm, _ := l.(map[string]any)
				var link Link
				link.URL, _ = lm["url"].(string)
				link.Title, _ = lm["title"].(string)
				link.Icon, _ = lm["icon"].(string)
				link.Type, _ = lm["type"].(string)
				m.Links = append(m.Links, link)
			}
		default:
			if m.Extra == nil {
				m.Extra = map[string]any{}
			}
			m.Extra[k] = v
		}
	}
	return ent
}

func stringMap(v any) map[string]string {
	src, _ := v.(map[string]any)
	out := make(map[string]string, len(src))
	for k, x := range src {
		out[k], _ = x.(string)
	}
	return out
}
