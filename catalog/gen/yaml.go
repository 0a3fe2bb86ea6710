package gen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// AppendYAML appends e as one YAML document (without the "---" separator) to b.
//
// It is a small, fast emitter for descriptor files, not a general YAML
// library: it writes apiVersion, kind, metadata and spec with a fixed key order
// (so output is byte-stable), strings plain when that is unambiguous and
// double-quoted otherwise, and multi-line strings as literal blocks. Spec values
// may be strings, numbers, bools, []string, []any and map[string]any/string.
// relations and status are catalog output, never descriptor input, and are not
// written.
func AppendYAML(b []byte, e *catalog.Entity) []byte {
	b = appendKV(b, 0, "apiVersion", e.APIVersion)
	b = appendKV(b, 0, "kind", e.Kind)
	b = append(b, "metadata:\n"...)
	m := &e.Metadata
	b = appendKV(b, 2, "name", m.Name)
	if m.Namespace != "" {
		b = appendKV(b, 2, "namespace", m.Namespace)
	}
	if m.Title != "" {
		b = appendKV(b, 2, "title", m.Title)
	}
	if m.Description != "" {
		b = appendKV(b, 2, "description", m.Description)
	}
	if len(m.Labels) > 0 {
		b = appendValue(b, 2, "labels", m.Labels)
	}
	if len(m.Annotations) > 0 {
		b = appendValue(b, 2, "annotations", m.Annotations)
	}
	if len(m.Tags) > 0 {
		b = appendValue(b, 2, "tags", m.Tags)
	}
	if len(m.Links) > 0 {
		b = append(b, "  links:\n"...)
		for _, l := range m.Links {
			first := appendKV(nil, 6, "url", l.URL)
			b = append(b, "    - "...)
			b = append(b, first[6:]...)
			for _, kv := range [][2]string{{"title", l.Title}, {"icon", l.Icon}, {"type", l.Type}} {
				if kv[1] != "" {
					b = appendKV(b, 6, kv[0], kv[1])
				}
			}
		}
	}
	for _, k := range sortedKeys(m.Extra) {
		b = appendValue(b, 2, k, m.Extra[k])
	}
	if e.Spec != nil {
		b = appendValue(b, 0, "spec", e.Spec)
	}
	return b
}

// specOrder is the order spec keys are written in; others follow sorted.
var specOrder = map[string]int{
	"type": 1, "lifecycle": 2, "owner": 3, "system": 4, "domain": 5, "subdomainOf": 6,
	"subcomponentOf": 7, "parent": 8, "children": 9, "profile": 10, "memberOf": 11,
	"providesApis": 12, "consumesApis": 13, "dependsOn": 14, "target": 15, "targets": 16,
	"definition": 99,
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		oi, oj := specOrder[keys[i]], specOrder[keys[j]]
		if oi == 0 {
			oi = 50
		}
		if oj == 0 {
			oj = 50
		}
		if oi != oj {
			return oi < oj
		}
		return keys[i] < keys[j]
	})
	return keys
}

func indent(b []byte, n int) []byte {
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}

func appendKV(b []byte, ind int, key, value string) []byte {
	b = indent(b, ind)
	b = appendScalar(b, key)
	b = append(b, ':')
	if block, ok := blockIndicator(value); ok {
		b = append(b, ' ')
		b = append(b, block...)
		b = append(b, '\n')
		for _, line := range strings.SplitAfter(strings.TrimSuffix(value, "\n"), "\n") {
			if line != "\n" && line != "" {
				b = indent(b, ind+2)
			}
			b = append(b, line...)
		}
		return append(b, '\n')
	}
	b = append(b, ' ')
	b = appendScalar(b, value)
	return append(b, '\n')
}

// blockIndicator says whether s is written as a literal block, and with which
// header: "|" for one trailing newline, "|-" for none.
func blockIndicator(s string) (string, bool) {
	if !strings.Contains(s, "\n") || strings.ContainsAny(s, "\r") || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' {
		return "", false
	}
	if strings.HasSuffix(s, "\n\n") {
		return "", false
	}
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
			return "", false
		}
	}
	if strings.HasSuffix(s, "\n") {
		return "|", true
	}
	return "|-", true
}

func appendValue(b []byte, ind int, key string, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendKV(b, ind, key, v)
	case []string:
		b = indent(b, ind)
		b = appendScalar(b, key)
		if len(v) == 0 {
			return append(b, ": []\n"...)
		}
		b = append(b, ":\n"...)
		for _, s := range v {
			b = indent(b, ind+2)
			b = append(b, "- "...)
			b = appendScalar(b, s)
			b = append(b, '\n')
		}
		return b
	case []any:
		b = indent(b, ind)
		b = appendScalar(b, key)
		if len(v) == 0 {
			return append(b, ": []\n"...)
		}
		b = append(b, ":\n"...)
		for _, x := range v {
			b = appendItem(b, ind+2, x)
		}
		return b
	case map[string]string:
		b = indent(b, ind)
		b = appendScalar(b, key)
		if len(v) == 0 {
			return append(b, ": {}\n"...)
		}
		b = append(b, ":\n"...)
		for _, k := range sortedKeys(v) {
			b = appendKV(b, ind+2, k, v[k])
		}
		return b
	case map[string]any:
		b = indent(b, ind)
		b = appendScalar(b, key)
		if len(v) == 0 {
			return append(b, ": {}\n"...)
		}
		b = append(b, ":\n"...)
		for _, k := range sortedKeys(v) {
			b = appendValue(b, ind+2, k, v[k])
		}
		return b
	default:
		b = indent(b, ind)
		b = appendScalar(b, key)
		b = append(b, ": "...)
		b = append(b, literal(v)...)
		return append(b, '\n')
	}
}

// appendItem writes one sequence item; a map item starts on the dash line.
func appendItem(b []byte, ind int, x any) []byte {
	switch x := x.(type) {
	case string:
		b = indent(b, ind)
		b = append(b, "- "...)
		b = appendScalar(b, x)
		return append(b, '\n')
	case map[string]any:
		if len(x) == 0 {
			b = indent(b, ind)
			return append(b, "- {}\n"...)
		}
		for i, k := range sortedKeys(x) {
			if i == 0 {
				// Written at the item's indentation, then the first two
				// spaces become the dash, so nested lines stay aligned.
				first := appendValue(nil, ind+2, k, x[k])
				b = indent(b, ind)
				b = append(b, "- "...)
				b = append(b, first[ind+2:]...)
				continue
			}
			b = appendValue(b, ind+2, k, x[k])
		}
		return b
	default:
		b = indent(b, ind)
		b = append(b, "- "...)
		b = append(b, literal(x)...)
		return append(b, '\n')
	}
}

func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return string(appendScalar(nil, v))
	default:
		return strconv.Quote(fmt.Sprint(v))
	}
}

// appendScalar writes s plain when no YAML reader could take it for anything
// but that string, and double-quoted otherwise.
func appendScalar(b []byte, s string) []byte {
	if plainSafe(s) {
		return append(b, s...)
	}
	return strconv.AppendQuote(b, s)
}

func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	// A letter first rules out numbers, indicators and .inf/.nan; relative
	// paths are the one exception worth keeping readable.
	path := strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") || strings.HasPrefix(s, "/")
	if c := s[0]; !path && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return false
	}
	if s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte(" ._/@,()'+-=<>*?&%!~", c) >= 0:
		case c == ':':
			if s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
	}
	return true
}
