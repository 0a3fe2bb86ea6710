package catalog

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestBuiltinRulesMatchSchemas checks the hand-written kind rules against
// Backstage's own JSON schemas (embedded): for every built-in kind and every
// spec field, a range of values must be accepted or refused by both alike.
func TestBuiltinRulesMatchSchemas(t *testing.T) {
	k := mustKinds(t)
	sc, err := newSchemaCompiler(nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Component": "kinds/Component.v1alpha1.schema.json", "API": "kinds/API.v1alpha1.schema.json",
		"System": "kinds/System.v1alpha1.schema.json", "Domain": "kinds/Domain.v1alpha1.schema.json",
		"Resource": "kinds/Resource.v1alpha1.schema.json", "User": "kinds/User.v1alpha1.schema.json",
		"Group": "kinds/Group.v1alpha1.schema.json", "Location": "kinds/Location.v1alpha1.schema.json",
		"mcp": "kinds/API.v1alpha1.mcp-server.schema.json",
	}
	bases := map[string]map[string]any{
		"Component": {"type": "service", "lifecycle": "production", "owner": "o"},
		"API":       {"type": "openapi", "lifecycle": "production", "owner": "o", "definition": "d"},
		"mcp":       {"type": "mcp-server", "lifecycle": "production", "owner": "o", "remotes": []any{map[string]any{"type": "t", "url": "u"}}},
		"System":    {"owner": "o"}, "Domain": {"owner": "o"}, "Resource": {"type": "db", "owner": "o"},
		"User": {"memberOf": []any{}}, "Group": {"type": "team", "children": []any{}}, "Location": {},
	}
	values := []any{nil, "", "x", "required", 3.0, true, []any{}, []any{"a"}, []any{""}, []any{1.0},
		map[string]any{}, map[string]any{"email": ""}, map[string]any{"email": "e"},
		[]any{map[string]any{"type": "t", "url": "u"}}, []any{map[string]any{"type": "t"}}, "mcp-server"}
	const absent = "<absent>"
	compared := 0
	for name, file := range files {
		sch, err := sc.compileEmbedded(file)
		if err != nil {
			t.Fatal(err)
		}
		kind := name
		if name == "mcp" {
			kind = "API"
		}
		var fields []string
		bk := k.builtin[kind]
		rules := bk.spec
		if name == "mcp" {
			rules = bk.variant
		}
		for _, r := range rules {
			fields = append(fields, r.key)
		}
		for _, f := range fields {
			for _, v := range append(values, absent) {
				spec := deepCopyJSON(bases[name]).(map[string]any)
				if v == absent {
					delete(spec, f)
				} else {
					spec[f] = deepCopyJSON(v)
				}
				if f == "type" && kind == "API" && (v == "mcp-server") != (name == "mcp") {
					continue // the other variant's schema applies
				}
				doc := map[string]any{"apiVersion": "backstage.io/v1alpha1", "kind": kind,
					"metadata": map[string]any{"name": "n", "namespace": "default"}, "spec": spec}
				schemaOK := sch.Validate(deepCopyJSON(doc)) == nil
				_, errs := k.Check(doc)
				if ours := len(errs) == 0; ours != schemaOK {
					t.Errorf("%s spec.%s = %s: ours valid=%v, schema valid=%v (%v)", name, f, show(v), ours, schemaOK, errs)
				}
				compared++
			}
		}
	}
	if compared < 300 {
		t.Fatalf("only %d comparisons", compared)
	}
}

func deepCopyJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprint(string(b))
}
