package gen

import (
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// words returns the area and noun a component, API or resource name starts with.
func words(i int) (area, noun string) {
	return areas[i%len(areas)], componentNouns[i%len(componentNouns)]
}

func (p *plan) componentSystem(c int) int {
	return int(p.hash(tagComponentSystem, c) % uint64(max(p.Systems, 1)))
}

func (p *plan) componentOwner(c int) string {
	h := p.hash(tagComponentOwner, c)
	if p.Systems > 0 && h%100 < 80 {
		return p.systemOwner(p.componentSystem(c))
	}
	return p.ownerTeam(h >> 8)
}

// componentType: the first APIs components are the providers, so services.
func (p *plan) componentType(c int) string {
	if c < p.APIs {
		return "service"
	}
	switch h := p.hash(tagComponentType, c) % 100; {
	case h < 45:
		return "service"
	case h < 65:
		return "website"
	default:
		return "library"
	}
}

func (p *plan) componentName(c int) string {
	i := p.perm(tagComponent, c, p.Components)
	roles := serviceRoles
	switch p.componentType(c) {
	case "website":
		roles = websiteRoles
	case "library":
		roles = libraryRoles
	}
	role := roles[p.hash(tagComponentType+50, c)%uint64(len(roles))]
	return compose(i, "-", areas, componentNouns) + "-" + role
}

func (p *plan) component(c int) *catalog.Entity {
	name := p.componentName(c)
	typ := p.componentType(c)
	r := p.rng(tagComponent, c)
	area, noun := words(p.perm(tagComponent, c, p.Components))
	e := newEntity("Component", name, fmt.Sprintf("%s %s of the %s area: %s %ss.",
		title(noun), typ, area, pick(r, verbs), noun))
	lang := pick(r, languages)
	e.Metadata.Tags = []string{lang, area}
	e.Metadata.Labels = map[string]string{"tier": fmt.Sprint(1 + r.intn(3))}

	lifecycle := "production"
	switch x := r.intn(100); {
	case x >= 90:
		lifecycle = "deprecated"
	case x >= 70:
		lifecycle = "experimental"
	}
	e.Spec["type"] = typ
	e.Spec["lifecycle"] = lifecycle
	e.Spec["owner"] = p.componentOwner(c)
	if p.Systems > 0 {
		e.Spec["system"] = p.systemName(p.componentSystem(c))
	}
	if p.Components > 0 {
		var provides []string
		for a := c; a < p.APIs; a += p.Components {
			provides = append(provides, p.apiName(a))
		}
		if provides != nil {
			e.Spec["providesApis"] = provides
		}
	}
	if typ != "library" && p.APIs > 0 {
		var consumes []string
		seen := map[int]bool{}
		for k := r.intn(4); k > 0; k-- {
			a := r.intn(p.APIs)
			if a%p.Components == c || seen[a] {
				continue
			}
			seen[a] = true
			consumes = append(consumes, p.apiName(a))
		}
		if consumes != nil {
			e.Spec["consumesApis"] = consumes
		}
	}
	var deps []string
	if typ == "service" && p.Resources > 0 {
		for k := r.intn(3); k > 0; k-- {
			deps = append(deps, "resource:"+p.resourceName(r.intn(p.Resources)))
		}
	}
	if c > 0 && r.chance(25) {
		deps = append(deps, "component:"+p.componentName(r.intn(c)))
	}
	if deps != nil {
		e.Spec["dependsOn"] = dedupe(deps)
	}
	if c > 0 && r.chance(8) {
		e.Spec["subcomponentOf"] = p.componentName(r.intn(c))
	}
	if typ != "library" {
		p.annotate(e, r, area, lifecycle)
	} else {
		e.Metadata.Annotations = map[string]string{
			"github.com/project-slug":        p.company + "/" + name,
			catalog.AnnotationSourceLocation: "url:https://github.com/" + p.company + "/" + name + "/tree/main/",
		}
	}
	return e
}

// annotate adds what the first-party plugins read: CI, Kubernetes, PagerDuty, Grafana.
func (p *plan) annotate(e *catalog.Entity, r *rng, area, lifecycle string) {
	name := e.Metadata.Name
	a := map[string]string{}
	repo := "https://github.com/" + p.company + "/" + name
	if r.chance(15) {
		a["gitlab.com/project-slug"] = p.company + "/" + area + "/" + name
		repo = "https://gitlab.com/" + p.company + "/" + area + "/" + name
		a[catalog.AnnotationSourceLocation] = "url:" + repo + "/-/tree/main/"
	} else {
		a["github.com/project-slug"] = p.company + "/" + name
		a[catalog.AnnotationSourceLocation] = "url:" + repo + "/tree/main/"
	}
	a["backstage.io/kubernetes-id"] = name
	if r.chance(30) {
		a["backstage.io/kubernetes-namespace"] = area
	}
	if lifecycle == "production" {
		a["pagerduty.com/service-id"] = pagerDutyID(r.next())
		a["grafana/dashboard-selector"] = "tags @> '" + name + "'"
		a["grafana/alert-label-selector"] = "service=" + name
	}
	if r.chance(30) {
		a["backstage.io/techdocs-ref"] = "dir:."
	}
	e.Metadata.Annotations = a
	if r.chance(40) {
		e.Metadata.Links = []catalog.Link{{URL: repo, Title: "Repository", Icon: "github"}}
	}
}

// pagerDutyID formats a PagerDuty-like service ID: P and six upper-case letters or digits.
func pagerDutyID(h uint64) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var b [7]byte
	b[0] = 'P'
	for i := 1; i < len(b); i++ {
		b[i] = alphabet[h%uint64(len(alphabet))]
		h /= uint64(len(alphabet))
	}
	return string(b[:])
}

