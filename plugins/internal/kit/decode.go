package kit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode reads a JSON document into v (a non-nil pointer), as
// encoding/json.Unmarshal does for the types vendor answers are read into:
// structs (json tags, names matched exactly then case-insensitively,
// unexported and "-" fields ignored), pointers, slices, arrays of bytes
// excluded, maps with string keys, strings, bools, numbers and any.
// Unknown keys are skipped without being decoded; null leaves the target as
// it is (nil for pointers, maps and slices).
//
// Why: in a wasip1 build encoding/json runs its scanner through a function
// value per input byte, which the Go wasm backend makes very slow (a 40 KB
// Grafana rules answer took ~20 ms to decode, most of a card's time). This
// decoder is one recursive descent with the byte loops inline; reflection
// is only touched per value kept. See RATIONALE.md "Portal: card speed".
func Decode(data []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("kit.Decode: target must be a non-nil pointer")
	}
	d := decoder{b: data}
	d.ws()
	if err := d.value(rv.Elem()); err != nil {
		return err
	}
	d.ws()
	if d.i != len(d.b) {
		return d.fail("data after the JSON value")
	}
	return nil
}

// Raw keeps a value's JSON text undecoded (like json.RawMessage), for a
// plugin that needs only some of many values: it costs one skip over the
// bytes, and the plugin decodes the values it keeps with Decode.
type Raw []byte

var rawType = reflect.TypeOf(Raw(nil))

type decoder struct {
	b []byte
	i int
}

func (d *decoder) fail(what string) error {
	return fmt.Errorf("invalid JSON at offset %d: %s", d.i, what)
}

func (d *decoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i into v (which may be invalid: skip it).
func (d *decoder) value(v reflect.Value) error {
	if d.i >= len(d.b) {
		return d.fail("unexpected end")
	}
	c := d.b[d.i]
	if c == 'n' {
		return d.literal("null")
	}
	if v.IsValid() {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			return d.value(v.Elem())
		case reflect.Interface:
			if v.NumMethod() == 0 {
				x, err := d.anyValue()
				if err == nil && x != nil {
					v.Set(reflect.ValueOf(x))
				}
				return err
			}
			v = reflect.Value{}
		}
	}
	if !v.IsValid() {
		return d.skip()
	}
	if v.Type() == rawType {
		start := d.i
		if err := d.skip(); err != nil {
			return err
		}
		v.SetBytes(append([]byte(nil), d.b[start:d.i]...))
		return nil
	}
	switch c {
	case '{':
		return d.object(v)
	case '[':
		return d.array(v)
	case '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		if v.Kind() != reflect.String {
			return d.fail("a string for a " + v.Type().String())
		}
		v.SetString(s)
		return nil
	case 't', 'f':
		if err := d.literal(boolWord(c)); err != nil {
			return err
		}
		if v.Kind() != reflect.Bool {
			return d.fail("a boolean for a " + v.Type().String())
		}
		v.SetBool(c == 't')
		return nil
	}
	return d.number(v)
}

// boolWord is the literal a JSON boolean starting with c ('t' or 'f') must be.
func boolWord(c byte) string {
	if c == 't' {
		return "true"
	}
	return "false"
}

func (d *decoder) literal(word string) error {
	if !strings.HasPrefix(string(d.b[d.i:min(len(d.b), d.i+len(word))]), word) {
		return d.fail("unknown literal")
	}
	d.i += len(word)
	return nil
}

