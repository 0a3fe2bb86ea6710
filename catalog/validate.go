package catalog

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// This file holds Backstage's entity policies (REFERENCE.md §1.2): the
// envelope schema, default namespace, no foreign root fields and field
// formats. They are hand-written rather than run through the JSON Schema
// library: the same rules, an order of magnitude cheaper (see
// validate_bench_test.go), and cross-checked against the embedded schemas in
// validate_test.go.

const adrHint = "To learn more about catalog file format, visit: https://github.com/backstage/backstage/blob/master/docs/architecture-decisions/adr002-default-catalog-file-format.md"

// Expectations as FieldFormatEntityPolicy words them.
const (
	expectObjectName = "a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total"
	expectPrefixed   = "a valid prefix and/or suffix"
	expectDNSLabel   = "a string that is sequences of [a-z0-9] separated by [-], at most 63 characters in total"
	expectTag        = "a string that is sequences of [a-z0-9:+#] separated by [-], at most 63 characters in total"
	expectKind       = "a string that is a sequence of [a-zA-Z][a-z0-9A-Z], at most 63 characters in total"
	expectURL        = "a string that is a valid url"
	expectNonEmpty   = "a non empty string"
)

// errs collects the errors of one Check.
type errs []ProcessingError

func (e *errs) add(field, msg string) {
	*e = append(*e, ProcessingError{Doc: -1, Field: field, Name: "InputError", Message: msg})
}

// format adds FieldFormatEntityPolicy's exact message.
func (e *errs) format(field, expectation, value string) {
	e.add(field, fmt.Sprintf("%q is not valid; expected %s but found %q. %s", field, expectation, value, adrHint))
}

// envelope adds a SchemaValidEntityPolicy-style message with what was found.
func (e *errs) envelope(field, expected string, found any) {
	e.add(field, fmt.Sprintf("Malformed envelope, /%s: expected %s but found %s",
		strings.ReplaceAll(field, ".", "/"), expected, describeFound(found)))
}

func (e *errs) missing(field, expected string) {
	e.add(field, fmt.Sprintf("%s must have a value; expected %s", field, expected))
}

