package catalog

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// Fast path of ParseDocuments. yaml.v3 builds a node tree per document and
// resolves it through reflection, ~40 µs for a typical 30-line entity: most
// of an ingest's CPU. Catalog files are nearly always the plain block style
// (indented mappings and "- " lists of plain or quoted one-line scalars), and
// fastDecode reads exactly that subset directly into JSON-compatible values.
// Anything else — anchors, aliases, tags, flow collections other than [] and
// {}, block or multi-line scalars, escapes, numbers, tabs, duplicate or
// non-string keys, directives — makes it give up (ok false), and the
// document goes through yaml.v3 as before; so does every error. Its result
// equals yaml.v3's for everything it accepts (parse_fast_test.go checks that
// on every fixture and a generated organisation). The node tree LineOf needs
// for error lines is built from the document's bytes only when asked for.

// fastLine is one line of a document with content.
type fastLine struct {
	indent  int
	content string // without indentation and trailing spaces
	line    int    // 1-based within the chunk
}

type fastDecoder struct {
	lines    []fastLine
	pos      int
	maxDepth int
	// raw is every line of the chunk, blank and comment lines included,
	// without its line break; finalBreak says whether the last one had one.
	// Literal block scalars are read from them.
	raw        [][]byte
	finalBreak bool
}

// fastDecode decodes a one-document chunk, or reports ok false. line is the
// 1-based line (within the chunk) of the root node.
func fastDecode(data []byte, maxDepth int) (v map[string]any, line int, ok bool) {
	if !fastPrintable(data) {
		return nil, 0, false
	}
	d := fastDecoder{maxDepth: maxDepth, lines: make([]fastLine, 0, 48), raw: make([][]byte, 0, 64)}
	d.finalBreak = len(data) > 0 && data[len(data)-1] == '\n'
	// Every line's content is a substring of one copy of the document:
	// one allocation a document instead of one a line.
	text := string(data)
	n, at := 0, 0 // at: the offset of data in text
	for len(data) > 0 {
		n++
		var l []byte
		start := at
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
			at += i + 1
		} else {
			l, data = data, nil
			at += len(l)
		}
		d.raw = append(d.raw, bytes.TrimSuffix(l, []byte{'\r'}))
		l = bytes.TrimRight(l, " \r")
		ind := 0
		for ind < len(l) && l[ind] == ' ' {
			ind++
		}
		if ind == len(l) || l[ind] == '#' {
			continue // blank or comment
		}
		c := text[start+ind : start+len(l)]
		if len(d.lines) == 0 && ind == 0 && (c == "---" || strings.HasPrefix(c, "--- ")) {
			if rest := strings.TrimSpace(c[3:]); rest == "" || rest[0] == '#' {
				continue // the document marker the splitter left on top
			}
			return nil, 0, false
		}
		if ind == 0 && (c[0] == '%' || strings.HasPrefix(c, "---") || strings.HasPrefix(c, "...")) {
			return nil, 0, false
		}
		d.lines = append(d.lines, fastLine{indent: ind, content: c, line: n})
	}
	if len(d.lines) == 0 || isSeqItem(d.lines[0].content) {
		return nil, 0, false
	}
	root, ok := d.mapping(d.lines[0].indent, 0)
	if !ok || d.pos != len(d.lines) {
		return nil, 0, false
	}
	return root, d.lines[0].line, true
}

func isSeqItem(c string) bool { return c == "-" || strings.HasPrefix(c, "- ") }

// node decodes the block node starting at the current line.
func (d *fastDecoder) node(depth int) (any, bool) {
	l := d.lines[d.pos]
	if isSeqItem(l.content) {
		return d.sequence(l.indent, depth)
	}
	m, ok := d.mapping(l.indent, depth)
	return m, ok
}

// afterEmpty decodes the value of a key or item with nothing after its
// indicator: a nested block, or null.
func (d *fastDecoder) afterEmpty(ind int, mapKey bool, depth int) (any, bool) {
	if d.pos >= len(d.lines) {
		return nil, true
	}
	next := d.lines[d.pos]
	if next.indent > ind || (mapKey && next.indent == ind && isSeqItem(next.content)) {
		return d.node(depth + 1)
	}
	return nil, true
}

