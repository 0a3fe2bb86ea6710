package ui

import (
	"html/template"
	"strings"
	"unicode/utf8"

	"github.com/portico-dev/portico/search"
)

// segment is a run of text, matched or not.
type segment struct {
	text string
	hit  bool
}

// highlightHTML marks the words of text that match the search term, as
// search.Highlight finds them, and returns HTML in which every character of
// text is escaped and only <mark> elements are markup. With max > 0 the
// text is cut to about max characters around the first match.
//
// Note: this is the one template.HTML the portal builds from indexed data;
// the only tags in it are the ones written here.
func highlightHTML(term, text string, max int) template.HTML {
	segs := []segment{{text: text}}
	if term != "" {
		if marked, ok := search.Highlight(term, text); ok {
			segs = splitMarks(marked)
		}
	}
	if max > 0 {
		segs = window(segs, max)
	}
	var b strings.Builder
	for _, s := range segs {
		if s.hit {
			b.WriteString("<mark>")
		}
		b.WriteString(template.HTMLEscapeString(s.text))
		if s.hit {
			b.WriteString("</mark>")
		}
	}
	return template.HTML(b.String())
}

// splitMarks reads search.Highlight's output back into segments. A marked
// word is letters and digits only, so a literal "<mark>" in the source text
// can at worst be shown as a highlight, never become markup (every segment
// is escaped).
func splitMarks(s string) []segment {
	var out []segment
	for s != "" {
		i := strings.Index(s, search.PreTag)
		if i < 0 {
			break
		}
		j := strings.Index(s[i+len(search.PreTag):], search.PostTag)
		if j < 0 {
			break
		}
		if i > 0 {
			out = append(out, segment{text: s[:i]})
		}
		out = append(out, segment{text: s[i+len(search.PreTag) : i+len(search.PreTag)+j], hit: true})
		s = s[i+len(search.PreTag)+j+len(search.PostTag):]
	}
	if s != "" {
		out = append(out, segment{text: s})
	}
	return out
}

// window keeps about max runes of segs, starting a little before the first
// match, with an ellipsis where text was cut.
func window(segs []segment, max int) []segment {
	total, before := 0, -1
	for _, s := range segs {
		if s.hit && before < 0 {
			before = total
		}
		total += utf8.RuneCountInString(s.text)
	}
	if total <= max {
		return segs
	}
	start := 0
	if before > max/3 {
		start = before - max/3
	}
	var out []segment
	pos := 0
	if start > 0 {
		out = append(out, segment{text: "…"})
	}
	for _, s := range segs {
		r := []rune(s.text)
		lo, hi := max0(start-pos), min(len(r), start+max-pos)
		pos += len(r)
		if lo >= hi {
			continue
		}
		if s.hit && (lo > 0 || hi < len(r)) {
			s.hit = false // never show half a highlighted word as marked
		}
		out = append(out, segment{text: string(r[lo:hi]), hit: s.hit})
	}
	if start+max < total {
		out = append(out, segment{text: "…"})
	}
	return out
}

func max0(n int) int { return max(n, 0) }