// describeFound renders a decoded value for "… but found X" messages.
func describeFound(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 120 {
			x = x[:117] + "..."
		}
		return strconv.Quote(x)
	case float64:
		return "the number " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "the boolean " + strconv.FormatBool(x)
	case []any:
		return fmt.Sprintf("an array of %d items", len(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// nonEmptyString checks an optional string field with minLength 1.
func (e *errs) optString(m map[string]any, key, field string) (string, bool) {
	v, ok := m[key]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr || s == "" {
		e.envelope(field, expectNonEmpty, v)
		return "", false
	}
	return s, true
}

// checkEnvelope applies Entity.schema.json and NoForeignRootFieldsEntityPolicy.
// It returns the metadata object when it is usable.
func (e *errs) checkEnvelope(doc map[string]any) map[string]any {
	var foreign []string
	for k := range doc {
		switch k {
		case "apiVersion", "kind", "metadata", "spec":
		default:
			foreign = append(foreign, k)
		}
	}
	sort.Strings(foreign)
	for _, k := range foreign {
		e.add(k, fmt.Sprintf("Unknown field %s; expected only apiVersion, kind, metadata and spec at the root of an entity", k))
	}
	for _, k := range [...]string{"apiVersion", "kind"} {
		v, ok := doc[k]
		if !ok {
			e.missing(k, expectNonEmpty)
			continue
		}
		if s, isStr := v.(string); !isStr || s == "" {
			e.envelope(k, expectNonEmpty, v)
		}
	}
	if v, ok := doc["spec"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			e.envelope("spec", "an object", v)
		}
	}
	mv, ok := doc["metadata"]
	if !ok {
		e.missing("metadata", "an object")
		return nil
	}
	meta, isObj := mv.(map[string]any)
	if !isObj {
		e.envelope("metadata", "an object", mv)
		return nil
	}
	if _, ok := meta["name"]; !ok {
		e.missing("metadata.name", expectNonEmpty)
	}
	for _, k := range [...]string{"name", "namespace", "uid", "etag", "title"} {
		e.optString(meta, k, "metadata."+k)
	}
	if v, ok := meta["description"]; ok {
		if _, isStr := v.(string); !isStr {
			e.envelope("metadata.description", "a string", v)
		}
	}
	for _, k := range [...]string{"labels", "annotations"} {
		v, ok := meta[k]
		if !ok {
			continue
		}
		m, isObj := v.(map[string]any)
		if !isObj {
			e.envelope("metadata."+k, "an object of strings", v)
			continue
		}
		for mk, mv := range m {
			if _, isStr := mv.(string); !isStr {
				e.envelope("metadata."+k+"."+mk, "a string", mv)
			}
		}
	}
	if v, ok := meta["tags"]; ok {
		arr, isArr := v.([]any)
		if !isArr {
			e.envelope("metadata.tags", "an array of strings", v)
		}
		for i, t := range arr {
			if s, isStr := t.(string); !isStr || s == "" {
				e.envelope("metadata.tags."+strconv.Itoa(i), expectNonEmpty, t)
			}
		}
	}
	if v, ok := meta["links"]; ok {
		arr, isArr := v.([]any)
		if !isArr {
			e.envelope("metadata.links", "an array of objects", v)
		}
		for i, l := range arr {
			f := "metadata.links." + strconv.Itoa(i)
			lm, isObj := l.(map[string]any)
			if !isObj {
				e.envelope(f, "an object with a url", l)
				continue
			}
			if _, ok := lm["url"]; !ok {
				e.missing(f+".url", expectNonEmpty)
			}
			for _, k := range [...]string{"url", "title", "icon", "type"} {
				e.optString(lm, k, f+"."+k)
			}
		}
	}
	return meta
}

// checkFormats applies FieldFormatEntityPolicy to fields of the right type
// (wrong types were reported by checkEnvelope already).
func (e *errs) checkFormats(doc, meta map[string]any) {
	if s, ok := doc["apiVersion"].(string); ok && s != "" && !isValidPrefixed(s, isValidAPIVersionSuffix) {
		e.format("apiVersion", expectPrefixed, s)
	}
	if s, ok := doc["kind"].(string); ok && s != "" && !isValidKind(s) {
		e.format("kind", expectKind, s)
	}
	if meta == nil {
		return
	}
	if s, ok := meta["name"].(string); ok && s != "" && !isValidObjectName(s) {
		e.format("metadata.name", expectObjectName, s)
	}
	if s, ok := meta["namespace"].(string); ok && s != "" && !isValidDNSLabel(s) {
		e.format("metadata.namespace", expectDNSLabel, s)
	}
	if m, ok := meta["labels"].(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			if !isValidPrefixed(k, isValidObjectName) {
				e.format("labels."+k, expectPrefixed, k)
			}
			if v, ok := m[k].(string); ok && v != "" && !isValidObjectName(v) {
				e.format("labels."+k, expectObjectName, v)
			}
		}
	}
	if m, ok := meta["annotations"].(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			if !isValidPrefixed(k, isValidObjectName) {
				e.format("annotations."+k, expectPrefixed, k)
			}
		}
	}
	if arr, ok := meta["tags"].([]any); ok {
		for i, t := range arr {
			if s, ok := t.(string); ok && s != "" && !isValidTag(s) {
				e.format("tags."+strconv.Itoa(i), expectTag, s)
			}
		}
	}
	if arr, ok := meta["links"].([]any); ok {
		for i, l := range arr {
			lm, _ := l.(map[string]any)
			if s, ok := lm["url"].(string); ok && s != "" && !isValidURL(s) {
				e.format("links."+strconv.Itoa(i)+".url", expectURL, s)
			}
			for _, k := range [...]string{"title", "icon"} {
				if s, ok := lm[k].(string); ok && strings.TrimSpace(s) == "" {
					e.format("links."+strconv.Itoa(i)+"."+k, expectNonEmpty, s)
				}
			}
		}
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// isValidObjectName: ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$, 1–63 chars.
func isValidObjectName(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// isValidDNSLabel: ^[a-z0-9]+(?:\-+[a-z0-9]+)*$, 1–63 chars.
func isValidDNSLabel(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isLowerAlnum(s[0]) || !isLowerAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

// isValidDNSSubdomain: 1–253 chars, every '.'-part a DNS label.
func isValidDNSSubdomain(s string) bool {
	if len(s) < 1 || len(s) > 253 {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if !isValidDNSLabel(part) {
			return false
		}
	}
	return true
}

// isValidPrefixed is isValidPrefixAndOrSuffix with '/' and a DNS-subdomain prefix.
func isValidPrefixed(s string, suffix func(string) bool) bool {
	prefix, rest, found := strings.Cut(s, "/")
	if !found {
		return suffix(s)
	}
	if strings.IndexByte(rest, '/') >= 0 {
		return false
	}
	return isValidDNSSubdomain(prefix) && suffix(rest)
}

func isValidAPIVersionSuffix(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// isValidKind: ^[a-zA-Z][a-z0-9A-Z]*$, 1–63 chars.
func isValidKind(s string) bool {
	if len(s) < 1 || len(s) > 63 {
		return false
	}
	if c := s[0]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	return isValidAPIVersionSuffix(s)
}

func isTagChar(c byte) bool { return isLowerAlnum(c) || c == ':' || c == '+' || c == '#' }

// isValidTag: ^[a-z0-9:+#]+(\-[a-z0-9:+#]+)*$, 1–63 chars.
func isValidTag(s string) bool {
	if len(s) < 1 || len(s) > 63 || !isTagChar(s[0]) || !isTagChar(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c == '-' {
			if s[i-1] == '-' {
				return false
			}
			continue
		}
		if !isTagChar(c) {
			return false
		}
	}
	return true
}

// isValidURL approximates WHATWG `new URL()`: an absolute URL with a scheme.
func isValidURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "")
}
