package authz

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/portico-dev/portico/catalog"
)

// Policy is the authorization policy as data. Example (YAML; JSON has the
// same shape):
//
//	defaultRoles: [viewer]            # every identified principal has these
//	roles:
//	  admin:  {inherits: [editor]}
//	  editor: {inherits: [viewer]}
//	  viewer: {}
//	bindings:                          # users and groups (entity refs) → roles
//	  - {subject: group:default/platform, roles: [admin]}
//	rules:
//	  - {subject: admin, permissions: ["*"]}
//	  - subject: viewer
//	    permissions: [catalog.entity.read]
//	    conditions: {anyOf: [{rule: IS_ENTITY_OWNER}, {not: {rule: IS_ENTITY_KIND, params: {kinds: [resource]}}}]}
//	  - {subject: user:default/mallory, permissions: ["catalog.*"], effect: deny}
//
// A rule's subject is a role or an entity ref; its permissions are names or
// patterns ending in '*'. Deny rules take no conditions and win over allow
// rules. Conditions apply to entity permissions only (catalog.entity.read,
// .delete, .refresh).
type Policy struct {
	DefaultRoles []string        `json:"defaultRoles,omitempty" yaml:"defaultRoles,omitempty"`
	Roles        map[string]Role `json:"roles" yaml:"roles"`
	Bindings     []Binding       `json:"bindings,omitempty" yaml:"bindings,omitempty"`
	Rules        []Rule          `json:"rules" yaml:"rules"`
}

// Role is one role; it has every permission of the roles it inherits.
type Role struct {
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Inherits    []string `json:"inherits,omitempty" yaml:"inherits,omitempty"`
}

// Binding gives a user or group (and so its members: a principal's claims
// include its groups) some roles.
type Binding struct {
	Subject string   `json:"subject" yaml:"subject"`
	Roles   []string `json:"roles" yaml:"roles"`
}

// Rule allows or denies permissions to a subject.
type Rule struct {
	Subject     string    `json:"subject" yaml:"subject"`
	Permissions []string  `json:"permissions" yaml:"permissions"`
	Effect      string    `json:"effect,omitempty" yaml:"effect,omitempty"` // allow (default) | deny
	Conditions  *Criteria `json:"conditions,omitempty" yaml:"conditions,omitempty"`
}

//go:embed default_policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicy is the embedded policy used when no policy file is given.
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(defaultPolicyYAML)
	if err != nil {
		panic("authz: embedded default policy: " + err.Error())
	}
	return p
}

// MaxPolicySize bounds a policy document.
const MaxPolicySize = 1 << 20

var roleName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)

// ParsePolicy parses a policy document, JSON (starting with '{') or YAML,
// strictly (an unknown key is an error naming it) and validates it.
func ParsePolicy(data []byte) (*Policy, error) {
	if len(data) > MaxPolicySize {
		return nil, fmt.Errorf("policy: larger than %d bytes", MaxPolicySize)
	}
	var p Policy
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("policy: empty document")
	}
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		if dec.More() {
			return nil, errors.New("policy: unexpected data after the document")
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(trimmed))
		dec.KnownFields(true)
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
		var extra any
		if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
			return nil, errors.New("policy: expected one YAML document")
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Validate checks names, references and conditions, canonicalises subject
// refs and rule names in place, and rejects inheritance cycles.
func (p *Policy) Validate() error {
	if p.Roles == nil {
		p.Roles = map[string]Role{}
	}
	for name, r := range p.Roles {
		if !roleName.MatchString(name) {
			return fmt.Errorf("policy: role %q: names are lower case letters, digits, '-' and '_'", name)
		}
		for _, in := range r.Inherits {
			if _, ok := p.Roles[in]; !ok {
				return fmt.Errorf("policy: role %s inherits unknown role %q", name, in)
			}
		}
	}
	if cyc := inheritanceCycle(p.Roles); cyc != "" {
		return fmt.Errorf("policy: roles inherit in a cycle: %s", cyc)
	}
	for _, r := range p.DefaultRoles {
		if _, ok := p.Roles[r]; !ok {
			return fmt.Errorf("policy: defaultRoles: unknown role %q", r)
		}
	}
	for i := range p.Bindings {
		b := &p.Bindings[i]
		ref, err := subjectRef(b.Subject)
		if err != nil {
			return fmt.Errorf("policy: bindings[%d]: %w", i, err)
		}
		b.Subject = ref
		if len(b.Roles) == 0 {
			return fmt.Errorf("policy: bindings[%d] (%s): no roles", i, ref)
		}
		for _, r := range b.Roles {
			if _, ok := p.Roles[r]; !ok {
				return fmt.Errorf("policy: bindings[%d] (%s): unknown role %q", i, ref, r)
			}
		}
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		where := fmt.Sprintf("policy: rules[%d]", i)
		if _, isRole := p.Roles[r.Subject]; !isRole {
			ref, err := subjectRef(r.Subject)
			if err != nil {
				return fmt.Errorf("%s: subject %q is neither a role nor a user or group ref", where, r.Subject)
			}
			r.Subject = ref
		}
		switch r.Effect {
		case "", "allow":
			r.Effect = "allow"
		case "deny":
			if r.Conditions != nil {
				return fmt.Errorf("%s: deny rules take no conditions", where)
			}
		default:
			return fmt.Errorf("%s: effect %q: expected allow or deny", where, r.Effect)
		}
		if len(r.Permissions) == 0 {
			return fmt.Errorf("%s: no permissions", where)
		}
		for _, perm := range r.Permissions {
			if !validPattern(perm) {
				return fmt.Errorf("%s: unknown permission %q", where, perm)
			}
			if r.Conditions != nil {
				if info, ok := Lookup(perm); !ok || !info.Conditional() {
					return fmt.Errorf("%s: %q takes no conditions (only entity permissions: %s, %s, %s)", where, perm,
						CatalogEntityRead, CatalogEntityDelete, CatalogEntityRefresh)
				}
			}
		}
		if r.Conditions != nil {
			if err := r.Conditions.validate(where+".conditions", 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// subjectRef canonicalises a user or group ref ("group:team-a" →
// "group:default/team-a").
func subjectRef(s string) (string, error) {
	if !strings.Contains(s, ":") {
		return "", fmt.Errorf("subject %q: expected a user or group ref such as group:default/team-a", s)
	}
	r, err := catalog.ParseRef(s, catalog.RefContext{DefaultNamespace: catalog.DefaultNamespace})
	if err != nil {
		return "", fmt.Errorf("subject %q: %v", s, err)
	}
	if k := strings.ToLower(r.Kind); k != "user" && k != "group" {
		return "", fmt.Errorf("subject %q: expected a user or group ref", s)
	}
	return r.String(), nil
}

func inheritanceCycle(roles map[string]Role) string {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) bool
	visit = func(n string) bool {
		switch state[n] {
		case active:
			path = append(path, n)
			return true
		case done:
			return false
		}
		state[n] = active
		path = append(path, n)
		for _, in := range roles[n].Inherits {
			if visit(in) {
				return true
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return false
	}
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if visit(n) {
			return strings.Join(path, " → ")
		}
	}
	return ""
}

// JSON is the policy's canonical JSON form (what the store keeps).
func (p *Policy) JSON() []byte {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		panic("authz: marshal policy: " + err.Error()) // only plain data
	}
	return b
}
