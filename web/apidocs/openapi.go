package apidocs

import (
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func decode(def string) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(def), &m); err != nil {
		return nil, fmt.Errorf("decode definition: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode definition: empty document")
	}
	return m, nil
}

// OpenAPI renders an OpenAPI 3.x or Swagger 2.0 document (YAML or JSON).
func OpenAPI(def string) (*Doc, error) {
	m, err := decode(def)
	if err != nil {
		return nil, err
	}
	d := &Doc{}
	v2 := false
	switch {
	case str(m, "openapi") != "":
		d.Format = "OpenAPI " + str(m, "openapi")
	case fmt.Sprint(m["swagger"]) == "2.0":
		d.Format, v2 = "OpenAPI 2.0 (Swagger)", true
	default:
		return nil, fmt.Errorf("not an OpenAPI document: neither openapi nor swagger: \"2.0\" is set")
	}
	info := obj(m, "info")
	d.Title, d.Version, d.Description = str(info, "title"), fmt.Sprint(orEmpty(info["version"])), str(info, "description")
	var ops []Item
	paths := obj(m, "paths")
	for _, p := range sortedKeys(paths) {
		pi := obj(paths, p)
		shared := params(pi["parameters"], v2)
		for _, method := range httpMethods {
			op := obj(pi, method)
			if op == nil {
				continue
			}
			it := Item{ID: anchor("op", method, p), Method: strings.ToUpper(method), Name: p, Summary: firstOf(str(op, "summary"), str(op, "description"), str(op, "operationId"))}
			it.Params = append(append([]Field{}, shared...), params(op["parameters"], v2)...)
			if rb := obj(op, "requestBody"); rb != nil {
				it.Request = contentType(rb)
			}
			it.Response = responses(obj(op, "responses"))
			ops = append(ops, it)
		}
	}
	d.Sections = append(d.Sections, Section{Title: "Operations", Items: ops})
	schemas := obj(obj(m, "components"), "schemas")
	if v2 {
		schemas = obj(m, "definitions")
	}
	var items []Item
	for _, name := range sortedKeys(schemas) {
		s := obj(schemas, name)
		items = append(items, Item{ID: anchor("schema", name), Method: "schema", Name: name, Summary: str(s, "description"), Fields: properties(s)})
	}
	if len(items) > 0 {
		d.Sections = append(d.Sections, Section{Title: "Schemas", Items: items})
	}
	return d, nil
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func params(v any, v2 bool) []Field {
	list, _ := v.([]any)
	var out []Field
	for _, x := range list {
		p, _ := x.(map[string]any)
		if p == nil {
			continue
		}
		if ref := str(p, "$ref"); ref != "" {
			out = append(out, Field{Name: refName(ref), Type: "$ref"})
			continue
		}
		f := Field{Name: str(p, "name"), In: str(p, "in"), Description: str(p, "description")}
		f.Required, _ = p["required"].(bool)
		if v2 && f.In != "body" {
			f.Type = typeOf(p)
		} else {
			f.Type = typeOf(obj(p, "schema"))
		}
		out = append(out, f)
	}
	return out
}

// typeOf describes a schema's type briefly: "string", "array of Pet", "Pet".
func typeOf(s map[string]any) string {
	if s == nil {
		return ""
	}
	if ref := str(s, "$ref"); ref != "" {
		return refName(ref)
	}
	t := str(s, "type")
	if t == "array" {
		return "array of " + firstOf(typeOf(obj(s, "items")), "any")
	}
	if f := str(s, "format"); f != "" {
		return t + " (" + f + ")"
	}
	if t == "" {
		for _, k := range []string{"oneOf", "anyOf", "allOf"} {
			if l, ok := s[k].([]any); ok {
				var names []string
				for _, x := range l {
					xm, _ := x.(map[string]any)
					names = append(names, typeOf(xm))
				}
				return k + "(" + strings.Join(names, ", ") + ")"
			}
		}
	}
	return t
}

func refName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

func properties(s map[string]any) []Field {
	req := map[string]bool{}
	if l, ok := s["required"].([]any); ok {
		for _, x := range l {
			req[fmt.Sprint(x)] = true
		}
	}
	props := obj(s, "properties")
	var out []Field
	for _, name := range sortedKeys(props) {
		p := obj(props, name)
		out = append(out, Field{Name: name, Type: typeOf(p), Required: req[name], Description: str(p, "description")})
	}
	return out
}

func contentType(rb map[string]any) string {
	content := obj(rb, "content")
	var parts []string
	for _, ct := range sortedKeys(content) {
		t := typeOf(obj(obj(content, ct), "schema"))
		parts = append(parts, strings.TrimSpace(ct+" "+t))
	}
	return strings.Join(parts, "; ")
}

func responses(r map[string]any) string {
	codes := sortedKeys(r)
	sort.Strings(codes)
	var parts []string
	for _, code := range codes {
		resp := obj(r, code)
		desc := str(resp, "description")
		if t := typeOf(obj(resp, "schema")); t != "" {
			desc += " (" + t + ")"
		} else if c := contentType(resp); c != "" {
			desc += " (" + c + ")"
		}
		parts = append(parts, strings.TrimSpace(code+" "+desc))
	}
	return strings.Join(parts, "; ")
}
