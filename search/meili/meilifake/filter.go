package meilifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
)

// node is a parsed filter expression.
type node interface{ eval(doc map[string]any) bool }

type (
	andNode  struct{ a, b node }
	orNode   struct{ a, b node }
	notNode  struct{ n node }
	trueNode struct{}
	cmpNode  struct {
		attr, op string
		vals     []string
	}
)

func (n andNode) eval(d map[string]any) bool { return n.a.eval(d) && n.b.eval(d) }
func (n orNode) eval(d map[string]any) bool  { return n.a.eval(d) || n.b.eval(d) }
func (n notNode) eval(d map[string]any) bool { return !n.n.eval(d) }
func (trueNode) eval(map[string]any) bool    { return true }

// lookup returns the values at a dotted attribute path, flattened.
func lookup(d map[string]any, attr string) ([]any, bool) {
	var cur any = d
	for _, part := range strings.Split(attr, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	var out []any
	var walk func(v any)
	walk = func(v any) {
		if arr, ok := v.([]any); ok {
			for _, x := range arr {
				walk(x)
			}
			return
		}
		out = append(out, v)
	}
	walk(cur)
	return out, true
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return string(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func equalValue(v any, want string) bool {
	s, ok := scalar(v)
	if !ok {
		return false
	}
	if a, err1 := strconv.ParseFloat(s, 64); err1 == nil {
		if b, err2 := strconv.ParseFloat(want, 64); err2 == nil {
			return a == b
		}
	}
	return strings.EqualFold(s, want)
}

func (n cmpNode) eval(d map[string]any) bool {
	vs, present := lookup(d, n.attr)
	switch n.op {
	case "EXISTS":
		return present
	case "IS NULL":
		return present && len(vs) == 1 && vs[0] == nil
	case "IS EMPTY":
		if !present {
			return false
		}
		if len(vs) == 0 {
			return true
		}
		s, ok := vs[0].(string)
		return len(vs) == 1 && ok && s == ""
	case "=", "IN":
		for _, v := range vs {
			for _, want := range n.vals {
				if equalValue(v, want) {
					return true
				}
			}
		}
		return false
	case "!=":
		return !(cmpNode{attr: n.attr, op: "=", vals: n.vals}).eval(d)
	case ">", ">=", "<", "<=", "TO":
		for _, v := range vs {
			s, ok := scalar(v)
			if !ok {
				continue
			}
			x, err := strconv.ParseFloat(s, 64)
			if err != nil {
				continue
			}
			lim, _ := strconv.ParseFloat(n.vals[0], 64)
			switch n.op {
			case ">":
				if x > lim {
					return true
				}
			case ">=":
				if x >= lim {
					return true
				}
			case "<":
				if x < lim {
					return true
				}
			case "<=":
				if x <= lim {
					return true
				}
			case "TO":
				hi, _ := strconv.ParseFloat(n.vals[1], 64)
				if x >= lim && x <= hi {
					return true
				}
			}
		}
	}
	return false
}

// token is one lexeme of a filter.
type token struct {
	text   string
	quoted bool
	pos    int
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.ContainsRune("()[],", rune(c)):
			out = append(out, token{text: string(c), pos: i})
			i++
		case c == '!' || c == '=' || c == '>' || c == '<':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, fmt.Errorf("unexpected `!` at %d", i+1)
			}
			out = append(out, token{text: op, pos: i})
			i = j
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("expression `%s` is missing a closing quote", s[i:])
			}
			out = append(out, token{text: b.String(), quoted: true, pos: i})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r()[],!=<>\"'", rune(s[j])) {
				j++
			}
			out = append(out, token{text: s[i:j], pos: i})
			i = j
		}
	}
	return out, nil
}

// parser is a recursive-descent parser of Meilisearch's filter grammar.
type parser struct {
	src        string
	toks       []token
	i          int
	filterable map[string]bool
	code       string
}

func (p *parser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *parser) kw(word string) bool {
	t := p.peek()
	if t != nil && !t.quoted && strings.EqualFold(t.text, word) {
		p.i++
		return true
	}
	return false
}

func (p *parser) errf(format string, args ...any) *apiError {
	pos := len(p.src)
	if t := p.peek(); t != nil {
		pos = t.pos
	}
	return invalidRequest(p.code, "%s\n%d:%d %s", fmt.Sprintf(format, args...), pos+1, len(p.src), p.src)
}

func (p *parser) or() (node, *apiError) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.kw("OR") {
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		n = orNode{n, m}
	}
	return n, nil
}

func (p *parser) and() (node, *apiError) {
	n, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.kw("AND") {
		m, err := p.not()
		if err != nil {
			return nil, err
		}
		n = andNode{n, m}
	}
	return n, nil
}

