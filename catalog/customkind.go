package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Backstage's JSON schemas (catalog-model 1.10.1 and scaffolder-common's
// Template.v1beta3), copied verbatim. They reference each other by $id, so
// every one is registered under schemaBase+$id.
//
//go:embed schemas/*.json schemas/kinds/*.json schemas/shared/*.json
var schemaFS embed.FS

const schemaBase = "https://portico.dev/schemas/backstage/"

var printer = message.NewPrinter(language.English)

type schemaCompiler struct {
	c   *jsonschema.Compiler
	ids map[string]string // embedded path → $id
}

// newSchemaCompiler registers every embedded schema except the custom-kind
// ones named in skipIDs (a custom schema file replaces its embedded copy).
func newSchemaCompiler(skipIDs map[string]bool) (*schemaCompiler, error) {
	sc := &schemaCompiler{c: jsonschema.NewCompiler(), ids: map[string]string{}}
	sc.c.DefaultDraft(jsonschema.Draft7)
	for _, dir := range [...]string{"schemas", "schemas/kinds", "schemas/shared"} {
		entries, err := schemaFS.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("catalog: embedded schemas: %w", err)
		}
		for _, ent := range entries {
			if ent.IsDir() {
				continue
			}
			p := dir + "/" + ent.Name()
			b, err := schemaFS.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("catalog: embedded schema %s: %w", p, err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("catalog: embedded schema %s: %w", p, err)
			}
			id := schemaID(doc)
			if id == "" || skipIDs[id] {
				continue
			}
			if err := sc.c.AddResource(schemaBase+id, doc); err != nil {
				return nil, fmt.Errorf("catalog: embedded schema %s: %w", p, err)
			}
			sc.ids[strings.TrimPrefix(p, "schemas/")] = id
		}
	}
	return sc, nil
}

func (sc *schemaCompiler) compileEmbedded(path string) (*jsonschema.Schema, error) {
	id, ok := sc.ids[path]
	if !ok {
		return nil, fmt.Errorf("catalog: no embedded schema %s", path)
	}
	sch, err := sc.c.Compile(schemaBase + id)
	if err != nil {
		return nil, fmt.Errorf("catalog: compiling embedded schema %s: %w", path, err)
	}
	return sch, nil
}

func schemaID(doc any) string {
	m, _ := doc.(map[string]any)
	id, _ := m["$id"].(string)
	return id
}

// schemaKind is a kind validated by JSON Schemas: Template and custom kinds.
type schemaKind struct {
	name        string
	apiVersions []string // empty: any
	schemas     []kindSchema
}

type kindSchema struct {
	path    string
	sch     *jsonschema.Schema
	forType []string // a per-type variant: applies when spec.type is one of these
}

// customFile is one custom schema file, read before compiling.
type customFile struct {
	path        string
	doc         any
	id          string
	kinds       []string
	apiVersions []string
	forType     []string
}

func readCustomFile(path string) (*customFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: custom kind schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("catalog: custom kind schema %s: not valid JSON: %w", path, err)
	}
	cf := &customFile{path: path, doc: doc, id: schemaID(doc)}
	if cf.id == "" {
		cf.id = filepath.Base(path)
	}
	// Backstage's kind schemas put the properties in an allOf member.
	parts := []any{doc}
	if m, ok := doc.(map[string]any); ok {
		if all, ok := m["allOf"].([]any); ok {
			parts = append(parts, all...)
		}
	}
	for _, p := range parts {
		props, _ := jsonPath(p, "properties").(map[string]any)
		cf.kinds = append(cf.kinds, enumStrings(props["kind"])...)
		cf.apiVersions = append(cf.apiVersions, enumStrings(props["apiVersion"])...)
		cf.forType = append(cf.forType, enumStrings(jsonPath(props["spec"], "properties", "type"))...)
	}
	if len(cf.kinds) == 0 {
		return nil, fmt.Errorf("catalog: custom kind schema %s: expected properties.kind with an enum or const of kind names (as Backstage's kind schemas), found none", path)
	}
	for _, k := range cf.kinds {
		if !isValidKind(k) {
			return nil, fmt.Errorf("catalog: custom kind schema %s: kind %q is not valid; expected %s", path, k, expectKind)
		}
	}
	return cf, nil
}

