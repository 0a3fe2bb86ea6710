package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

func TestOneBadDocumentAmongGood(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	good := component("a") + "---\n" + component("b") + "---\n" + component("c")
	f := writeFile(t, dir, "catalog-info.yaml", good)
	loc, r := addLocation(t, e, st, "file", f)
	if len(r.Errors) != 0 || r.Result.Added != 4 {
		t.Fatalf("first run: %+v errors %v", r.Result, r.Errors)
	}
	// b loses its owner; a new document has an invalid name.
	bad := component("a") + "---\n" + strings.Replace(component("b"), "  owner: team-a\n", "", 1) +
		"---\n" + component("c") + "---\n" + component("not valid!")
	writeFile(t, dir, "catalog-info.yaml", bad)
	r = process(t, e, loc)
	pe := findError(r.Errors, "owner")
	if pe == nil || pe.Doc != 1 || pe.Field != "spec.owner" || pe.Entity != "component:default/b" || pe.Source != "file:"+f || pe.Line == 0 {
		t.Fatalf("want an error on doc 1 spec.owner of component b, got %+v", r.Errors)
	}
	if pe := findError(r.Errors, "not valid!"); pe == nil || pe.Doc != 3 {
		t.Errorf("want an error for doc 3's name, got %+v", r.Errors)
	}
	for _, n := range []string{"a", "c"} {
		if len(statusErrors(mustGet(t, st, "component:default/"+n))) != 0 {
			t.Errorf("%s has errors", n)
		}
	}
	// b keeps its previous body and shows the error.
	b := mustGet(t, st, "component:default/b")
	if b.SpecString("owner") != "team-a" {
		t.Errorf("b's previous body was not kept: %v", b.Spec)
	}
	if items := statusErrors(b); len(items) != 1 || !strings.Contains(items[0].Message, "owner") {
		t.Errorf("b status = %+v, want the owner error", b.Status)
	}
}

func TestUnknownKind(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", component("ok")+"---\napiVersion: backstage.io/v1alpha1\nkind: Servce\nmetadata:\n  name: typo\nspec: {}\n")
	_, r := addLocation(t, e, st, "file", f)
	pe := findError(r.Errors, "Unknown kind")
	if pe == nil || pe.Doc != 1 || pe.Field != "kind" || !strings.Contains(pe.Message, "Servce") {
		t.Fatalf("want an unknown-kind error on doc 1, got %+v", r.Errors)
	}
	mustGet(t, st, "component:default/ok")
	if get(t, st, "servce:default/typo") != nil {
		t.Error("an entity of an unknown kind was stored")
	}
}

func TestLocationCycle(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	loc := func(name, target string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: " + name + "\nspec:\n  targets: [" + target + "]\n"
	}
	a := writeFile(t, dir, "a.yaml", loc("a", "./b.yaml"))
	writeFile(t, dir, "b.yaml", loc("b", "./sub/c.yaml")+"---\n"+component("in-b"))
	writeFile(t, dir, "sub/c.yaml", loc("c", "../a.yaml"))
	_, r := addLocation(t, e, st, "file", a)
	pe := findError(r.Errors, "Location cycle")
	if pe == nil || !strings.Contains(pe.Message, filepath.Join(dir, "a.yaml")+" → ") || pe.Entity != "location:default/c" {
		t.Fatalf("want a cycle error raised by location c, got %+v", r.Errors)
	}
	mustGet(t, st, "component:default/in-b")
	for _, n := range []string{"a", "b", "c"} {
		mustGet(t, st, "location:default/"+n)
	}
	if c := mustGet(t, st, "component:default/in-b"); !strings.HasSuffix(c.Metadata.Annotations[catalog.AnnotationManagedByLocation], "/b.yaml") {
		t.Errorf("in-b managed-by-location = %q", c.Metadata.Annotations[catalog.AnnotationManagedByLocation])
	}
}

