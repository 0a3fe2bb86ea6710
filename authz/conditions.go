package authz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/identity"
)

// Criteria is a permission condition in Backstage's shape
// (REFERENCE.md §5.2): exactly one of a rule application {rule,
// resourceType?, params}, {allOf: [...]}, {anyOf: [...]} (both non-empty) or
// {not: {...}}.
//
//	anyOf:
//	  - {rule: IS_ENTITY_OWNER}                       # params.claims default to the principal's
//	  - {rule: IS_ENTITY_KIND, params: {kinds: [group, user]}}
type Criteria struct {
	AllOf        []Criteria     `json:"allOf,omitempty" yaml:"allOf,omitempty"`
	AnyOf        []Criteria     `json:"anyOf,omitempty" yaml:"anyOf,omitempty"`
	Not          *Criteria      `json:"not,omitempty" yaml:"not,omitempty"`
	Rule         string         `json:"rule,omitempty" yaml:"rule,omitempty"`
	ResourceType string         `json:"resourceType,omitempty" yaml:"resourceType,omitempty"`
	Params       map[string]any `json:"params,omitempty" yaml:"params,omitempty"`
}

// Catalog rule names (REFERENCE.md §5.3).
const (
	RuleIsEntityOwner = "IS_ENTITY_OWNER"
	RuleIsEntityKind  = "IS_ENTITY_KIND"
	RuleHasAnnotation = "HAS_ANNOTATION"
	RuleHasLabel      = "HAS_LABEL"
	RuleHasMetadata   = "HAS_METADATA"
	RuleHasSpec       = "HAS_SPEC"
)

// ruleNames maps accepted spellings to the canonical rule name: Backstage's
// rule names and the names of its catalogConditions helpers.
var ruleNames = map[string]string{
	RuleIsEntityOwner: RuleIsEntityOwner, "isEntityOwner": RuleIsEntityOwner,
	RuleIsEntityKind: RuleIsEntityKind, "isEntityKind": RuleIsEntityKind,
	RuleHasAnnotation: RuleHasAnnotation, "hasAnnotation": RuleHasAnnotation,
	RuleHasLabel: RuleHasLabel, "hasLabel": RuleHasLabel,
	RuleHasMetadata: RuleHasMetadata, "hasMetadata": RuleHasMetadata,
	RuleHasSpec: RuleHasSpec, "hasSpec": RuleHasSpec,
}

// ruleParams lists each rule's parameters and whether they are required.
var ruleParams = map[string]map[string]bool{
	RuleIsEntityOwner: {"claims": false},
	RuleIsEntityKind:  {"kinds": true},
	RuleHasAnnotation: {"annotation": true, "value": false},
	RuleHasLabel:      {"label": true, "value": false},
	RuleHasMetadata:   {"key": true, "value": false},
	RuleHasSpec:       {"key": true, "value": false},
}

// maxCriteriaDepth bounds nesting, so a hostile policy cannot exhaust the stack.
const maxCriteriaDepth = 32

// ParseCriteria parses one condition from JSON (strict: unknown keys and
// parameters are errors) and validates it.
func ParseCriteria(data []byte) (*Criteria, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Criteria
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("condition: unexpected data after the condition")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the shape, rule names and parameters, and canonicalises
// rule names in place.
func (c *Criteria) Validate() error { return c.validate("condition", 0) }

func (c *Criteria) validate(path string, depth int) error {
	if depth > maxCriteriaDepth {
		return fmt.Errorf("%s: nested deeper than %d levels", path, maxCriteriaDepth)
	}
	set := 0
	if c.AllOf != nil {
		set++
	}
	if c.AnyOf != nil {
		set++
	}
	if c.Not != nil {
		set++
	}
	if c.Rule != "" {
		set++
	}
	if set != 1 {
		return fmt.Errorf("%s: expected exactly one of rule, allOf, anyOf or not", path)
	}
	switch {
	case c.AllOf != nil || c.AnyOf != nil:
		if c.ResourceType != "" || c.Params != nil {
			return fmt.Errorf("%s: resourceType and params belong to a rule", path)
		}
		list, name := c.AllOf, "allOf"
		if c.AnyOf != nil {
			list, name = c.AnyOf, "anyOf"
		}
		if len(list) == 0 {
			return fmt.Errorf("%s.%s: must not be empty", path, name)
		}
		for i := range list {
			if err := list[i].validate(fmt.Sprintf("%s.%s[%d]", path, name, i), depth+1); err != nil {
				return err
			}
		}
		return nil
	case c.Not != nil:
		if c.ResourceType != "" || c.Params != nil {
			return fmt.Errorf("%s: resourceType and params belong to a rule", path)
		}
		return c.Not.validate(path+".not", depth+1)
	}
	rule, ok := ruleNames[c.Rule]
	if !ok {
		return fmt.Errorf("%s: unknown rule %q (known: IS_ENTITY_OWNER, IS_ENTITY_KIND, HAS_ANNOTATION, HAS_LABEL, HAS_METADATA, HAS_SPEC)", path, c.Rule)
	}
	c.Rule = rule
	if c.ResourceType != "" && c.ResourceType != ResourceEntity {
		return fmt.Errorf("%s: resourceType %q: only %q has rules", path, c.ResourceType, ResourceEntity)
	}
	want := ruleParams[rule]
	for k := range c.Params {
		if _, ok := want[k]; !ok {
			return fmt.Errorf("%s: %s has no parameter %q", path, rule, k)
		}
	}
	for k, required := range want {
		v, present := c.Params[k]
		if !present {
			if required {
				return fmt.Errorf("%s: %s needs parameter %q", path, rule, k)
			}
			continue
		}
		switch k {
		case "claims", "kinds":
			list, err := stringList(v)
			if err != nil {
				return fmt.Errorf("%s: %s.%s: %v", path, rule, k, err)
			}
			if k == "kinds" && len(list) == 0 {
				return fmt.Errorf("%s: %s.kinds must not be empty", path, rule)
			}
		default:
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("%s: %s.%s: expected a string", path, rule, k)
			}
			if k != "value" && strings.TrimSpace(s) == "" {
				return fmt.Errorf("%s: %s.%s must not be empty", path, rule, k)
			}
		}
	}
	return nil
}

