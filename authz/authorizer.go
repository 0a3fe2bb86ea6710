package authz

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/identity"
)

// Result is Backstage's AuthorizeResult.
type Result string

const (
	Allow       Result = "ALLOW"
	Deny        Result = "DENY"
	Conditional Result = "CONDITIONAL"
)

// Decision is the answer for one permission. Conditions is set, resolved for
// the principal (claims filled in), when Result is CONDITIONAL.
type Decision struct {
	Result     Result
	Conditions *Criteria
}

// Filter is the catalog filter of what the decision allows: the zero filter
// for ALLOW, the conditions for CONDITIONAL, and a filter matching nothing
// for DENY (reads answer empty, as Backstage's).
func (d Decision) Filter() catalog.Filter {
	switch d.Result {
	case Allow:
		return catalog.Filter{}
	case Conditional:
		if d.Conditions != nil {
			return d.Conditions.Filter()
		}
	}
	return catalog.AnyOf()
}

//go:embed model.conf
var modelConf string

// compiled is one policy version turned into a Casbin enforcer. It is never
// changed once in force (Update sets version just before); a new version
// replaces it whole.
type compiled struct {
	policy  *Policy
	version int64
	enf     *casbin.SyncedEnforcer
	// condIDs are the ids of conditional rules' conditions, as in the p lines.
	condIDs []string
	conds   map[string]Criteria
}

func compile(p *Policy, version int64) (*compiled, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, fmt.Errorf("authz: model: %w", err)
	}
	enf, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("authz: enforcer: %w", err)
	}
	enf.AddFunction("hasSubject", hasSubject)
	c := &compiled{policy: p, version: version, enf: enf, conds: map[string]Criteria{}}
	var lines, groups [][]string
	for name, r := range p.Roles {
		for _, in := range r.Inherits {
			groups = append(groups, []string{name, in})
		}
	}
	for _, b := range p.Bindings {
		for _, r := range b.Roles {
			groups = append(groups, []string{b.Subject, r})
		}
	}
	for i, r := range p.Rules {
		cond := ""
		if r.Conditions != nil {
			cond = fmt.Sprintf("c%d", i)
			c.condIDs = append(c.condIDs, cond)
			c.conds[cond] = *r.Conditions
		}
		for _, perm := range r.Permissions {
			lines = append(lines, []string{r.Subject, perm, r.Effect, cond})
		}
	}
	if len(groups) > 0 {
		if _, err := enf.AddGroupingPoliciesEx(groups); err != nil {
			return nil, fmt.Errorf("authz: role bindings: %w", err)
		}
	}
	if len(lines) > 0 {
		if _, err := enf.AddPoliciesEx(lines); err != nil {
			return nil, fmt.Errorf("authz: rules: %w", err)
		}
	}
	return c, nil
}

// hasSubject(r.sub, p.sub): the request's space-separated subject set
// contains the rule's subject.
func hasSubject(args ...any) (any, error) {
	if len(args) != 2 {
		return false, fmt.Errorf("hasSubject: expected 2 arguments")
	}
	set, _ := args[0].(string)
	sub, _ := args[1].(string)
	return sub != "" && strings.Contains(" "+set+" ", " "+sub+" "), nil
}

