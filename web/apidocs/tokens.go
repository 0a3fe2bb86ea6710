package apidocs

import (
	"fmt"
	"strings"
	"unicode"
)

// token is one lexeme of SDL or proto: a name, a punctuation rune or a
// string literal.
type token struct {
	text string
	str  bool // a quoted string (text is the unquoted content)
	line int
}

// tokenize splits src into names, numbers, strings and single punctuation
// runes, dropping comments ("#" when hash, "//" and "/* */" when slashes).
// GraphQL block strings ("""…""") are returned as one string token.
func tokenize(src string, hash, slashes bool) ([]token, error) {
	var out []token
	line := 1
	rs := []rune(src)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r == '\n':
			line++
			i++
		case unicode.IsSpace(r) || r == ',' && hash:
			i++
		case hash && r == '#', slashes && r == '/' && i+1 < len(rs) && rs[i+1] == '/':
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		case slashes && r == '/' && i+1 < len(rs) && rs[i+1] == '*':
			end := strings.Index(string(rs[i+2:]), "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			body := []rune(string(rs[i+2:])[:end])
			line += strings.Count(string(body), "\n")
			i += 2 + len(body) + 2
		case r == '"' && i+2 < len(rs) && rs[i+1] == '"' && rs[i+2] == '"':
			end := strings.Index(string(rs[i+3:]), `"""`)
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated block string", line)
			}
			body := string(rs[i+3:])[:end]
			out = append(out, token{text: strings.TrimSpace(body), str: true, line: line})
			line += strings.Count(body, "\n")
			i += 3 + len([]rune(body)) + 3
		case r == '"' || r == '\'':
			j := i + 1
			var b strings.Builder
			for ; j < len(rs) && rs[j] != r; j++ {
				if rs[j] == '\\' && j+1 < len(rs) {
					j++
				}
				if rs[j] == '\n' {
					return nil, fmt.Errorf("line %d: unterminated string", line)
				}
				b.WriteRune(rs[j])
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("line %d: unterminated string", line)
			}
			out = append(out, token{text: b.String(), str: true, line: line})
			i = j + 1
		case r == '_' || r == '.' || unicode.IsLetter(r) || unicode.IsDigit(r):
			j := i
			for j < len(rs) && (rs[j] == '_' || rs[j] == '.' || unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
				j++
			}
			out = append(out, token{text: string(rs[i:j]), line: line})
			i = j
		default:
			out = append(out, token{text: string(r), line: line})
			i++
		}
	}
	return out, nil
}

// cursor walks tokens.
type cursor struct {
	toks []token
	pos  int
}

func (c *cursor) done() bool { return c.pos >= len(c.toks) }

func (c *cursor) peek() token {
	if c.done() {
		return token{}
	}
	return c.toks[c.pos]
}

func (c *cursor) next() token {
	t := c.peek()
	c.pos++
	return t
}

func (c *cursor) is(s string) bool { t := c.peek(); return !t.str && t.text == s }

// skipBalanced skips from an opening rune to its matching close.
func (c *cursor) skipBalanced(open, close string) {
	depth := 0
	for !c.done() {
		t := c.next()
		if t.str {
			continue
		}
		switch t.text {
		case open:
			depth++
		case close:
			depth--
			if depth <= 0 {
				return
			}
		}
	}
}
