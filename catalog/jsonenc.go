package catalog

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The encoders here write exactly what encoding/json's Marshal writes for
// the catalog's own types and the values YAML and JSON decoding produce
// (map[string]any, []any, strings, numbers, booleans, nil), without
// reflection and with one buffer: body encoding was ~10 % of a large
// ingest's CPU. Byte equality matters: stored hashes and etags are over
// these bytes. Anything else goes through json.Marshal. jsonenc_test.go
// compares both on random input.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as json.Marshal quotes it (HTML-safe).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plainJSON8(s[i:]) {
			i += 8
			continue
		}
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plainJSON8 reports whether the first eight bytes of s need no escaping:
// ASCII, none below 0x20, none of " \ < > &. Eight at a time, the common
// case of a plain string is a few word operations instead of a branch per
// byte.
func plainJSON8(s string) bool {
	w := word8(s)
	return w&swarHigh|hasLess(w, 0x20)|hasByte(w, '"')|hasByte(w, '\\')|hasByte(w, '<')|hasByte(w, '>')|hasByte(w, '&') == 0
}

// appendJSONFloat appends f as json.Marshal does (ES6 number formatting).
func appendJSONFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' { // e-09 → e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendJSONValue appends v as json.Marshal encodes it.
func appendJSONValue(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return appendJSONString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case float64:
		return appendJSONFloat(dst, v)
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '{')
		for i, k := range sortedKeys(v) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(appendJSONString(dst, k), ':')
			var err error
			if dst, err = appendJSONValue(dst, v[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendJSONValue(dst, x); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case map[string]string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendStringMap(dst, v), nil
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendStrings(dst, v), nil
	}
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendStringMap(dst []byte, m map[string]string) []byte {
	dst = append(dst, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(appendJSONString(dst, k), ':'), m[k])
	}
	return append(dst, '}')
}

func appendStrings(dst []byte, ss []string) []byte {
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

// appendField appends ,"key": (or "key": first in an object).
func appendField(dst []byte, first bool, key string) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendMetadata appends m as its MarshalJSON does; false when m has extra
// keys (merged and sorted by MarshalJSON; the caller uses it).
func appendMetadata(dst []byte, m *Metadata) ([]byte, bool) {
	if len(m.Extra) > 0 {
		return dst, false
	}
	dst = append(dst, '{')
	first := true
	str := func(key, v string) {
		if v != "" {
			dst = appendJSONString(appendField(dst, first, key), v)
			first = false
		}
	}
	str("uid", m.UID)
	str("etag", m.Etag)
	dst = appendJSONString(appendField(dst, first, "name"), m.Name)
	first = false
	str("namespace", m.Namespace)
	str("title", m.Title)
	str("description", m.Description)
	if len(m.Labels) > 0 {
		dst = appendStringMap(appendField(dst, false, "labels"), m.Labels)
	}
	if len(m.Annotations) > 0 {
		dst = appendStringMap(appendField(dst, false, "annotations"), m.Annotations)
	}
	if len(m.Tags) > 0 {
		dst = appendStrings(appendField(dst, false, "tags"), m.Tags)
	}
	if len(m.Links) > 0 {
		dst = append(appendField(dst, false, "links"), '[')
		for i, l := range m.Links {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(append(dst, `{"url":`...), l.URL)
			for _, f := range [...]struct{ k, v string }{{"title", l.Title}, {"icon", l.Icon}, {"type", l.Type}} {
				if f.v != "" {
					dst = appendJSONString(appendField(dst, false, f.k), f.v)
				}
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}'), true
}

// appendEntity appends e as json.Marshal(e) does.
func appendEntity(dst []byte, e *Entity) ([]byte, error) {
	start := len(dst)
	dst = appendJSONString(append(dst, `{"apiVersion":`...), e.APIVersion)
	dst = appendJSONString(append(dst, `,"kind":`...), e.Kind)
	dst = append(dst, `,"metadata":`...)
	var ok bool
	if dst, ok = appendMetadata(dst, &e.Metadata); !ok {
		b, err := json.Marshal(e)
		return append(dst[:start], b...), err
	}
	if len(e.Spec) > 0 {
		var err error
		if dst, err = appendJSONValue(append(dst, `,"spec":`...), e.Spec); err != nil {
			return dst, err
		}
	}
	if len(e.Relations) > 0 {
		dst = appendRelations(append(dst, `,"relations":`...), e.Relations)
	}
	if e.Status != nil {
		b, err := json.Marshal(e.Status)
		if err != nil {
			return dst, err
		}
		dst = append(append(dst, `,"status":`...), b...)
	}
	return append(dst, '}'), nil
}

// appendRelations appends rels as json.Marshal does.
func appendRelations(dst []byte, rels []Relation) []byte {
	if rels == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, r := range rels {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"type":`...), r.Type)
		dst = appendJSONString(append(dst, `,"targetRef":`...), r.TargetRef)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendRelationRows appends rows as json.Marshal does.
func appendRelationRows(dst []byte, rows []RelationRow) []byte {
	if rows == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, r := range rows {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(append(dst, `{"source":`...), r.Source)
		dst = appendJSONString(append(dst, `,"type":`...), r.Type)
		dst = appendJSONString(append(dst, `,"target":`...), r.Target)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}
