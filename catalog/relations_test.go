package catalog

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func hasRow(rows []RelationRow, source, typ, target string) bool {
	return slices.Contains(rows, RelationRow{Source: source, Type: typ, Target: target})
}

func TestEmitRelationsExamples(t *testing.T) {
	k := mustKinds(t, aiResourceSchemas(true)...)
	ents, _ := exampleEntities(t, k)
	if len(ents) < 40 {
		t.Fatalf("only %d example entities", len(ents))
	}
	all := map[RelationRow]bool{}
	for ref, e := range ents {
		rows, errs := EmitRelations(e)
		if len(errs) > 0 {
			t.Errorf("%s: %+v", ref, errs)
		}
		for _, r := range rows {
			all[r] = true
		}
	}
	want := []RelationRow{
		// A Component owned by `guest`: the default kind is Group.
		{"component:default/playback-order", "ownedBy", "group:default/guest"},
		{"group:default/guest", "ownerOf", "component:default/playback-order"},
		{"component:default/petstore", "providesApi", "api:default/petstore"},
		{"api:default/petstore", "apiProvidedBy", "component:default/petstore"},
		{"user:default/breanna.davison", "memberOf", "group:default/team-a"},
		{"group:default/team-a", "hasMember", "user:default/breanna.davison"},
		{"group:default/team-a", "childOf", "group:default/backstage"},
		{"group:default/backstage", "parentOf", "group:default/team-a"},
		{"system:default/audio-playback", "partOf", "domain:default/playback"},
		{"domain:default/playback", "hasPart", "system:default/audio-playback"},
	}
	for _, w := range want {
		if !all[w] {
			t.Errorf("missing relation %+v", w)
		}
	}
	// Both directions of everything.
	inverse := map[string]string{}
	for _, f := range relationFields {
		for _, rf := range f {
			inverse[rf.outgoing] = rf.incoming
			inverse[rf.incoming] = rf.outgoing
		}
	}
	for r := range all {
		if !all[RelationRow{Source: r.Target, Type: inverse[r.Type], Target: r.Source}] {
			t.Errorf("no reverse of %+v", r)
		}
	}
}

