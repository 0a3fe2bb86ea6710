package auth

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// Resolver maps sign-in identities to User entities and users to their
// ownership claims. It reads with a zero Filter: this is the system resolving
// who someone is, before any permission applies.
type Resolver struct {
	Store catalog.Store
}

// UnknownUserError says a signed-in account has no User entity in the catalog.
type UnknownUserError struct{ Msg string }

func (e *UnknownUserError) Error() string { return e.Msg }

// UserByEmail finds the one User whose spec.profile.email is email
// (case-insensitive), as Backstage's emailMatchingUserEntityProfileEmail.
func (r Resolver) UserByEmail(ctx context.Context, email string) (string, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", &UnknownUserError{Msg: "the provider sent no email claim; ask for the email scope or use resolver: username"}
	}
	page, err := r.Store.QueryEntities(ctx, catalog.Query{
		Filter: catalog.AllOf(catalog.Eq("kind", "user"), catalog.Eq("spec.profile.email", email)),
		Limit:  2,
	})
	if err != nil {
		return "", fmt.Errorf("find user by email: %w", err)
	}
	switch len(page.Items) {
	case 0:
		return "", &UnknownUserError{Msg: fmt.Sprintf("no User entity in the catalog has spec.profile.email %q", email)}
	case 1:
		return page.Items[0].Ref, nil
	}
	return "", &UnknownUserError{Msg: fmt.Sprintf("more than one User entity has spec.profile.email %q (%s, %s); sign-in needs exactly one",
		email, page.Items[0].Ref, page.Items[1].Ref)}
}

// UserByName finds the User named name in the default namespace, as
// Backstage's usernameMatchingUserEntityName.
func (r Resolver) UserByName(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, ":/") {
		return "", &UnknownUserError{Msg: fmt.Sprintf("the username claim %q is not a user name", name)}
	}
	ref := catalog.Ref{Kind: "user", Namespace: catalog.DefaultNamespace, Name: name}.String()
	rec, err := r.Store.EntityByRef(ctx, ref, catalog.Filter{})
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		return "", &UnknownUserError{Msg: fmt.Sprintf("no User entity %s in the catalog", ref)}
	}
	if err != nil {
		return "", fmt.Errorf("find user %s: %w", ref, err)
	}
	return rec.Ref, nil
}

// UserExists reports whether ref (any spelling) names a User entity; it
// returns the canonical ref.
func (r Resolver) UserExists(ctx context.Context, ref string) (string, error) {
	p, err := catalog.ParseRef(ref, catalog.RefContext{DefaultKind: "user"})
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(p.Kind, "user") {
		return "", &catalog.InputError{Msg: fmt.Sprintf("%s is not a user ref (user:NAMESPACE/NAME)", ref)}
	}
	rec, err := r.Store.EntityByRef(ctx, p.String(), catalog.Filter{})
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		return "", &UnknownUserError{Msg: fmt.Sprintf("no User entity %s in the catalog", p.String())}
	}
	if err != nil {
		return "", err
	}
	return rec.Ref, nil
}

// maxClaimGroups bounds the walk; an organisation deeper or wider than this
// is a data error, not a reason to read the whole catalog per request.
const maxClaimGroups = 1000

// Claims returns userRef and every group it is a member of (memberOf),
// transitively up the parent chain (childOf), canonical, sorted and without
// duplicates. Cycles in the group tree end the walk; a group that is referred
// to but missing is still a claim (its ref is all the relation gives), but
// has no parents to follow.
func (r Resolver) Claims(ctx context.Context, userRef string) ([]string, error) {
	claims, _, err := r.claims(ctx, userRef)
	return claims, err
}

// claims is Claims that also reports whether the User entity exists, from
// the same read of it.
func (r Resolver) claims(ctx context.Context, userRef string) ([]string, bool, error) {
	userRef = strings.ToLower(userRef)
	seen := map[string]bool{userRef: true}
	rec, err := r.Store.EntityByRef(ctx, userRef, catalog.Filter{})
	var nf *catalog.NotFoundError
	if errors.As(err, &nf) {
		return []string{userRef}, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("claims of %s: %w", userRef, err)
	}
	queue, err := related(&rec, catalog.RelationMemberOf)
	if err != nil {
		return nil, false, fmt.Errorf("claims of %s: %w", userRef, err)
	}
	for len(queue) > 0 && len(seen) <= maxClaimGroups {
		ref := queue[0]
		queue = queue[1:]
		if seen[ref] {
			continue
		}
		seen[ref] = true
		g, err := r.Store.EntityByRef(ctx, ref, catalog.Filter{})
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("claims of %s: group %s: %w", userRef, ref, err)
		}
		parents, err := related(&g, catalog.RelationChildOf)
		if err != nil {
			return nil, false, fmt.Errorf("claims of %s: group %s: %w", userRef, ref, err)
		}
		queue = append(queue, parents...)
	}
	out := make([]string, 0, len(seen))
	for ref := range seen {
		out = append(out, ref)
	}
	sort.Strings(out)
	return out, true, nil
}

// related returns the canonical targets of rec's relations of type typ that
// point at groups.
func related(rec *catalog.Record, typ string) ([]string, error) {
	e, err := rec.Entity()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rel := range e.Relations {
		if rel.Type != typ {
			continue
		}
		ref := strings.ToLower(rel.TargetRef)
		if strings.HasPrefix(ref, "group:") {
			out = append(out, ref)
		}
	}
	return out, nil
}
