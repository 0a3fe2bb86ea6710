package catalog

import (
	"os"
	"strings"
	"testing"
)

func aiResource(mut func(spec map[string]any)) map[string]any {
	s := map[string]any{"type": "skill", "lifecycle": "production", "owner": "team-a", "agents": []any{"claude-code"}}
	if mut != nil {
		mut(s)
	}
	return map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": "AiResource",
		"metadata": map[string]any{"name": "frontend-design"}, "spec": s}
}

func TestCustomKindBaseSchemaOnly(t *testing.T) {
	k := mustKinds(t, aiResourceSchemas(false)...)
	e, errs := k.Check(aiResource(func(s map[string]any) { s["type"] = "anything" }))
	if len(errs) > 0 || e.Kind != "AiResource" || e.Metadata.Namespace != "default" {
		t.Fatalf("%+v %+v", e, errs)
	}
	_, errs = k.Check(aiResource(func(s map[string]any) { delete(s, "owner"); s["lifecycle"] = 3.0 }))
	owner := errorFor(t, errs, "spec.owner")
	life := errorFor(t, errs, "spec.lifecycle")
	if owner.Message != "spec.owner must have a value" || !strings.Contains(life.Message, "found the number 3") ||
		!strings.Contains(life.Message, "string") || owner.Entity != "airesource:default/frontend-design" {
		t.Fatalf("owner %+v\nlifecycle %+v", owner, life)
	}
	// apiVersion is restricted by the schema's enum.
	d := aiResource(nil)
	d["apiVersion"] = "backstage.io/v1beta1"
	_, errs = k.Check(d)
	if pe := errorFor(t, errs, "apiVersion"); !strings.Contains(pe.Message, "for kind AiResource") {
		t.Fatal(pe.Message)
	}
}

func TestCustomKindVariants(t *testing.T) {
	k := mustKinds(t, aiResourceSchemas(true)...)
	if _, errs := k.Check(aiResource(nil)); len(errs) > 0 {
		t.Fatal(errs)
	}
	// The skill variant restricts fields the base schema leaves open.
	_, errs := k.Check(aiResource(func(s map[string]any) { s["agents"] = []any{""}; s["compatibility"] = strings.Repeat("x", 501) }))
	errorFor(t, errs, "spec.agents.0")
	errorFor(t, errs, "spec.compatibility")
	// A type no variant covers passes on the base schema alone.
	if _, errs := k.Check(aiResource(func(s map[string]any) { s["type"] = "other" })); len(errs) > 0 {
		t.Fatal(errs)
	}
}

func TestCustomKindVariantsWithoutBase(t *testing.T) {
	dir := "schemas/kinds/"
	k := mustKinds(t, KindSchema{Path: dir + "AiResource.v1alpha1.skill.schema.json"}, KindSchema{Path: dir + "AiResource.v1alpha1.rule.schema.json"})
	_, errs := k.Check(aiResource(func(s map[string]any) { s["type"] = "other" }))
	if pe := errorFor(t, errs, "spec.type"); !strings.Contains(pe.Message, "expected one of skill, rule for kind AiResource") {
		t.Fatal(pe.Message)
	}
}

func TestSchemaKindErrorMessages(t *testing.T) {
	k := mustKinds(t)
	tmpl := map[string]any{"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template", "metadata": map[string]any{"name": "t", "tags": []any{"Bad"}},
		"spec": map[string]any{"type": 3.0, "steps": []any{map[string]any{"id": "x", "if": 4.0}}}}
	_, errs := k.Check(tmpl)
	for field, want := range map[string]string{
		"spec.type":           `"spec.type" is not valid; expected a value of type string but found the number 3`,
		"spec.steps.0.if":     `"spec.steps.0.if" is not valid; expected a value of type boolean or string but found the number 4`,
		"spec.steps.0.action": "spec.steps.0.action must have a value",
		"tags.0":              `found "Bad"`,
	} {
		if got := errorFor(t, errs, field).Message; !strings.Contains(got, want) {
			t.Errorf("%s: %q", field, got)
		}
	}
	if len(errs) != 4 {
		t.Errorf("want exactly 4 errors (no duplicates from the envelope schema), got %+v", errs)
	}
}

func TestCustomKindConstrainsMetadata(t *testing.T) {
	p := t.TempDir() + "/Widget.schema.json"
	body := `{"$id": "WidgetV1", "allOf": [{"$ref": "Entity"}, {"properties": {
		"kind": {"enum": ["Widget"]},
		"metadata": {"required": ["title"]},
		"spec": {"type": "object", "required": ["size"], "properties": {"size": {"type": "number", "minimum": 1}}}}}]}`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	k := mustKinds(t, KindSchema{Path: p})
	doc := map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w"}, "spec": map[string]any{"size": 0.0}}
	_, errs := k.Check(doc)
	errorFor(t, errs, "metadata.title")
	if pe := errorFor(t, errs, "spec.size"); !strings.Contains(pe.Message, "found the number 0") {
		t.Error(pe.Message)
	}
	doc = map[string]any{"apiVersion": "example.com/v1", "kind": "Widget", "metadata": map[string]any{"name": "w", "title": "W"}, "spec": map[string]any{"size": 2.0}}
	if e, errs := k.Check(doc); e == nil || len(errs) > 0 {
		t.Fatal(errs)
	}
}