func TestEmitRelationsNamespaceAndDefaults(t *testing.T) {
	k := mustKinds(t)
	docs := mustParse(t, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Svc
  namespace: development
spec:
  type: service
  lifecycle: production
  owner: Team-A
  system: other/sys
  subcomponentOf: parent
  providesApis: [api-one, api-one]
  consumesApis: ["default/shared"]
  dependsOn: ["resource:db", "nokind", "component:x/y"]
  dependencyOf: ["component:up"]
`)
	e, errs := k.CheckDocument(&docs[0])
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rows, rerrs := EmitRelations(e)
	self := "component:development/svc"
	for _, w := range [][3]string{
		{self, "ownedBy", "group:development/team-a"},
		{"group:development/team-a", "ownerOf", self},
		{self, "partOf", "system:other/sys"},
		{self, "partOf", "component:development/parent"},
		{self, "providesApi", "api:development/api-one"},
		{self, "consumesApi", "api:default/shared"},
		{self, "dependsOn", "resource:development/db"},
		{"resource:development/db", "dependencyOf", self},
		{self, "dependsOn", "component:x/y"},
		{self, "dependencyOf", "component:development/up"},
		{"component:development/up", "dependsOn", self},
	} {
		if !hasRow(rows, w[0], w[1], w[2]) {
			t.Errorf("missing %v in %v", w, rows)
		}
	}
	n := 0
	for _, r := range rows {
		if r.Type == "providesApi" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("duplicate providesApi rows: %d", n)
	}
	// dependsOn has no default kind: the ref without kind is an error, the
	// others are still emitted.
	if len(rerrs) != 1 || rerrs[0].Field != "spec.dependsOn.1" || !strings.Contains(rerrs[0].Message, `"nokind" had missing or empty kind`) ||
		rerrs[0].Entity != self {
		t.Fatalf("errs = %+v", rerrs)
	}
	if got := docs[0].Annotate(rerrs)[0].Line; got != 14 {
		t.Errorf("line = %d", got)
	}
}

func TestEmitRelationsGroupAndUser(t *testing.T) {
	g := &Entity{Kind: "Group", Metadata: Metadata{Name: "t"}, Spec: map[string]any{
		"type": "team", "parent": "org", "children": []any{"sub"}, "members": []any{"alice"}}}
	rows, errs := EmitRelations(g)
	if len(errs) > 0 || len(rows) != 6 {
		t.Fatalf("rows %v errs %v", rows, errs)
	}
	for _, w := range [][3]string{
		{"group:default/t", "childOf", "group:default/org"},
		{"group:default/org", "parentOf", "group:default/t"},
		{"group:default/t", "parentOf", "group:default/sub"},
		{"group:default/sub", "childOf", "group:default/t"},
		{"group:default/t", "hasMember", "user:default/alice"},
		{"user:default/alice", "memberOf", "group:default/t"},
	} {
		if !hasRow(rows, w[0], w[1], w[2]) {
			t.Errorf("missing %v", w)
		}
	}
	// Malformed refs and wrong shapes are errors; Location has no relations.
	bad := &Entity{Kind: "User", Metadata: Metadata{Name: "u"}, Spec: map[string]any{"memberOf": []any{"group:", 3.0, "ok"}}}
	rows, errs = EmitRelations(bad)
	if len(rows) != 2 || len(errs) != 2 || errs[0].Field != "spec.memberOf.0" || errs[1].Field != "spec.memberOf.1" {
		t.Fatalf("rows %v errs %+v", rows, errs)
	}
	loc := &Entity{Kind: "Location", Metadata: Metadata{Name: "l"}, Spec: map[string]any{"target": "x"}}
	if rows, errs := EmitRelations(loc); rows != nil || errs != nil {
		t.Fatalf("location: %v %v", rows, errs)
	}
}

func TestLocationTargets(t *testing.T) {
	e := &Entity{Kind: "Location", Spec: map[string]any{"target": "./a.yaml", "targets": []any{"./b.yaml", "", "https://x/c.yaml"}}}
	if got := LocationTargets(e); !slices.Equal(got, []string{"./a.yaml", "./b.yaml", "https://x/c.yaml"}) {
		t.Fatalf("got %v", got)
	}
	if got := LocationTargets(&Entity{Kind: "Location"}); len(got) != 0 {
		t.Fatalf("got %v", got)
	}
	k := mustKinds(t)
	docs := mustParse(t, "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: l}\nspec:\n  targets: [./x.yaml]\n")
	le, errs := k.CheckDocument(&docs[0])
	if len(errs) > 0 || !slices.Equal(LocationTargets(le), []string{"./x.yaml"}) {
		t.Fatalf("%v %v", errs, le)
	}
}

func TestGeneratedLocationRef(t *testing.T) {
	// sha1("url:https://example.com/catalog-info.yaml")
	got := GeneratedLocationRef("url", "https://example.com/catalog-info.yaml")
	if !strings.HasPrefix(got, "location:default/generated-") || len(got) != len("location:default/generated-")+40 {
		t.Fatalf("got %q", got)
	}
	if got == GeneratedLocationRef("file", "https://example.com/catalog-info.yaml") {
		t.Fatal("type not part of the hash")
	}
}

func TestEmitRelationsLargeGroupDedup(t *testing.T) {
	var members []any
	for i := range 500 {
		members = append(members, "user-"+strconv.Itoa(i%250))
	}
	g := &Entity{Kind: "Group", Metadata: Metadata{Name: "big"}, Spec: map[string]any{"type": "team", "children": []any{}, "members": members}}
	rows, errs := EmitRelations(g)
	if len(errs) > 0 || len(rows) != 500 {
		t.Fatalf("rows %d errs %v", len(rows), errs)
	}
	seen := map[RelationRow]bool{}
	for _, r := range rows {
		if seen[r] {
			t.Fatalf("duplicate %+v", r)
		}
		seen[r] = true
	}
}