// subjects is p's subject set: its user ref and claims, the roles bound to
// them, the principal's configured roles, the default roles for anyone
// identified, and every role those inherit.
func (c *compiled) subjects(p identity.Principal) string {
	set := map[string]bool{}
	addRole := func(r string) {
		if set[r] {
			return
		}
		set[r] = true
		more, _ := c.enf.GetImplicitRolesForUser(r)
		for _, m := range more {
			set[m] = true
		}
	}
	for _, s := range append([]string{p.UserRef}, p.Claims...) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || strings.ContainsAny(s, " \t\n") {
			continue
		}
		set[s] = true
		roles, _ := c.enf.GetImplicitRolesForUser(s)
		for _, r := range roles {
			addRole(r)
		}
	}
	for _, r := range p.Roles {
		addRole(r)
	}
	for _, r := range c.policy.DefaultRoles {
		addRole(r)
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// Authorizer decides permissions with the current policy. It is safe for
// concurrent use; a policy change swaps the compiled policy atomically. A nil
// *Authorizer allows everything (permission.enabled: false).
type Authorizer struct {
	cur   atomic.Pointer[compiled]
	store *PolicyStore // nil: the policy lives in memory only
}

// New returns an authorizer with p (DefaultPolicy when nil) at version 0.
func New(p *Policy) (*Authorizer, error) {
	if p == nil {
		p = DefaultPolicy()
	}
	a := &Authorizer{}
	if err := a.set(p, 0); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Authorizer) set(p *Policy, version int64) error {
	c, err := compile(p, version)
	if err != nil {
		return err
	}
	a.cur.Store(c)
	return nil
}

// Enabled reports whether decisions are made at all (a is not nil).
func (a *Authorizer) Enabled() bool { return a != nil }

// Policy returns the current policy and its version.
func (a *Authorizer) Policy() (*Policy, int64) {
	c := a.cur.Load()
	return c.policy, c.version
}

// Decide answers perm for the principal in ctx. Without a principal (no
// credentials) everything is denied: the auth layer answers 401 before that.
func (a *Authorizer) Decide(ctx context.Context, perm string) Decision {
	if a == nil {
		return Decision{Result: Allow}
	}
	p, _ := identity.From(ctx)
	return a.DecideFor(p, perm)
}

// DecideFor answers perm for p.
//
// Order: an unknown permission or an anonymous principal is denied; a token
// whose scopes do not cover perm is denied; a service principal (Portico
// itself, a plugin's own identity, limited by its grant elsewhere) may read;
// otherwise the policy: an unconditional allow without a matching deny is
// ALLOW, allows with conditions are CONDITIONAL (any of them), else DENY.
func (a *Authorizer) DecideFor(p identity.Principal, perm string) Decision {
	if a == nil {
		return Decision{Result: Allow}
	}
	info, known := Lookup(perm)
	if !known || p.Anonymous() {
		return Decision{Result: Deny}
	}
	if p.Kind == identity.KindToken && len(p.Scopes) > 0 && !slices.ContainsFunc(p.Scopes, func(s string) bool { return patternMatches(s, perm) }) {
		return Decision{Result: Deny}
	}
	if p.Kind == identity.KindService && info.Attributes["action"] == "read" {
		return Decision{Result: Allow}
	}
	c := a.cur.Load()
	subs := c.subjects(p)
	if ok, err := c.enf.Enforce(subs, perm, ""); err == nil && ok {
		return Decision{Result: Allow}
	}
	if !info.Conditional() {
		return Decision{Result: Deny}
	}
	var any []Criteria
	for _, id := range c.condIDs {
		if ok, err := c.enf.Enforce(subs, perm, id); err == nil && ok {
			any = append(any, c.conds[id].Resolve(p))
		}
	}
	switch len(any) {
	case 0:
		return Decision{Result: Deny}
	case 1:
		return Decision{Result: Conditional, Conditions: &any[0]}
	}
	return Decision{Result: Conditional, Conditions: &Criteria{AnyOf: any}}
}

// ReadFilter is the filter of the entities the principal in ctx may read
// (catalog.entity.read), to AND into every catalog read.
func (a *Authorizer) ReadFilter(ctx context.Context) catalog.Filter {
	if a == nil {
		return catalog.Filter{}
	}
	return a.Decide(ctx, CatalogEntityRead).Filter()
}

// Require returns a *catalog.NotAllowedError (HTTP 403) unless perm is
// allowed outright for the principal in ctx. Entity permissions that may be
// conditional are checked against the entity with Decision.RequireOn.
func (a *Authorizer) Require(ctx context.Context, perm string) error {
	if d := a.Decide(ctx, perm); d.Result != Allow {
		return notAllowed(perm)
	}
	return nil
}

// EntityChecker answers whether an entity matches a filter, in the store
// (EntityByRef or EntityByUID with the filter).
type EntityChecker func(ctx context.Context, f catalog.Filter) (bool, error)

// RequireOn checks d, the decision for the entity permission perm, on one
// entity: ALLOW passes, DENY fails, CONDITIONAL asks the store whether the
// entity matches the conditions. Failure is a *catalog.NotAllowedError.
func (d Decision) RequireOn(ctx context.Context, perm string, matches EntityChecker) error {
	switch d.Result {
	case Allow:
		return nil
	case Conditional:
		ok, err := matches(ctx, d.Filter())
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return notAllowed(perm)
}

func notAllowed(perm string) error {
	return &catalog.NotAllowedError{Msg: fmt.Sprintf("You are not allowed to perform this action (%s)", perm)}
}