func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, item := range x {
			s, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("expected a list of strings")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a list of strings")
}

// Resolve returns the criteria as a decision carries them: IS_ENTITY_OWNER
// without claims gets the principal's claims, as Backstage's policies pass
// user.identity.ownershipEntityRefs.
func (c Criteria) Resolve(p identity.Principal) Criteria {
	out := c
	switch {
	case c.AllOf != nil:
		out.AllOf = resolveAll(c.AllOf, p)
	case c.AnyOf != nil:
		out.AnyOf = resolveAll(c.AnyOf, p)
	case c.Not != nil:
		n := c.Not.Resolve(p)
		out.Not = &n
	case c.Rule == RuleIsEntityOwner:
		if _, ok := c.Params["claims"]; !ok {
			claims := slices.Clone(p.Claims)
			if claims == nil {
				claims = []string{}
			}
			out.Params = map[string]any{"claims": claims}
		}
		out.ResourceType = ResourceEntity
	default:
		out.ResourceType = ResourceEntity
	}
	return out
}

func resolveAll(cs []Criteria, p identity.Principal) []Criteria {
	out := make([]Criteria, len(cs))
	for i := range cs {
		out[i] = cs[i].Resolve(p)
	}
	return out
}

// Filter turns resolved criteria into the catalog filter of the entities it
// allows (each rule's toQuery, REFERENCE.md §5.3), keyed by the catalog's
// tokens (catalog.Tokens): relations.ownedby, kind, metadata.annotations.<a>,
// metadata.labels.<l>, metadata.<key>, spec.<key>.
func (c Criteria) Filter() catalog.Filter {
	switch {
	case c.AllOf != nil:
		fs := make([]catalog.Filter, len(c.AllOf))
		for i := range c.AllOf {
			fs[i] = c.AllOf[i].Filter()
		}
		return catalog.AllOf(fs...)
	case c.AnyOf != nil:
		fs := make([]catalog.Filter, len(c.AnyOf))
		for i := range c.AnyOf {
			fs[i] = c.AnyOf[i].Filter()
		}
		return catalog.AnyOf(fs...)
	case c.Not != nil:
		return catalog.NotOf(c.Not.Filter())
	}
	str := func(k string) string { s, _ := c.Params[k].(string); return s }
	keyed := func(prefix, key string) catalog.Filter {
		k := prefix + strings.TrimSpace(key)
		if v, ok := c.Params["value"].(string); ok {
			return catalog.Eq(k, v)
		}
		return catalog.Exists(k)
	}
	switch c.Rule {
	case RuleIsEntityOwner:
		claims, _ := stringList(c.Params["claims"])
		if len(claims) == 0 {
			return catalog.AnyOf() // owns nothing
		}
		return catalog.Eq("relations.ownedby", claims...)
	case RuleIsEntityKind:
		kinds, _ := stringList(c.Params["kinds"])
		return catalog.Eq("kind", kinds...)
	case RuleHasAnnotation:
		return keyed("metadata.annotations.", str("annotation"))
	case RuleHasLabel:
		return keyed("metadata.labels.", str("label"))
	case RuleHasMetadata:
		return keyed("metadata.", str("key"))
	case RuleHasSpec:
		return keyed("spec.", str("key"))
	}
	return catalog.AnyOf() // unreachable for validated criteria: fail closed
}