func (d *fastDecoder) mapping(ind, depth int) (map[string]any, bool) {
	if depth >= d.maxDepth {
		return nil, false
	}
	out := make(map[string]any, 8)
	for d.pos < len(d.lines) {
		l := d.lines[d.pos]
		if l.indent < ind {
			break
		}
		if l.indent > ind || isSeqItem(l.content) {
			return nil, false
		}
		key, rest, ok := splitKey(l.content)
		if !ok {
			return nil, false
		}
		if _, dup := out[key]; dup {
			return nil, false
		}
		d.pos++
		var v any
		if rest == "" {
			if v, ok = d.afterEmpty(ind, true, depth); !ok {
				return nil, false
			}
		} else if rest == "|" || rest == "|-" || rest == "|+" {
			if v, ok = d.literal(ind, l.line, rest[1:]); !ok {
				return nil, false
			}
		} else {
			if v, ok = fastScalar(rest); !ok {
				return nil, false
			}
			if d.pos < len(d.lines) && d.lines[d.pos].indent > ind {
				return nil, false // a multi-line scalar, or not YAML
			}
		}
		out[key] = v
	}
	return out, true
}

// literal reads the literal block scalar ("|", "|-" or "|+", chomping
// given) of the key at indentation ind on line keyLine: API definitions
// are written so. Its indentation is that of its first non-blank line;
// blank lines inside it are empty lines, its lines lose that indentation
// and keep everything else, trailing spaces included. Left to yaml.v3:
// an empty scalar, indentation indicators, a whitespace-only line with more
// spaces than the content's indentation, a scalar that ends the chunk
// without a line break or, kept ("|+"), with its trailing lines, and a line
// less indented than the content but more than the key (an error).
func (d *fastDecoder) literal(ind, keyLine int, chomp string) (string, bool) {
	contentInd, end, stop := -1, keyLine, len(d.raw) // raw indexes: end is one past the last content line
	for i := keyLine; i < len(d.raw); i++ {
		r := d.raw[i]
		sp := 0
		for sp < len(r) && r[sp] == ' ' {
			sp++
		}
		if sp == len(r) { // a blank line
			if contentInd >= 0 && sp > contentInd || contentInd < 0 && sp > ind {
				return "", false
			}
			continue
		}
		if contentInd < 0 {
			if sp <= ind {
				stop = i
				break
			}
			contentInd = sp
		} else if sp < contentInd {
			if sp > ind {
				return "", false
			}
			stop = i
			break
		}
		end = i + 1
	}
	if contentInd < 0 || end == len(d.raw) && !d.finalBreak || chomp == "+" && stop == len(d.raw) {
		return "", false // the last: yaml.v3 keeps fewer trailing breaks at the end of a stream
	}
	var b strings.Builder
	for i := keyLine; i < end; i++ {
		if r := d.raw[i]; len(r) > contentInd {
			b.Write(r[contentInd:])
		}
		if i < end-1 {
			b.WriteByte('\n')
		}
	}
	switch chomp {
	case "":
		b.WriteByte('\n')
	case "+":
		b.WriteByte('\n')
		for i := end; i < stop; i++ { // the blank lines after it
			b.WriteByte('\n')
		}
	}
	for d.pos < len(d.lines) && d.lines[d.pos].line <= end {
		d.pos++ // its lines were read as lines of the block
	}
	return b.String(), true
}

func (d *fastDecoder) sequence(ind, depth int) ([]any, bool) {
	if depth >= d.maxDepth {
		return nil, false
	}
	out := make([]any, 0, 4)
	for d.pos < len(d.lines) {
		l := d.lines[d.pos]
		if l.indent < ind || (l.indent == ind && !isSeqItem(l.content)) {
			break
		}
		if l.indent > ind {
			return nil, false
		}
		rest := strings.TrimLeft(l.content[1:], " ")
		if rest == "" || rest[0] == '#' {
			d.pos++
			v, ok := d.afterEmpty(ind, false, depth)
			if !ok {
				return nil, false
			}
			out = append(out, v)
			continue
		}
		if isSeqItem(rest) {
			return nil, false // "- - x"
		}
		if _, _, isKey := splitKey(rest); isKey {
			// "- key: value": a mapping whose keys sit at the column of "key".
			col := l.indent + len(l.content) - len(rest)
			d.lines[d.pos] = fastLine{indent: col, content: rest, line: l.line}
			m, ok := d.mapping(col, depth+1)
			if !ok {
				return nil, false
			}
			out = append(out, m)
			continue
		}
		v, ok := fastScalar(rest)
		if !ok {
			return nil, false
		}
		d.pos++
		if d.pos < len(d.lines) && d.lines[d.pos].indent > ind {
			return nil, false
		}
		out = append(out, v)
	}
	return out, true
}

