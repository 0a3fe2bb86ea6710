package gen

import (
	"fmt"
	"iter"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

const apiVersion = "backstage.io/v1alpha1"

// Organisation yields the n entities of a generated organisation in a fixed
// order: groups, users, domains, systems, resources, components, APIs. Every
// reference in a spec (owner, system, domain, subdomainOf, parent, children,
// memberOf, providesApis, consumesApis, dependsOn, subcomponentOf) names an
// entity of the same organisation, and the same n and seed always yield the
// same entities.
//
// Nothing is held in memory between entities: any entity can be computed from
// its kind and index, which is how they reference each other.
func Organisation(n int, seed int64) iter.Seq[*catalog.Entity] {
	p := newPlan(n, seed)
	return func(yield func(*catalog.Entity) bool) {
		steps := []struct {
			count int
			build func(int) *catalog.Entity
		}{
			{p.Groups, p.group},
			{p.Users, p.user},
			{p.Domains, p.domain},
			{p.Systems, p.system},
			{p.Resources, p.resource},
			{p.Components, p.component},
			{p.APIs, p.api},
		}
		for _, s := range steps {
			for i := 0; i < s.count; i++ {
				if !yield(s.build(i)) {
					return
				}
			}
		}
	}
}

func newEntity(kind, name, description string) *catalog.Entity {
	return &catalog.Entity{
		APIVersion: apiVersion,
		Kind:       kind,
		Metadata:   catalog.Metadata{Name: name, Description: description},
		Spec:       map[string]any{},
	}
}

// ---- groups ----------------------------------------------------------------

func (p *plan) deptName(d int) string {
	return compose(p.perm(tagGroup+100, d, p.depts), "-", areas)
}

func (p *plan) teamName(t int) string {
	return compose(p.perm(tagGroup, t, p.teams), "-", areas, functions)
}

// groupName names group g: 0 is the organisation, then departments, then teams.
func (p *plan) groupName(g int) string {
	switch {
	case g == 0:
		return p.company
	case g <= p.depts:
		return p.deptName(g - 1)
	default:
		return p.teamName(g - 1 - p.depts)
	}
}

// ownerTeam picks a team from a hash; with no teams the organisation owns all.
func (p *plan) ownerTeam(h uint64) string {
	if p.teams == 0 {
		return p.groupName(0)
	}
	return p.teamName(int(h % uint64(p.teams)))
}

func (p *plan) group(g int) *catalog.Entity {
	name := p.groupName(g)
	var e *catalog.Entity
	children := []string{}
	switch {
	case g == 0:
		e = newEntity("Group", name, fmt.Sprintf("%s, the whole organisation", title(p.company)))
		e.Spec["type"] = "organization"
		if p.depts > 0 {
			for d := 0; d < p.depts; d++ {
				children = append(children, p.deptName(d))
			}
		} else {
			for t := 0; t < p.teams; t++ {
				children = append(children, p.teamName(t))
			}
		}
	case g <= p.depts:
		d := g - 1
		e = newEntity("Group", name, fmt.Sprintf("The %s department", title(name)))
		e.Spec["type"] = "department"
		e.Spec["parent"] = p.company
		for t := d; t < p.teams; t += p.depts {
			children = append(children, p.teamName(t))
		}
	default:
		t := g - 1 - p.depts
		e = newEntity("Group", name, fmt.Sprintf("The %s team", title(name)))
		e.Spec["type"] = "team"
		if p.depts > 0 {
			e.Spec["parent"] = p.deptName(t % p.depts)
		} else {
			e.Spec["parent"] = p.company
		}
	}
	e.Spec["children"] = children
	e.Spec["profile"] = map[string]any{
		"displayName": title(name),
		"email":       name + "@" + p.company + ".example",
	}
	return e
}

// ---- users -----------------------------------------------------------------

func (p *plan) user(u int) *catalog.Entity {
	name := compose(p.perm(tagUser, u, p.Users), ".", firstNames, lastNames)
	r := p.rng(tagUser, u)
	display := title(strings.ReplaceAll(name, ".", " "))
	e := newEntity("User", name, "")
	e.Spec["profile"] = map[string]any{
		"displayName": display,
		"email":       name + "@" + p.company + ".example",
	}
	memberOf := []string{}
	if p.teams > 0 {
		home := u % p.teams
		memberOf = append(memberOf, p.teamName(home))
		if p.teams > 1 && r.chance(10) {
			other := (home + 1 + r.intn(p.teams-1)) % p.teams
			memberOf = append(memberOf, p.teamName(other))
		}
		if p.depts > 0 && r.chance(4) {
			memberOf = append(memberOf, p.deptName(home%p.depts))
		}
	} else if p.Groups > 0 {
		memberOf = append(memberOf, p.groupName(0))
	}
	e.Spec["memberOf"] = memberOf
	return e
}

// ---- domains and systems ---------------------------------------------------

func (p *plan) domainName(d int) string {
	return compose(p.perm(tagDomain, d, p.Domains), "-", areas)
}

func (p *plan) domain(d int) *catalog.Entity {
	name := p.domainName(d)
	r := p.rng(tagDomain, d)
	e := newEntity("Domain", name, fmt.Sprintf("Everything about %s.", strings.ReplaceAll(name, "-", " ")))
	if p.depts > 0 {
		e.Spec["owner"] = "group:" + p.deptName(d%p.depts)
	} else {
		e.Spec["owner"] = "group:" + p.ownerTeam(r.next())
	}
	if d >= 3 && r.chance(30) {
		e.Spec["subdomainOf"] = p.domainName(r.intn(d))
	}
	return e
}

func (p *plan) systemName(s int) string {
	return compose(p.perm(tagSystem, s, p.Systems), "-", areas, systemNouns)
}

func (p *plan) systemOwner(s int) string { return p.ownerTeam(p.hash(tagSystemOwner, s)) }

func (p *plan) system(s int) *catalog.Entity {
	name := p.systemName(s)
	e := newEntity("System", name, fmt.Sprintf("The %s: the services, APIs and data behind it.", strings.ReplaceAll(name, "-", " ")))
	e.Spec["owner"] = p.systemOwner(s)
	if p.Domains > 0 {
		e.Spec["domain"] = p.domainName(s % p.Domains)
	}
	return e
}

// ---- resources -------------------------------------------------------------

func (p *plan) resourceKind(r int) int {
	return int(p.hash(tagResource+50, r) % uint64(len(resourceKinds)))
}

func (p *plan) resourceName(r int) string {
	return compose(p.perm(tagResource, r, p.Resources), "-", areas, componentNouns) + "-" + resourceKinds[p.resourceKind(r)].suffix
}

func (p *plan) resource(i int) *catalog.Entity {
	name := p.resourceName(i)
	k := resourceKinds[p.resourceKind(i)]
	r := p.rng(tagResource, i)
	e := newEntity("Resource", name, fmt.Sprintf("%s %s %s", title(k.tech), strings.ReplaceAll(k.typ, "-", " "), strings.ReplaceAll(name, "-", " ")))
	e.Metadata.Labels = map[string]string{"engine": k.tech}
	e.Spec["type"] = k.typ
	if p.Systems > 0 {
		s := r.intn(p.Systems)
		e.Spec["system"] = p.systemName(s)
		e.Spec["owner"] = p.systemOwner(s)
	} else {
		e.Spec["owner"] = p.ownerTeam(r.next())
	}
	if i > 0 && r.chance(10) {
		e.Spec["dependsOn"] = []string{"resource:" + p.resourceName(r.intn(i))}
	}
	return e
}