func TestFileBecomesInvalidYAML(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", component("x")+"---\n"+component("y"))
	loc, _ := addLocation(t, e, st, "file", f)
	writeFile(t, dir, "c.yaml", "apiVersion: backstage.io/v1alpha1\nkind: [Component\nmetadata: {name: x\n")
	r := process(t, e, loc)
	if len(r.Errors) == 0 || r.Errors[0].Source != "file:"+f {
		t.Fatalf("want a YAML error on the file, got %+v", r.Errors)
	}
	if r.Result.Orphaned+r.Result.Deleted != 0 {
		t.Fatalf("entities lost: %+v", r.Result)
	}
	for _, n := range []string{"x", "y"} {
		if en := mustGet(t, st, "component:default/"+n); en.SpecString("owner") != "team-a" {
			t.Errorf("%s changed: %v", n, en.Spec)
		}
	}
	// Missing file: same, everything kept.
	if err := os.Remove(f); err != nil {
		t.Fatal(err)
	}
	r = process(t, e, loc)
	if pe := findError(r.Errors, "does not exist"); pe == nil || pe.Name != "NotFoundError" {
		t.Fatalf("want a NotFoundError, got %+v", r.Errors)
	}
	mustGet(t, st, "component:default/x")
}

func TestBrokenNestedLocationKeepsItsSubtree(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	root := writeFile(t, dir, "root.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./team/index.yaml]\n")
	writeFile(t, dir, "team/index.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: team\nspec:\n  target: ./svc.yaml\n")
	writeFile(t, dir, "team/svc.yaml", component("svc"))
	loc, _ := addLocation(t, e, st, "file", root)
	mustGet(t, st, "component:default/svc")
	// The middle file breaks: what lay below it must not be orphaned.
	writeFile(t, dir, "team/index.yaml", "kind: Location\nmetadata: [\n")
	r := process(t, e, loc)
	if len(r.Errors) == 0 || r.Result.Deleted+r.Result.Orphaned != 0 {
		t.Fatalf("result %+v errors %v", r.Result, r.Errors)
	}
	mustGet(t, st, "component:default/svc")
	mustGet(t, st, "location:default/team")
}

func TestRemovedEntityOrphanStrategy(t *testing.T) {
	for _, strategy := range []catalog.OrphanStrategy{catalog.OrphanDelete, catalog.OrphanKeep} {
		t.Run(string(strategy), func(t *testing.T) {
			st := openStore(t)
			e := newEngine(t, st, Options{OrphanStrategy: strategy})
			dir := t.TempDir()
			f := writeFile(t, dir, "c.yaml", component("stay")+"---\n"+component("go"))
			loc, _ := addLocation(t, e, st, "file", f)
			writeFile(t, dir, "c.yaml", component("stay"))
			r := process(t, e, loc)
			gone := get(t, st, "component:default/go")
			switch strategy {
			case catalog.OrphanDelete:
				if gone != nil || r.Result.Deleted != 1 {
					t.Errorf("delete: entity %v, result %+v", gone, r.Result)
				}
			case catalog.OrphanKeep:
				if gone == nil || gone.Metadata.Annotations[catalog.AnnotationOrphan] != "true" || r.Result.Orphaned != 1 {
					t.Errorf("keep: entity %v, result %+v", gone, r.Result)
				}
			}
			if s := mustGet(t, st, "component:default/stay"); s.Metadata.Annotations[catalog.AnnotationOrphan] != "" {
				t.Error("stay was orphaned")
			}
		})
	}
}

func TestEntityClaimedByTwoLocations(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	first := writeFile(t, dir, "first.yaml", component("shared", "  system: one"))
	second := writeFile(t, dir, "second.yaml", component("shared", "  system: two")+"---\n"+component("own"))
	addLocation(t, e, st, "file", first)
	_, r := addLocation(t, e, st, "file", second)
	pe := findError(r.Errors, "component:default/shared")
	if pe == nil || pe.Name != "ConflictError" {
		t.Fatalf("want a ConflictError for the shared entity, got %+v", r.Errors)
	}
	s := mustGet(t, st, "component:default/shared")
	if s.SpecString("system") != "one" || s.Metadata.Annotations[catalog.AnnotationManagedByLocation] != "file:"+first {
		t.Errorf("the first location lost the entity: %v %v", s.Spec, s.Metadata.Annotations)
	}
	mustGet(t, st, "component:default/own")
}