// splitKey splits "key: rest" (rest without a comment-only tail). ok is false
// when the line is not a plain-keyed mapping entry of the fast subset.
func splitKey(c string) (key, rest string, ok bool) {
	if c == "" || strings.IndexByte(`-?:,[]{}#&*!|>'"%@`+"`", c[0]) >= 0 {
		return "", "", false
	}
	i := strings.Index(c, ": ")
	if i < 0 {
		if !strings.HasSuffix(c, ":") {
			return "", "", false
		}
		i = len(c) - 1
	}
	if h := strings.Index(c, " #"); h >= 0 && h < i {
		return "", "", false
	}
	key = c[:i]
	if key == "" || key[len(key)-1] == ' ' || !plainIsString(key) {
		return "", "", false
	}
	rest = strings.TrimLeft(c[i+1:], " ")
	if rest != "" && rest[0] == '#' {
		rest = ""
	}
	return key, rest, true
}

// plainIsString reports whether yaml.v3 resolves the plain scalar s to a
// string (conservatively: anything that might be a number, bool, null,
// timestamp or merge key is refused).
func plainIsString(s string) bool {
	if s == "" || strings.IndexByte("0123456789+-.~<", s[0]) >= 0 {
		return false
	}
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL":
		return false
	}
	return true
}

// fastScalar decodes a one-line scalar value (with an optional comment).
func fastScalar(s string) (any, bool) {
	switch s[0] {
	case '\'', '"':
		q := s[0]
		var b strings.Builder
		i := 1
		for {
			j := strings.IndexByte(s[i:], q)
			if j < 0 {
				return nil, false // runs onto the next line
			}
			b.WriteString(s[i : i+j])
			i += j + 1
			if q == '\'' && i < len(s) && s[i] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			break
		}
		if tail := strings.TrimLeft(s[i:], " "); tail != "" && (tail[0] != '#' || len(tail) == len(s[i:])) {
			return nil, false
		}
		return b.String(), true
	case '[':
		return fastFlowSeq(s)
	case '{':
		if s == "{}" || (strings.HasPrefix(s, "{} ") && strings.HasPrefix(strings.TrimLeft(s[2:], " "), "#")) {
			return map[string]any{}, true
		}
		return nil, false
	}
	if strings.IndexByte(`-?:,]}#&*!|>%@`+"`", s[0]) >= 0 {
		return nil, false
	}
	if h := strings.Index(s, " #"); h >= 0 {
		s = strings.TrimRight(s[:h], " ")
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return nil, false
	}
	switch s {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	case "null", "Null", "NULL", "~":
		return nil, true
	}
	if !plainIsString(s) {
		return nil, false
	}
	return s, true
}

// fastPrintable reports that data has no tab, backslash or character YAML
// refuses (it allows only printable characters), so neither indentation nor
// escapes need care.
func fastPrintable(data []byte) bool { return printable(data, true) }

// printable is fastPrintable; words skips eight bytes at a time where all
// are printable ASCII other than a backslash (tests compare both ways).
func printable(data []byte, words bool) bool {
	for i := 0; i < len(data); {
		if words && i+8 <= len(data) {
			w := binary.LittleEndian.Uint64(data[i:])
			// No high bit, no byte below 0x20, no DEL, no backslash.
			if w&swarHigh|hasLess(w, 0x20)|hasByte(w, 0x7f)|hasByte(w, '\\') == 0 {
				i += 8
				continue
			}
		}
		b := data[i]
		if b < utf8.RuneSelf {
			if (b < 0x20 && b != '\n' && b != '\r') || b == 0x7f || b == '\\' {
				return false
			}
			if b == '\r' && (i+1 == len(data) || data[i+1] != '\n') {
				return false // a lone CR breaks the line
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError || (r < 0xa0 && r != 0x85) || (r >= 0xd800 && r < 0xe000) || r == 0xfeff || r == 0xfffe || r == 0xffff {
			return false
		}
		i += n
	}
	return true
}

// fastFlowSeq decodes "[a, b c, d]" (with an optional comment): a one-line
// flow sequence of plain strings without quotes, hashes, brackets or ": ".
func fastFlowSeq(s string) (any, bool) {
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return nil, false
	}
	if tail := strings.TrimLeft(s[end+1:], " "); tail != "" && (tail[0] != '#' || len(tail) == len(s[end+1:])) {
		return nil, false
	}
	body := s[1:end]
	if strings.ContainsAny(body, `[]{}#'"`) || strings.Contains(body, ": ") || strings.Contains(body, ":,") || strings.HasSuffix(body, ":") {
		return nil, false
	}
	out := []any{}
	if strings.TrimSpace(body) == "" {
		return out, true
	}
	for _, it := range strings.Split(body, ",") {
		it = strings.TrimSpace(it)
		if !plainIsString(it) || strings.IndexByte(`-?:,&*!|>%@`+"`", it[0]) >= 0 {
			return nil, false
		}
		out = append(out, it)
	}
	return out, true
}