func (p *parser) not() (node, *apiError) {
	if p.kw("NOT") {
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *parser) value() (string, *apiError) {
	t := p.peek()
	if t == nil || (!t.quoted && strings.ContainsAny(t.text, "()[],=<>!")) {
		return "", p.errf("Was expecting a value but instead got %s.", describe(t))
	}
	p.i++
	return t.text, nil
}

func describe(t *token) string {
	if t == nil {
		return "nothing"
	}
	return "`" + t.text + "`"
}

func (p *parser) primary() (node, *apiError) {
	t := p.peek()
	if t == nil {
		return nil, p.errf("Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `_geoRadius`, or `_geoBoundingBox` at the end of the filter.")
	}
	if !t.quoted && t.text == "(" {
		p.i++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c == nil || c.text != ")" || c.quoted {
			return nil, p.errf("Expression `(` is missing a closing `)`.")
		}
		p.i++
		return n, nil
	}
	attr, err := p.value()
	if err != nil {
		return nil, err
	}
	if !p.isFilterable(attr) {
		return nil, p.errf("Attribute `%s` is not filterable. Available filterable attributes are: `%s`.", attr, strings.Join(sortedKeys(p.filterable), ", "))
	}
	switch {
	case p.kw("EXISTS"):
		return cmpNode{attr: attr, op: "EXISTS"}, nil
	case p.kw("IS"):
		neg := p.kw("NOT")
		var n node
		switch {
		case p.kw("NULL"):
			n = cmpNode{attr: attr, op: "IS NULL"}
		case p.kw("EMPTY"):
			n = cmpNode{attr: attr, op: "IS EMPTY"}
		default:
			return nil, p.errf("Was expecting `NULL` or `EMPTY` after `IS`.")
		}
		if neg {
			n = notNode{n}
		}
		return n, nil
	case p.kw("NOT"):
		switch {
		case p.kw("EXISTS"):
			return notNode{cmpNode{attr: attr, op: "EXISTS"}}, nil
		case p.kw("IN"):
			vs, err := p.list()
			if err != nil {
				return nil, err
			}
			return notNode{cmpNode{attr: attr, op: "IN", vals: vs}}, nil
		}
		return nil, p.errf("Was expecting `IN` or `EXISTS` after `NOT`.")
	case p.kw("IN"):
		vs, err := p.list()
		if err != nil {
			return nil, err
		}
		return cmpNode{attr: attr, op: "IN", vals: vs}, nil
	}
	op := p.peek()
	if op == nil || op.quoted {
		return nil, p.errf("Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `_geoRadius`, or `_geoBoundingBox` at `%s`.", attr)
	}
	switch op.text {
	case "=", "!=", ">", ">=", "<", "<=":
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		return cmpNode{attr: attr, op: op.text, vals: []string{v}}, nil
	}
	// attr lo TO hi
	lo, err := p.value()
	if err != nil {
		return nil, err
	}
	if !p.kw("TO") {
		return nil, p.errf("Was expecting an operation `=`, `!=`, `>=`, `>`, `<=`, `<`, `IN`, `NOT IN`, `TO`, `EXISTS`, `NOT EXISTS`, `IS NULL`, `IS NOT NULL`, `IS EMPTY`, `IS NOT EMPTY`, `_geoRadius`, or `_geoBoundingBox` at `%s %s`.", attr, lo)
	}
	hi, err := p.value()
	if err != nil {
		return nil, err
	}
	return cmpNode{attr: attr, op: "TO", vals: []string{lo, hi}}, nil
}

func (p *parser) list() ([]string, *apiError) {
	if t := p.peek(); t == nil || t.quoted || t.text != "[" {
		return nil, p.errf("Expected `[` after `IN` keyword.")
	}
	p.i++
	var vs []string
	for {
		if t := p.peek(); t != nil && !t.quoted && t.text == "]" {
			p.i++
			return vs, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
		t := p.peek()
		switch {
		case t != nil && !t.quoted && t.text == ",":
			p.i++
		case t != nil && !t.quoted && t.text == "]":
		default:
			return nil, p.errf("Expected matching `]` after the list of values.")
		}
	}
}

func (p *parser) isFilterable(attr string) bool {
	if p.filterable[attr] || p.filterable["*"] {
		return true
	}
	for f := range p.filterable {
		if strings.HasPrefix(attr, f+".") {
			return true
		}
	}
	return false
}

// parseFilter parses one filter string.
func parseFilter(src string, filterable []string, code string) (node, *apiError) {
	fs := map[string]bool{}
	for _, f := range filterable {
		fs[f] = true
	}
	p := &parser{src: src, filterable: fs, code: code}
	if strings.TrimFunc(src, unicode.IsSpace) == "" {
		return trueNode{}, nil
	}
	toks, err := lex(src)
	if err != nil {
		return nil, invalidRequest(code, "%v\n1:%d %s", err, len(src), src)
	}
	p.toks = toks
	n, e := p.or()
	if e != nil {
		return nil, e
	}
	if p.i != len(p.toks) {
		return nil, p.errf("Found unexpected characters at the end of the filter: `%s`. You probably forgot an `OR` or an `AND` rule.", src[p.toks[p.i].pos:])
	}
	return n, nil
}

// parseFilterParam accepts a string or an array of strings / arrays of
// strings (outer AND, inner OR), as Meilisearch does.
func parseFilterParam(v any, filterable []string, code string) (node, *apiError) {
	switch f := v.(type) {
	case nil:
		return trueNode{}, nil
	case string:
		return parseFilter(f, filterable, code)
	case []any:
		var n node = trueNode{}
		for _, item := range f {
			var m node
			switch it := item.(type) {
			case string:
				var e *apiError
				if m, e = parseFilter(it, filterable, code); e != nil {
					return nil, e
				}
			case []any:
				var alt node
				for _, sub := range it {
					s, ok := sub.(string)
					if !ok {
						return nil, invalidRequest(code, "Invalid value type at `.filter`: expected a string or an array of strings, but found: %v", sub)
					}
					o, e := parseFilter(s, filterable, code)
					if e != nil {
						return nil, e
					}
					if alt == nil {
						alt = o
					} else {
						alt = orNode{alt, o}
					}
				}
				if alt == nil {
					alt = trueNode{}
				}
				m = alt
			default:
				return nil, invalidRequest(code, "Invalid value type at `.filter`: expected a string or an array, but found: %v", item)
			}
			n = andNode{n, m}
		}
		return n, nil
	}
	return nil, newErr(http.StatusBadRequest, code, "invalid_request", "Invalid value type at `.filter`: expected a string or an array, but found: %v", v)
}