func TestUnchangedRefreshWritesNothing(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	f, _ := filepath.Abs("testdata/backstage/all.yaml")
	loc, r1 := addLocation(t, e, st, "file", f)
	before := mustGet(t, st, "component:default/petstore")
	r2 := process(t, e, loc)
	if r2.Result.Added+r2.Result.Updated+r2.Result.Orphaned+r2.Result.Deleted != 0 ||
		r2.Result.Unchanged != r1.Result.Added {
		t.Fatalf("second run %+v after first %+v: want everything unchanged", r2.Result, r1.Result)
	}
	after := mustGet(t, st, "component:default/petstore")
	if before.Metadata.Etag != after.Metadata.Etag || before.Metadata.UID != after.Metadata.UID {
		t.Errorf("etag/uid changed on an unchanged refresh: %s/%s → %s/%s", before.Metadata.UID, before.Metadata.Etag, after.Metadata.UID, after.Metadata.Etag)
	}
}

func TestLargeFileRefused(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	f := writeFile(t, dir, "big.yaml", component("big"))
	loc, _ := addLocation(t, e, st, "file", f)
	// 50 MB (sparse: the size is refused before anything is read).
	fh, err := os.OpenFile(f, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	r := process(t, e, loc)
	pe := findError(r.Errors, "too large")
	if pe == nil || pe.Name != "InputError" || !strings.Contains(pe.Message, "52428800 bytes") {
		t.Fatalf("want a size error, got %+v", r.Errors)
	}
	mustGet(t, st, "component:default/big") // the previous entity is kept
}

func TestRulesRefuseKinds(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{Rules: []Rule{{Allow: []string{"Component", "Location"}}}})
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", component("svc")+"---\napiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\nspec:\n  type: team\n  children: []\n")
	_, r := addLocation(t, e, st, "file", f)
	pe := findError(r.Errors, "not allowed")
	if pe == nil || pe.Name != "NotAllowedError" || pe.Entity != "group:default/g" {
		t.Fatalf("want a NotAllowedError for the group, got %+v", r.Errors)
	}
	if get(t, st, "group:default/g") != nil {
		t.Error("a refused kind was stored")
	}
	mustGet(t, st, "component:default/svc")
	// A location's own rules add kinds (Backstage catalog.locations[].rules).
	g := writeFile(t, dir, "g.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g2\nspec:\n  type: team\n  children: []\n")
	_, r = addLocation(t, e, st, "file", g, "Group")
	if len(r.Errors) != 0 {
		t.Fatalf("location rules [Group] ignored: %+v", r.Errors)
	}
	mustGet(t, st, "group:default/g2")
}

func TestRuleLimitedToLocations(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	e := newEngine(t, st, Options{Rules: []Rule{
		{Allow: []string{"Component", "Location"}},
		{Allow: []string{"Group"}, Locations: []RuleLocation{{Type: "file", Pattern: filepath.Join(dir, "ORG", "*.yaml")}}},
	}})
	group := "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: %s\nspec:\n  type: team\n  children: []\n"
	org := writeFile(t, dir, "org/groups.yaml", strings.Replace(group, "%s", "in-org", 1))
	other := writeFile(t, dir, "elsewhere/groups.yaml", strings.Replace(group, "%s", "outside", 1))
	if _, r := addLocation(t, e, st, "file", org); len(r.Errors) != 0 {
		t.Errorf("group under the pattern refused: %+v", r.Errors)
	}
	if _, r := addLocation(t, e, st, "file", other); findError(r.Errors, "not allowed") == nil {
		t.Errorf("group outside the pattern allowed: %+v", r.Errors)
	}
	mustGet(t, st, "group:default/in-org")
}

func TestGlobLocation(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	writeFile(t, dir, "a/catalog-info.yaml", component("ga"))
	writeFile(t, dir, "b/deep/catalog-info.yaml", component("gb"))
	writeFile(t, dir, "b/other.yaml", component("nope"))
	_, r := addLocation(t, e, st, "file", filepath.Join(dir, "**", "catalog-info.yaml"))
	if len(r.Errors) != 0 || r.Sources != 2 {
		t.Fatalf("glob: %d sources, errors %+v", r.Sources, r.Errors)
	}
	mustGet(t, st, "component:default/ga")
	mustGet(t, st, "component:default/gb")
	if get(t, st, "component:default/nope") != nil {
		t.Error("a file outside the glob was read")
	}
}