func (d *decoder) number(v reflect.Value) error {
	start := d.i
	for d.i < len(d.b) {
		c := d.b[d.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.i++
			continue
		}
		break
	}
	if start == d.i {
		return d.fail("unexpected character")
	}
	num := string(d.b[start:d.i])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return d.fail("bad number " + num)
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v.OverflowInt(n) {
			return d.fail("number " + num + " does not fit a " + v.Type().String())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil || v.OverflowUint(n) {
			return d.fail("number " + num + " does not fit a " + v.Type().String())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(f)
	default:
		return d.fail("a number for a " + v.Type().String())
	}
	return nil
}

// SWAR constants: a byte of 0x01 and of 0x80 in every lane.
const (
	lanes01 = 0x0101010101010101
	lanes80 = 0x8080808080808080
)

// special reports whether any of the 8 bytes in x is '"', '\\' or below
// 0x20 (may over-report for bytes >= 0x80, never under-report).
func special(x uint64) bool {
	quote := x ^ (lanes01 * '"')
	slash := x ^ (lanes01 * '\\')
	return ((quote-lanes01)&^quote|(slash-lanes01)&^slash|(x-lanes01*0x20)&^x)&lanes80 != 0
}

// str reads a string literal starting at the quote. Plain runs are skipped
// eight bytes per iteration: under wazero's WithCloseOnContextDone every
// loop iteration of plugin code exits to the host to check for a deadline,
// so iterations, not bytes, are the cost.
func (d *decoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	for d.i < len(d.b) {
		for d.i+8 <= len(d.b) && !special(binary.LittleEndian.Uint64(d.b[d.i:])) {
			d.i += 8
		}
		if d.i >= len(d.b) {
			break
		}
		c := d.b[d.i]
		if c == '"' {
			s := string(d.b[start:d.i])
			d.i++
			return s, nil
		}
		if c == '\\' {
			return d.escaped(start)
		}
		if c < 0x20 {
			return "", d.fail("control character in string")
		}
		d.i++
	}
	return "", d.fail("unterminated string")
}

// escaped finishes a string that has escapes, from its start.
func (d *decoder) escaped(start int) (string, error) {
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), nil
		case c < 0x20:
			return "", d.fail("control character in string")
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			break
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.fail("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					save := d.i
					d.i += 2
					if x, ok := d.hex4(); ok {
						r2 = x
					} else {
						d.i = save
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", d.fail("bad escape")
		}
	}
	return "", d.fail("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// key reads an object key: the raw bytes when it has no escapes (no copy),
// else the decoded string's bytes.
func (d *decoder) key() ([]byte, error) {
	start := d.i + 1
	end, err := d.skipString()
	if err != nil {
		return nil, err
	}
	raw := d.b[start : end-1]
	for _, c := range raw {
		if c == '\\' {
			d.i = start - 1
			s, err := d.str()
			return []byte(s), err
		}
	}
	return raw, nil
}

// skipString moves past the string at d.i and returns the offset after it.
func (d *decoder) skipString() (int, error) {
	d.i++ // opening quote
	for d.i < len(d.b) {
		for d.i+8 <= len(d.b) && !special(binary.LittleEndian.Uint64(d.b[d.i:])) {
			d.i += 8
		}
		if d.i >= len(d.b) {
			break
		}
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.i, nil
		case c == '\\':
			if d.i+1 >= len(d.b) || !strings.ContainsRune(`"\\/bfnrtu`, rune(d.b[d.i+1])) {
				return 0, d.fail("bad escape")
			}
			d.i += 2
		case c < 0x20:
			return 0, d.fail("control character in string")
		default:
			d.i++
		}
	}
	return 0, d.fail("unterminated string")
}

// skip moves past one value without decoding it: one loop over the bytes,
// counting nesting, checking the structure only as far as skipping needs
// (an unknown key's value of a vendor answer is of no interest).
func (d *decoder) skip() error {
	depth := 0
	for d.i < len(d.b) {
		switch c := d.b[d.i]; c {
		case '"':
			if _, err := d.skipString(); err != nil {
				return err
			}
		case '{', '[':
			depth++
			d.i++
		case '}', ']':
			depth--
			d.i++
			if depth < 0 {
				return d.fail("unbalanced brackets")
			}
		case ',', ':':
			if depth == 0 {
				return nil
			}
			d.i++
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			if c >= '0' && c <= '9' || c == '-' || c == 't' || c == 'f' || c == 'n' {
				start := d.i
				for d.i < len(d.b) && (d.b[d.i] >= 'a' && d.b[d.i] <= 'z' || d.b[d.i] >= '0' && d.b[d.i] <= '9' ||
					d.b[d.i] == '-' || d.b[d.i] == '+' || d.b[d.i] == '.' || d.b[d.i] == 'E') {
					d.i++
				}
				w := string(d.b[start:d.i])
				if c >= 'a' && w != "true" && w != "false" && w != "null" {
					return d.fail("unknown literal")
				}
				if _, err := strconv.ParseFloat(w, 64); c < 'a' && err != nil {
					return d.fail("bad number " + w)
				}
			} else {
				return d.fail("unexpected character")
			}
		}
		if depth == 0 {
			return nil
		}
	}
	if depth != 0 {
		return d.fail("unterminated value")
	}
	return nil
}

// object decodes {…} into a struct or a map with string keys (a value not
// kept is skipped by value, never decoded here).
func (d *decoder) object(v reflect.Value) error {
	var fields *structFields
	switch v.Kind() {
	case reflect.Struct:
		fields = fieldsOf(v.Type())
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return d.fail("an object for a " + v.Type().String())
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	default:
		return d.fail("an object for a " + v.Type().String())
	}
	d.i++ // {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return nil
	}
	for {
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return d.fail("expected a key")
		}
		key, err := d.key()
		if err != nil {
			return err
		}
		d.ws()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return d.fail("expected ':'")
		}
		d.i++
		d.ws()
		if fields != nil {
			target := reflect.Value{}
			if idx, ok := fields.find(key); ok {
				target = fieldByIndex(v, idx)
			}
			if err := d.value(target); err != nil {
				return err
			}
		} else {
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(elem); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(string(key)).Convert(v.Type().Key()), elem)
		}
		if done, err := d.next('}', "object"); done || err != nil {
			return err
		}
	}
}