func jsonPath(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// enumStrings reads {"enum": [...]} or {"const": "..."}.
func enumStrings(v any) []string {
	m, _ := v.(map[string]any)
	if s, ok := m["const"].(string); ok {
		return []string{s}
	}
	var out []string
	if arr, ok := m["enum"].([]any); ok {
		for _, x := range arr {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// addCustom compiles one custom schema file and attaches it to its kinds.
func (k *Kinds) addCustom(sc *schemaCompiler, cf *customFile) error {
	url := schemaBase + cf.id
	if err := sc.c.AddResource(url, cf.doc); err != nil {
		return fmt.Errorf("catalog: custom kind schema %s: %w", cf.path, err)
	}
	sch, err := sc.c.Compile(url)
	if err != nil {
		return fmt.Errorf("catalog: custom kind schema %s: %w", cf.path, err)
	}
	for _, name := range cf.kinds {
		if k.builtin[name] != nil || name == "Template" {
			return fmt.Errorf("catalog: custom kind schema %s: kind %s is built in and cannot be redefined", cf.path, name)
		}
		sk := k.schemas[name]
		if sk == nil {
			sk = &schemaKind{name: name}
			k.schemas[name] = sk
		}
		for _, v := range cf.apiVersions {
			if !slices.Contains(sk.apiVersions, v) {
				sk.apiVersions = append(sk.apiVersions, v)
			}
		}
		sk.schemas = append(sk.schemas, kindSchema{path: cf.path, sch: sch, forType: cf.forType})
	}
	return nil
}

func (sk *schemaKind) check(e *errs, apiVersion string, doc, spec map[string]any) {
	checkAPIVersion(e, sk.name, apiVersion, sk.apiVersions)
	if _, ok := doc["spec"]; !ok {
		e.missing("spec", "an object")
		return
	}
	if spec == nil {
		return // reported by the envelope check
	}
	typ, _ := spec["type"].(string)
	applied := 0
	var variants []string
	for _, ks := range sk.schemas {
		if len(ks.forType) > 0 {
			variants = append(variants, ks.forType...)
			if !slices.Contains(ks.forType, typ) {
				continue
			}
		}
		applied++
		schemaErrors(e, ks.sch.Validate(doc), doc)
	}
	if applied == 0 {
		e.add("spec.type", fmt.Sprintf("%q is not valid; expected one of %s for kind %s but found %s",
			"spec.type", strings.Join(variants, ", "), sk.name, describeFound(spec["type"])))
	}
}

// schemaErrors turns a jsonschema validation error into field errors. What
// the shared Entity/EntityMeta/common schemas say is checked by the policies
// already, and so are apiVersion, kind and a missing spec (by the caller):
// those errors are dropped, everything else the kind's schema says is kept.
func schemaErrors(e *errs, err error, doc map[string]any) {
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		e.add("", "schema validation failed: "+err.Error())
		return
	}
	seen := map[string]bool{}
	var walk func(v *jsonschema.ValidationError)
	walk = func(v *jsonschema.ValidationError) {
		if len(v.Causes) > 0 {
			for _, c := range v.Causes {
				walk(c)
			}
			return
		}
		loc := v.InstanceLocation
		if fromEnvelopeSchema(v.SchemaURL) || len(loc) == 0 || loc[0] == "apiVersion" || loc[0] == "kind" {
			return
		}
		field := strings.Join(loc, ".")
		var msg string
		if req, ok := v.ErrorKind.(*kind.Required); ok {
			for _, m := range req.Missing {
				f := field + "." + m
				msg = f + " must have a value"
				if !seen[msg] {
					seen[msg] = true
					e.add(f, msg)
				}
			}
			return
		}
		if ap, ok := v.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, p := range ap.Properties {
				f := field + "." + p
				msg = fmt.Sprintf("%q is not allowed; expected none of the fields the schema does not list but found %s",
					f, describeFound(valueAt(doc, append(slices.Clone(loc), p))))
				if !seen[msg] {
					seen[msg] = true
					e.add(f, msg)
				}
			}
			return
		}
		msg = fmt.Sprintf("%q is not valid; expected %s but found %s", field,
			schemaExpectation(v.ErrorKind), describeFound(valueAt(doc, loc)))
		if !seen[msg] {
			seen[msg] = true
			e.add(field, msg)
		}
	}
	walk(ve)
}

func valueAt(v any, loc []string) any {
	for _, seg := range loc {
		switch x := v.(type) {
		case map[string]any:
			v = x[seg]
		case []any:
			var i int
			if _, err := fmt.Sscanf(seg, "%d", &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// schemaExpectation words a JSON Schema failure as what was expected.
func schemaExpectation(k jsonschema.ErrorKind) string {
	switch x := k.(type) {
	case *kind.Type:
		return "a value of type " + strings.Join(x.Want, " or ")
	case *kind.Enum:
		return "one of " + joinJSON(x.Want)
	case *kind.Const:
		return "the value " + joinJSON([]any{x.Want})
	case *kind.MinLength:
		return fmt.Sprintf("a string of at least %d characters", x.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("a string of at most %d characters", x.Want)
	case *kind.MinItems:
		return fmt.Sprintf("an array of at least %d items", x.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("an array of at most %d items", x.Want)
	case *kind.Pattern:
		return "a string matching " + x.Want
	case *kind.FalseSchema:
		return "no value here"
	}
	return "a value satisfying " + k.LocalizedString(printer)
}

func joinJSON(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		if s, ok := v.(string); ok {
			parts[i] = strconv.Quote(s)
		} else {
			parts[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, ", ")
}

func fromEnvelopeSchema(url string) bool {
	for _, id := range [...]string{"Entity#", "EntityMeta#", "common#", "EntityEnvelope#"} {
		if strings.HasPrefix(url, schemaBase+id) {
			return true
		}
	}
	return false
}