func TestAPIOperations(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{AllowedLocationTypes: []string{"file"}})
	dir := t.TempDir()
	f := writeFile(t, dir, "c.yaml", component("api-a", "  dependsOn: [resource:db]"))

	ents, errs, err := e.DryRun(ctx, "file", f)
	if err != nil || len(errs) != 0 || len(ents) != 2 || !hasRelation(ents[1], "dependsOn", "resource:default/db") {
		t.Fatalf("DryRun = %v, %v, %v", ents, errs, err)
	}
	if get(t, st, "component:default/api-a") != nil {
		t.Fatal("DryRun stored an entity")
	}

	var ie *catalog.InputError
	if _, err := e.RegisterLocation(ctx, "url", "https://example.com/x.yaml"); !errors.As(err, &ie) || !strings.Contains(err.Error(), `["file"]`) {
		t.Errorf("disallowed type: %v", err)
	}
	loc, err := e.RegisterLocation(ctx, "file", f)
	if err != nil || loc.ID == "" || loc.EntityRef != catalog.GeneratedLocationRef("file", f) {
		t.Fatalf("RegisterLocation = %+v, %v", loc, err)
	}
	mustGet(t, st, "component:default/api-a")
	mustGet(t, st, loc.EntityRef)
	var ce *catalog.ConflictError
	if _, err := e.RegisterLocation(ctx, "file", f); !errors.As(err, &ce) {
		t.Errorf("second registration: %v, want ConflictError", err)
	}

	writeFile(t, dir, "c.yaml", component("api-a", "  system: sys"))
	if err := e.RefreshEntity(ctx, "component:default/api-a"); err != nil {
		t.Fatal(err)
	}
	if mustGet(t, st, "component:default/api-a").SpecString("system") != "sys" {
		t.Error("RefreshEntity did not reprocess")
	}
	var nf *catalog.NotFoundError
	if err := e.RefreshEntity(ctx, "component:default/nobody"); !errors.As(err, &nf) {
		t.Errorf("refresh unknown: %v, want NotFoundError", err)
	}

	g := writeFile(t, dir, "d.yaml", component("api-b"))
	if _, err := e.UpdateLocation(ctx, loc.ID, "file", g); err != nil {
		t.Fatal(err)
	}
	mustGet(t, st, "component:default/api-b")
	if get(t, st, "component:default/api-a") != nil {
		t.Error("the old target's entity survived the update (strategy delete)")
	}

	if err := e.DeleteLocation(ctx, loc.ID); err != nil {
		t.Fatal(err)
	}
	if get(t, st, "component:default/api-b") != nil {
		t.Error("entity survived its location's deletion")
	}

	ro := newEngine(t, st, Options{Readonly: true})
	var na *catalog.NotAllowedError
	if _, err := ro.RegisterLocation(ctx, "file", f); !errors.As(err, &na) {
		t.Errorf("readonly register: %v", err)
	}
}

func TestValidateEntity(t *testing.T) {
	e := newEngine(t, nil, Options{})
	doc := map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
		"metadata": map[string]any{"name": "v"},
		"spec":     map[string]any{"type": "service", "lifecycle": "production", "owner": "team-a"}}
	if errs := e.ValidateEntity(ctx, doc, "url:https://example.com/catalog-info.yaml"); len(errs) != 0 {
		t.Fatalf("valid entity: %+v", errs)
	}
	if _, ok := doc["metadata"].(map[string]any)["annotations"]; ok {
		t.Error("ValidateEntity changed its input")
	}
	delete(doc["spec"].(map[string]any), "owner")
	if errs := e.ValidateEntity(ctx, doc, "url:https://example.com/catalog-info.yaml"); len(errs) != 1 || errs[0].Field != "spec.owner" {
		t.Errorf("missing owner: %+v", errs)
	}
	if errs := e.ValidateEntity(ctx, doc, "https://example.com/x.yaml"); len(errs) != 1 || !strings.Contains(errs[0].Message, "url:") {
		t.Errorf("bad location ref: %+v", errs)
	}
	doc["spec"].(map[string]any)["owner"] = "team-a"
	doc["spec"].(map[string]any)["description"] = map[string]any{"$text": "/etc/hostname"}
	if errs := e.ValidateEntity(ctx, doc, "file:/tmp/catalog-info.yaml"); len(errs) != 1 || errs[0].Name != "NotAllowedError" {
		t.Errorf("a local file was read through validate-entity: %+v", errs)
	}
}