// next reads the separator after a member or element: false at ',', true
// at the closing bracket.
func (d *decoder) next(closing byte, what string) (bool, error) {
	d.ws()
	if d.i >= len(d.b) {
		return false, d.fail("unterminated " + what)
	}
	switch d.b[d.i] {
	case ',':
		d.i++
		return false, nil
	case closing:
		d.i++
		return true, nil
	}
	return false, d.fail("expected ',' or '" + string(closing) + "'")
}

// array decodes […] into a slice (a value not kept is skipped by value,
// never decoded here).
func (d *decoder) array(v reflect.Value) error {
	if v.Kind() != reflect.Slice {
		return d.fail("an array for a " + v.Type().String())
	}
	d.i++ // [
	d.ws()
	n := 0
	v.SetLen(0)
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		return nil
	}
	for {
		d.ws()
		if n == v.Cap() {
			v.Grow(max(4, n))
		}
		v.SetLen(n + 1)
		elem := v.Index(n)
		elem.SetZero()
		if err := d.value(elem); err != nil {
			return err
		}
		n++
		if done, err := d.next(']', "array"); done || err != nil {
			return err
		}
	}
}

// anyValue decodes into the types encoding/json uses for any.
func (d *decoder) anyValue() (any, error) {
	switch c := d.b[d.i]; c {
	case '{':
		m := map[string]any{}
		err := d.object(reflect.ValueOf(&m).Elem())
		return m, err
	case '[':
		var s []any
		err := d.array(reflect.ValueOf(&s).Elem())
		return s, err
	case '"':
		return d.str()
	case 't', 'f':
		return c == 't', d.literal(boolWord(c))
	case 'n':
		return nil, d.literal("null")
	}
	var f float64
	err := d.number(reflect.ValueOf(&f).Elem())
	return f, err
}

// structFields maps JSON names to field index paths of one struct type.
type structFields struct {
	exact map[string][]int
	names []string // for the case-insensitive fallback
}

func (sf *structFields) find(key []byte) ([]int, bool) {
	if idx, ok := sf.exact[string(key)]; ok { // no allocation for the lookup
		return idx, true
	}
	for _, n := range sf.names {
		if strings.EqualFold(n, string(key)) {
			return sf.exact[n], true
		}
	}
	return nil, false
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if sf, ok := fieldCache.Load(t); ok {
		return sf.(*structFields)
	}
	sf := &structFields{exact: map[string][]int{}}
	collectFields(t, nil, sf)
	fieldCache.Store(t, sf)
	return sf
}

// collectFields walks t's fields, promoting those of embedded structs
// without a tag; a shallower field wins over a deeper one of the same name.
func collectFields(t reflect.Type, prefix []int, sf *structFields) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		idx := append(append([]int(nil), prefix...), i)
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, idx, sf)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if old, ok := sf.exact[name]; ok && len(old) <= len(idx) {
			continue
		}
		if _, ok := sf.exact[name]; !ok {
			sf.names = append(sf.names, name)
		}
		sf.exact[name] = idx
	}
}

// fieldByIndex is v.FieldByIndex allocating nil embedded pointers.
func fieldByIndex(v reflect.Value, idx []int) reflect.Value {
	for i, x := range idx {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}