func dedupe(s []string) []string {
	out := s[:0]
	seen := make(map[string]bool, len(s))
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// ---- APIs ------------------------------------------------------------------

var apiTypes = []struct{ typ, suffix string }{
	{"openapi", "api"}, {"asyncapi", "events"}, {"grpc", "grpc"}, {"graphql", "graphql"},
}

func (p *plan) apiType(a int) int {
	switch h := p.hash(tagAPI+50, a) % 100; {
	case h < 60:
		return 0
	case h < 75:
		return 1
	case h < 90:
		return 2
	default:
		return 3
	}
}

func (p *plan) apiName(a int) string {
	return compose(p.perm(tagAPI, a, p.APIs), "-", areas, componentNouns) + "-" + apiTypes[p.apiType(a)].suffix
}

func (p *plan) api(a int) *catalog.Entity {
	name := p.apiName(a)
	t := apiTypes[p.apiType(a)]
	r := p.rng(tagAPI, a)
	area, noun := words(p.perm(tagAPI, a, p.APIs))
	e := newEntity("API", name, fmt.Sprintf("%s %s API of the %s area.", title(noun), t.typ, area))
	e.Metadata.Tags = []string{t.typ, area}
	lifecycle := "production"
	if r.chance(15) {
		lifecycle = "experimental"
	}
	e.Spec["type"] = t.typ
	e.Spec["lifecycle"] = lifecycle
	if p.Components > 0 {
		provider := a % p.Components
		e.Spec["owner"] = p.componentOwner(provider)
		if p.Systems > 0 {
			e.Spec["system"] = p.systemName(p.componentSystem(provider))
		}
	} else {
		e.Spec["owner"] = p.ownerTeam(r.next())
	}
	e.Spec["definition"] = definition(t.typ, name, area, noun, 1+r.intn(4))
	return e
}

// definition writes a small but valid API definition of the given type.
func definition(typ, name, area, noun string, major int) string {
	Noun := title(noun)
	var b strings.Builder
	switch typ {
	case "openapi":
		fmt.Fprintf(&b, `openapi: 3.0.3
info:
  title: %[1]s
  version: %[4]d.0.0
paths:
  /%[3]ss:
    get:
      operationId: list%[2]ss
      parameters:
        - name: limit
          in: query
          schema:
            type: integer
            maximum: 100
      responses:
        "200":
          description: A page of %[3]ss.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: "#/components/schemas/%[2]s"
  /%[3]ss/{id}:
    get:
      operationId: get%[2]s
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: The %[3]s.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/%[2]s"
        "404":
          description: No such %[3]s.
components:
  schemas:
    %[2]s:
      type: object
      required: [id]
      properties:
        id:
          type: string
        updatedAt:
          type: string
          format: date-time
`, name, Noun, noun, major)
	case "asyncapi":
		fmt.Fprintf(&b, `asyncapi: 2.6.0
info:
  title: %[1]s
  version: %[5]d.0.0
channels:
  %[4]s.%[3]s.v%[5]d:
    subscribe:
      operationId: on%[2]sChanged
      message:
        name: %[2]sChanged
        payload:
          type: object
          required: [id, occurredAt]
          properties:
            id:
              type: string
            occurredAt:
              type: string
              format: date-time
`, name, Noun, noun, area, major)
	case "grpc":
		fmt.Fprintf(&b, `syntax = "proto3";

package %[3]s.%[2]s.v%[4]d;

service %[1]sService {
  rpc Get%[1]s(Get%[1]sRequest) returns (%[1]s);
}

message Get%[1]sRequest {
  string id = 1;
}

message %[1]s {
  string id = 1;
  string name = 2;
}
`, Noun, noun, area, major)
	default:
		fmt.Fprintf(&b, `type Query {
  %[2]s(id: ID!): %[1]s
  %[2]ss(first: Int = 20): [%[1]s!]!
}

type %[1]s {
  id: ID!
  name: String!
}
`, Noun, noun)
	}
	return b.String()
}

// title upper-cases the first letter of each space- or hyphen-separated word.
func title(s string) string {
	b := []byte(s)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == ' ' || c == '-'
	}
	return strings.ReplaceAll(string(b), "-", " ")
}
