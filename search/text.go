package search

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Highlight tags wrap matched words in Hit highlights; the text between them
// is raw (not HTML-escaped): a UI escapes every part and marks the tagged ones.
const (
	PreTag  = "<mark>"
	PostTag = "</mark>"
)

// Words splits text into lower-cased words of letters and digits, the way
// both backends tokenize ("pagerduty-service" → pagerduty, service).
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Typos is how many typos a query word of this length tolerates, following
// Meilisearch's defaults: none under 5 characters, 1 up to 8, 2 from 9.
func Typos(word string) int {
	n := utf8.RuneCountInString(word)
	switch {
	case n < 5:
		return 0
	case n < 9:
		return 1
	}
	return 2
}

// WordMatches reports whether an indexed word matches a query word: exactly,
// within its typo budget, or (for the last query word, as you type) as a
// prefix. It returns the number of typos used, or -1 for no match.
func WordMatches(query, word string, prefix bool) int {
	if word == query || (prefix && strings.HasPrefix(word, query)) {
		return 0
	}
	budget := Typos(query)
	if budget == 0 {
		return -1
	}
	if d := editDistance(query, word, budget); d <= budget {
		return d
	}
	if prefix {
		// a typo in a prefix: compare with the word's prefix of similar length
		qr, wr := []rune(query), []rune(word)
		for l := len(qr) - budget; l <= len(qr)+budget; l++ {
			if l > 0 && l < len(wr) {
				if d := editDistance(query, string(wr[:l]), budget); d <= budget {
					return d
				}
			}
		}
	}
	return -1
}

// editDistance is the Damerau (optimal string alignment) distance, capped at
// max+1 for speed.
func editDistance(a, b string, max int) int { return EditDistance(a, b, max) }

// EditDistance is the optimal-string-alignment distance of a and b (adjacent
// transpositions count once), or max+1 when it exceeds max.
func EditDistance(a, b string, max int) int {
	ar, br := []rune(a), []rune(b)
	if d := len(ar) - len(br); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(br)+1)
	prev := make([]int, len(br)+1)
	cur := make([]int, len(br)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ar); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(br); j++ {
			cost := 1
			if ar[i-1] == br[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ar[i-1] == br[j-2] && ar[i-2] == br[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(br)]
}

// Highlight wraps the words of text that match the term's words (the last
// one as a prefix) in PreTag/PostTag. ok is false when nothing matched.
func Highlight(term, text string) (string, bool) {
	qs := Words(term)
	if len(qs) == 0 || text == "" {
		return text, false
	}
	var b strings.Builder
	matched := false
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			b.WriteString(text[i : i+size])
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
				break
			}
			j += s2
		}
		word := text[i:j]
		lw := strings.ToLower(word)
		hit := false
		for k, q := range qs {
			if WordMatches(q, lw, k == len(qs)-1) >= 0 {
				hit = true
				break
			}
		}
		if hit {
			matched = true
			b.WriteString(PreTag)
			b.WriteString(word)
			b.WriteString(PostTag)
		} else {
			b.WriteString(word)
		}
		i = j
	}
	return b.String(), matched
}
