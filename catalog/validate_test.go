package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const examplesDir = "ingest/testdata/backstage"

// localReader reads files only; URLs fail as they do on machines without
// network access.
type localReader struct{}

func (localReader) ReadSource(_ context.Context, target string) ([]byte, error) {
	if isHTTPURL(target) {
		return nil, errors.New("network access is disabled")
	}
	return os.ReadFile(target)
}

func mustKinds(t testing.TB, custom ...KindSchema) *Kinds {
	t.Helper()
	k, err := NewKinds(custom)
	if err != nil {
		t.Fatalf("NewKinds: %v", err)
	}
	return k
}

func aiResourceSchemas(variants bool) []KindSchema {
	dir := "schemas/kinds/"
	out := []KindSchema{{Path: dir + "AiResource.v1alpha1.schema.json"}}
	if variants {
		for _, v := range []string{"skill", "rule", "plugin", "marketplace"} {
			out = append(out, KindSchema{Path: dir + "AiResource.v1alpha1." + v + ".schema.json"})
		}
	}
	return out
}

// exampleEntities parses, resolves and checks every entity file under the
// Backstage examples; it returns the entities by ref and the errors by file.
func exampleEntities(t *testing.T, k *Kinds) (map[string]*Entity, map[string][]string) {
	t.Helper()
	if _, err := os.Stat(examplesDir); err != nil {
		t.Skipf("Backstage examples not available: %v", err)
	}
	ents := map[string]*Entity{}
	problems := map[string][]string{}
	err := filepath.WalkDir(examplesDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".oas.yaml") {
			return err // *.oas.yaml is a $text target, not an entity file
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs, err := ParseDocuments("file:"+p, b, ParseLimits{})
		if err != nil {
			return err
		}
		for i := range docs {
			d := &docs[i]
			if d.Err == nil {
				if _, err := ResolvePlaceholders(context.Background(), d.Value, p, localReader{}); err != nil {
					problems[filepath.Base(p)] = append(problems[filepath.Base(p)], err.Error())
					continue
				}
			}
			e, errs := k.CheckDocument(d)
			for _, pe := range errs {
				problems[filepath.Base(p)] = append(problems[filepath.Base(p)], FormatProcessingError(pe))
			}
			if e != nil {
				ents[e.Ref().String()] = e
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ents, problems
}

// The three APIs whose definition is a $text from github.com.
var networkOnly = []string{"spotify-api.yaml", "wayback-archive-api.yaml", "wayback-search-api.yaml"}

func TestExamplesAllValid(t *testing.T) {
	k := mustKinds(t, aiResourceSchemas(true)...)
	ents, problems := exampleEntities(t, k)
	for file, msgs := range problems {
		if slices.Contains(networkOnly, file) {
			if len(msgs) != 1 || !strings.Contains(msgs[0], "https://") || !strings.Contains(msgs[0], "spec.definition") {
				t.Errorf("%s: want one placeholder error naming the URL, got %q", file, msgs)
			}
			continue
		}
		t.Errorf("%s: %q", file, msgs)
	}
	for _, ref := range []string{
		"component:default/petstore", "api:default/petstore-webhook", "api:default/backstage-mcp-server",
		"group:default/team-a", "user:default/guest", "airesource:default/frontend-design",
		"airesource:default/use-internal-apis", "location:default/example-groups",
	} {
		if ents[ref] == nil {
			t.Errorf("%s missing; have %d entities", ref, len(ents))
		}
	}
	if def := ents["api:default/petstore-webhook"].SpecString("definition"); !strings.Contains(def, "webhooks") {
		t.Errorf("petstore-webhook definition not substituted: %.80q", def)
	}
}

func TestExamplesAiResourceUnknownWithoutSchema(t *testing.T) {
	_, problems := exampleEntities(t, mustKinds(t))
	for _, f := range []string{"frontend-design-skill.yaml", "use-internal-apis-rule.yaml"} {
		msgs := problems[f]
		if len(msgs) != 1 || !strings.Contains(msgs[0], `Unknown kind "AiResource"`) || !strings.Contains(msgs[0], "Component") {
			t.Errorf("%s: %q", f, msgs)
		}
	}
}

func component(mut func(doc map[string]any)) map[string]any {
	doc := map[string]any{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Component",
		"metadata": map[string]any{
			"name":        "petstore",
			"description": "The pet store",
			"labels":      map[string]any{"backstage.io/tier": "gold"},
			"annotations": map[string]any{"github.com/project-slug": "acme/petstore"},
			"tags":        []any{"java", "c++", "team:blue"},
			"links":       []any{map[string]any{"url": "https://example.com", "title": "Home"}},
			"x-extra":     1.0,
		},
		"spec": map[string]any{
			"type": "service", "lifecycle": "production", "owner": "team-a",
			"providesApis": []any{"zeta", "alpha"}, "dependsOn": []any{"resource:db"},
		},
	}
	if mut != nil {
		mut(doc)
	}
	return doc
}

func meta(doc map[string]any) map[string]any { return doc["metadata"].(map[string]any) }
func spec(doc map[string]any) map[string]any { return doc["spec"].(map[string]any) }

func TestCheckValidComponent(t *testing.T) {
	k := mustKinds(t)
	e, errs := k.Check(component(nil))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if e.Metadata.Namespace != "default" || e.Metadata.Name != "petstore" || e.Metadata.Labels["backstage.io/tier"] != "gold" ||
		len(e.Metadata.Links) != 1 || e.Metadata.Links[0].Title != "Home" || e.Metadata.Extra["x-extra"] != 1.0 {
		t.Fatalf("entity = %+v", e.Metadata)
	}
	if got := e.SpecStrings("providesApis"); !slices.Equal(got, []string{"alpha", "zeta"}) {
		t.Errorf("providesApis not sorted: %v", got)
	}
}

// errorFor returns the single error with the field, failing otherwise.
func errorFor(t *testing.T, errs []ProcessingError, field string) ProcessingError {
	t.Helper()
	for _, e := range errs {
		if e.Field == field {
			if e.Name != "InputError" {
				t.Errorf("name = %q", e.Name)
			}
			return e
		}
	}
	t.Fatalf("no error for %s in %+v", field, errs)
	return ProcessingError{}
}

func TestCheckInvalidFields(t *testing.T) {
	k := mustKinds(t)
	cases := []struct {
		name, field, want string
		mut               func(doc map[string]any)
	}{
		{"name chars", "metadata.name", `"metadata.name" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total but found "bad name!". To learn more`,
			func(d map[string]any) { meta(d)["name"] = "bad name!" }},
		{"name too long", "metadata.name", `but found "` + strings.Repeat("a", 64) + `"`,
			func(d map[string]any) { meta(d)["name"] = strings.Repeat("a", 64) }},
		{"name type", "metadata.name", "expected a non empty string but found the number 3",
			func(d map[string]any) { meta(d)["name"] = 3.0 }},
		{"name missing", "metadata.name", "metadata.name must have a value",
			func(d map[string]any) { delete(meta(d), "name") }},
		{"namespace upper", "metadata.namespace", `expected a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total but found "Dev"`,
			func(d map[string]any) { meta(d)["namespace"] = "Dev" }},
		{"label key", "labels.bad key", `"labels.bad key" is not valid; expected a valid prefix and/or suffix but found "bad key"`,
			func(d map[string]any) { meta(d)["labels"] = map[string]any{"bad key": "x"} }},
		{"label value", "labels.a", `expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total but found "-x"`,
			func(d map[string]any) { meta(d)["labels"] = map[string]any{"a": "-x"} }},
		{"label two slashes", "labels.a/b/c", `found "a/b/c"`,
			func(d map[string]any) { meta(d)["labels"] = map[string]any{"a/b/c": ""} }},
		{"annotation prefix", "annotations.Bad.io/x", `found "Bad.io/x"`,
			func(d map[string]any) { meta(d)["annotations"] = map[string]any{"Bad.io/x": "v"} }},
		{"annotation value type", "metadata.annotations.a", "expected a string but found the boolean true",
			func(d map[string]any) { meta(d)["annotations"] = map[string]any{"a": true} }},
		{"tag upper", "tags.1", `expected a string that is sequences of [a-z0-9:+#] separated by [-], at most 63 characters in total but found "Java"`,
			func(d map[string]any) { meta(d)["tags"] = []any{"ok", "Java"} }},
		{"tag double dash", "tags.0", `found "a--b"`,
			func(d map[string]any) { meta(d)["tags"] = []any{"a--b"} }},
		{"link url", "links.0.url", `expected a string that is a valid url but found "not a url"`,
			func(d map[string]any) { meta(d)["links"] = []any{map[string]any{"url": "not a url"}} }},
		{"link url missing", "metadata.links.0.url", "must have a value",
			func(d map[string]any) { meta(d)["links"] = []any{map[string]any{"title": "x"}} }},
		{"kind format", "kind", `expected a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total but found "9x"`,
			func(d map[string]any) { d["kind"] = "9x" }},
		{"apiVersion format", "apiVersion", `expected a valid prefix and/or suffix but found "a/b/c"`,
			func(d map[string]any) { d["apiVersion"] = "a/b/c" }},
		{"apiVersion for kind", "apiVersion", `expected one of backstage.io/v1alpha1, backstage.io/v1beta1 for kind Component but found "backstage.io/v2"`,
			func(d map[string]any) { d["apiVersion"] = "backstage.io/v2" }},
		{"foreign root", "status", "Unknown field status",
			func(d map[string]any) { d["status"] = map[string]any{} }},
		{"spec owner missing", "spec.owner", "spec.owner must have a value",
			func(d map[string]any) { delete(spec(d), "owner") }},
		{"spec owner type", "spec.owner", `"spec.owner" is not valid; expected a non empty string but found the number 42`,
			func(d map[string]any) { spec(d)["owner"] = 42.0 }},
		{"spec list item", "spec.providesApis.1", `expected a non empty string but found the number 1`,
			func(d map[string]any) { spec(d)["providesApis"] = []any{"a", 1.0} }},
		{"spec missing", "spec", "spec must have a value",
			func(d map[string]any) { delete(d, "spec") }},
		{"spec not object", "spec", "expected an object but found an array",
			func(d map[string]any) { d["spec"] = []any{} }},
		{"unknown kind", "kind", `Unknown kind "Widget"; expected one of the known kinds: API, Component, Domain, Group, Location, Resource, System, Template`,
			func(d map[string]any) { d["kind"] = "Widget" }},
		{"kind case", "kind", `did you mean "Component"?`,
			func(d map[string]any) { d["kind"] = "component" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, errs := k.Check(component(c.mut))
			if e != nil {
				t.Fatalf("invalid document accepted: %+v", e)
			}
			pe := errorFor(t, errs, c.field)
			if !strings.Contains(pe.Message, c.want) {
				t.Errorf("message = %q\nwant it to contain %q", pe.Message, c.want)
			}
		})
	}
}

func TestCheckCollectsEveryErrorWithEntityRef(t *testing.T) {
	k := mustKinds(t)
	_, errs := k.Check(component(func(d map[string]any) {
		meta(d)["tags"] = []any{"UPPER"}
		meta(d)["labels"] = map[string]any{"a": "-"}
		delete(spec(d), "owner")
	}))
	if len(errs) != 3 {
		t.Fatalf("want 3 errors, got %+v", errs)
	}
	for _, e := range errs {
		if e.Entity != "component:default/petstore" {
			t.Errorf("entity = %q", e.Entity)
		}
	}
	// An unusable name gives no Entity.
	_, errs = k.Check(component(func(d map[string]any) { meta(d)["name"] = "bad name" }))
	if len(errs) == 0 || errs[0].Entity != "" {
		t.Fatalf("%+v", errs)
	}
}

func TestCheckDocumentLines(t *testing.T) {
	k := mustKinds(t)
	docs := mustParse(t, `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ok
spec: {type: service, lifecycle: production, owner: me}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: broken
  namespace: development
  tags:
    - fine
    - Not-Fine
spec:
  type: service
  lifecycle: production
  owner: 7
`)
	if e, errs := k.CheckDocument(&docs[0]); e == nil || len(errs) > 0 {
		t.Fatalf("good doc: %v", errs)
	}
	_, errs := k.CheckDocument(&docs[1])
	if len(errs) != 2 {
		t.Fatalf("%+v", errs)
	}
	tag := errorFor(t, errs, "tags.1")
	owner := errorFor(t, errs, "spec.owner")
	if tag.Line != 14 || owner.Line != 18 || tag.Doc != 1 || tag.Source != src || owner.Entity != "component:development/broken" {
		t.Fatalf("tag %+v owner %+v", tag, owner)
	}
}

func TestCheckBuiltinKinds(t *testing.T) {
	k := mustKinds(t)
	doc := func(kind, apiVersion string, spec map[string]any) map[string]any {
		return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": "x"}, "spec": spec}
	}
	v1 := "backstage.io/v1alpha1"
	good := []map[string]any{
		doc("API", v1, map[string]any{"type": "openapi", "lifecycle": "p", "owner": "o", "definition": "openapi: 3"}),
		doc("API", "backstage.io/v1beta1", map[string]any{"type": "mcp-server", "lifecycle": "p", "owner": "o",
			"remotes": []any{map[string]any{"type": "streamable-http", "url": "http://x"}}}),
		doc("System", v1, map[string]any{"owner": "o", "domain": "d"}),
		doc("Domain", v1, map[string]any{"owner": "o", "subdomainOf": "d"}),
		doc("Resource", v1, map[string]any{"type": "database", "owner": "o", "dependsOn": []any{"component:a"}}),
		doc("User", v1, map[string]any{"memberOf": []any{}, "profile": map[string]any{"email": "a@b"}}),
		doc("Group", v1, map[string]any{"type": "team", "children": []any{}, "parent": "p", "members": []any{"u"}}),
		doc("Location", v1, map[string]any{"targets": []any{"./a.yaml"}, "presence": "optional"}),
		doc("Template", "scaffolder.backstage.io/v1beta3", map[string]any{"type": "service", "owner": "o",
			"steps": []any{map[string]any{"id": "fetch", "action": "fetch:template", "input": map[string]any{"url": "./s"}}}}),
	}
	for _, d := range good {
		if _, errs := k.Check(d); len(errs) > 0 {
			t.Errorf("%s: %+v", d["kind"], errs)
		}
	}
	bad := []struct {
		doc   map[string]any
		field string
	}{
		{doc("API", v1, map[string]any{"type": "openapi", "lifecycle": "p", "owner": "o"}), "spec.definition"},
		{doc("API", v1, map[string]any{"type": "mcp-server", "lifecycle": "p", "owner": "o", "remotes": []any{}}), "spec.remotes"},
		{doc("API", v1, map[string]any{"type": "mcp-server", "lifecycle": "p", "owner": "o", "remotes": []any{map[string]any{"type": "x"}}}), "spec.remotes.0.url"},
		{doc("User", v1, map[string]any{}), "spec.memberOf"},
		{doc("User", v1, map[string]any{"memberOf": []any{}, "profile": map[string]any{"email": ""}}), "spec.profile.email"},
		{doc("Group", v1, map[string]any{"type": "team"}), "spec.children"},
		{doc("Location", v1, map[string]any{"presence": "maybe"}), "spec.presence"},
		{doc("Template", "scaffolder.backstage.io/v1beta3", map[string]any{"type": "service"}), "spec.steps"},
		{doc("Template", "scaffolder.backstage.io/v1beta3", map[string]any{"type": "service", "steps": []any{map[string]any{"id": "x"}}}), "spec.steps.0.action"},
		{doc("Template", v1, map[string]any{"type": "service", "steps": []any{}}), "apiVersion"},
	}
	for _, b := range bad {
		_, errs := k.Check(b.doc)
		pe := errorFor(t, errs, b.field)
		if !strings.Contains(pe.Message, b.field) {
			t.Errorf("%s: message %q does not name the field", b.field, pe.Message)
		}
	}
}

func TestKnownAndBadCustomSchemas(t *testing.T) {
	k := mustKinds(t, aiResourceSchemas(false)...)
	want := []string{"API", "AiResource", "Component", "Domain", "Group", "Location", "Resource", "System", "Template", "User"}
	if got := k.Known(); !slices.Equal(got, want) {
		t.Fatalf("Known = %v", got)
	}
	dir := t.TempDir()
	write := func(name, body string) KindSchema {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return KindSchema{Path: p}
	}
	for _, c := range []struct{ body, want string }{
		{`{`, "not valid JSON"},
		{`{"type": "object"}`, "expected properties.kind"},
		{`{"properties": {"kind": {"const": "Component"}}}`, "built in"},
		{`{"$id": "X", "allOf": [{"$ref": "NoSuchSchema"}], "properties": {"kind": {"const": "Thing"}}}`, "NoSuchSchema"},
	} {
		_, err := NewKinds([]KindSchema{write(fmt.Sprintf("s%d.json", len(c.want)), c.body)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v", c.body, err)
		}
	}
	if _, err := NewKinds([]KindSchema{{Path: filepath.Join(dir, "missing.json")}}); err == nil {
		t.Error("missing file accepted")
	}
}
