package meilifake

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico-dev/portico/search"
)

func nowUTC() time.Time { return time.Now().UTC() }

// searchRequest is the body of POST /indexes/{uid}/search.
type searchRequest struct {
	Q                    *string  `json:"q"`
	Offset               *int     `json:"offset"`
	Limit                *int     `json:"limit"`
	HitsPerPage          *int     `json:"hitsPerPage"`
	Page                 *int     `json:"page"`
	Filter               any      `json:"filter"`
	Facets               []string `json:"facets"`
	AttributesToRetrieve []string `json:"attributesToRetrieve"`
	ShowRankingScore     bool     `json:"showRankingScore"`
	MatchingStrategy     string   `json:"matchingStrategy"`
	Sort                 []string `json:"sort"`
}

// acceptedSearchFields are the body fields the fake accepts; the ones it does
// not implement (crop, highlight, vectors…) are accepted and ignored.
var acceptedSearchFields = map[string]bool{"q": true, "offset": true, "limit": true, "hitsPerPage": true, "page": true,
	"filter": true, "facets": true, "attributesToRetrieve": true, "showRankingScore": true, "matchingStrategy": true,
	"sort": true, "attributesToCrop": true, "cropLength": true, "cropMarker": true, "attributesToHighlight": true,
	"highlightPreTag": true, "highlightPostTag": true, "showMatchesPosition": true, "showRankingScoreDetails": true,
	"attributesToSearchOn": true, "hybrid": true, "vector": true, "distinct": true, "rankingScoreThreshold": true,
	"locales": true, "retrieveVectors": true, "showPerformanceDetails": true}

// match is one document's ranking against the query.
type match struct {
	id        string
	ord       int
	words     int // query words matched
	typos     int
	proximity int
	attribute int
	exact     int // lower is better
	doc       map[string]any
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, uid string) {
	var raw map[string]json.RawMessage
	if r.Method == http.MethodGet {
		raw = map[string]json.RawMessage{}
		for k, v := range r.URL.Query() {
			b, _ := json.Marshal(v[0])
			if k != "q" && k != "filter" {
				if _, err := strconv.Atoi(v[0]); err == nil {
					b = []byte(v[0])
				}
			}
			raw[k] = b
		}
	} else if e := decode(r, &raw); e != nil {
		writeErr(w, e)
		return
	}
	if e := knownFields(raw, acceptedSearchFields); e != nil {
		writeErr(w, e)
		return
	}
	var req searchRequest
	b, _ := json.Marshal(raw)
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeErr(w, invalidRequest("bad_request", "Invalid search request: %v", err))
		return
	}
	for name, v := range map[string]*int{"offset": req.Offset, "limit": req.Limit, "hitsPerPage": req.HitsPerPage, "page": req.Page} {
		if v != nil && *v < 0 {
			writeErr(w, invalidRequest("invalid_search_"+strings.ToLower(name[:1])+name[1:], "Invalid value in parameter `%s`: value must be a positive integer", name))
			return
		}
	}
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := s.indexOr404(w, uid)
	if ix == nil {
		return
	}
	st := ix.settings
	filter, e := parseFilterParam(req.Filter, st.FilterableAttributes, "invalid_search_filter")
	if e != nil {
		writeErr(w, e)
		return
	}
	for _, f := range req.Facets {
		if !(&parser{filterable: toSet(st.FilterableAttributes)}).isFilterable(f) {
			writeErr(w, invalidRequest("invalid_search_facets", "Invalid facet distribution, attribute `%s` is not filterable. The available filterable attributes are `%s`.", f, strings.Join(st.FilterableAttributes, ", ")))
			return
		}
	}
	for _, so := range req.Sort {
		attr, _, _ := strings.Cut(so, ":")
		if !contains(st.SortableAttributes, attr) {
			writeErr(w, invalidRequest("invalid_search_sort", "Attribute `%s` is not sortable. Available sortable attributes are: `%s`.", attr, strings.Join(st.SortableAttributes, ", ")))
			return
		}
	}
	q := ""
	if req.Q != nil {
		q = *req.Q
	}
	words := search.Words(q)
	prefixLast := q != "" && !strings.HasSuffix(q, " ")
	var ms []match
	for ord, id := range ix.order {
		d := ix.docs[id]
		if !filter.eval(d) {
			continue
		}
		m := match{id: id, ord: ord, doc: d}
		if len(words) > 0 && !rank(&m, words, prefixLast, st, req.MatchingStrategy) {
			continue
		}
		ms = append(ms, m)
	}
	if len(words) > 0 || len(req.Sort) > 0 {
		sortMatches(ms, st.RankingRules, req.Sort, len(words) > 0)
	}
	resp := map[string]any{"query": q}
	if len(req.Facets) > 0 {
		dist := map[string]map[string]int{}
		for _, f := range req.Facets {
			counts := map[string]int{}
			for _, m := range ms {
				vs, _ := lookup(m.doc, f)
				seen := map[string]bool{}
				for _, v := range vs {
					if sv, ok := scalar(v); ok && !seen[sv] {
						seen[sv] = true
						counts[sv]++
					}
				}
			}
			dist[f] = capFacet(counts, st.Faceting.MaxValuesPerFacet)
		}
		resp["facetDistribution"] = dist
		resp["facetStats"] = map[string]any{}
	}
	total := min(len(ms), st.Pagination.MaxTotalHits)
	var from, to int
	if req.HitsPerPage != nil || req.Page != nil {
		per, page := 20, 1
		if req.HitsPerPage != nil {
			per = *req.HitsPerPage
		}
		if req.Page != nil {
			page = *req.Page
		}
		if page > 0 {
			from, to = min((page-1)*per, total), min(page*per, total)
		}
		pages := 0
		if per > 0 {
			pages = (total + per - 1) / per
		}
		resp["hitsPerPage"], resp["page"], resp["totalPages"], resp["totalHits"] = per, page, pages, total
	} else {
		off, lim := 0, 20
		if req.Offset != nil {
			off = *req.Offset
		}
		if req.Limit != nil {
			lim = *req.Limit
		}
		from, to = min(off, total), min(off+lim, total)
		resp["offset"], resp["limit"], resp["estimatedTotalHits"] = off, lim, total
	}
	hits := make([]map[string]any, 0, to-from)
	for _, m := range ms[from:to] {
		h := retrieve(m.doc, req.AttributesToRetrieve, st.DisplayedAttributes)
		if req.ShowRankingScore {
			h["_rankingScore"] = score(m, len(words))
		}
		hits = append(hits, h)
	}
	resp["hits"] = hits
	resp["processingTimeMs"] = time.Since(start).Milliseconds()
	writeJSON(w, 200, resp)
}

func toSet(xs []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func capFacet(counts map[string]int, max int) map[string]int {
	if max <= 0 || len(counts) <= max {
		return counts
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]int{}
	for _, k := range keys[:max] {
		out[k] = counts[k]
	}
	return out
}

func retrieve(d map[string]any, want, displayed []string) map[string]any {
	ok := func(k string) bool {
		return (len(displayed) == 0 || contains(displayed, "*") || contains(displayed, k)) &&
			(len(want) == 0 || contains(want, "*") || contains(want, k))
	}
	out := map[string]any{}
	for k, v := range d {
		if ok(k) {
			out[k] = v
		}
	}
	return out
}

func score(m match, n int) float64 {
	if n == 0 {
		return 1
	}
	return float64(m.words) / float64(n) / (1 + float64(m.typos) + 0.1*float64(m.attribute) + 0.05*float64(m.exact))
}

// attrWords returns the searchable attributes' words, in attribute order.
func attrWords(d map[string]any, searchable []string) [][]string {
	attrs := searchable
	if len(attrs) == 0 || contains(attrs, "*") {
		attrs = make([]string, 0, len(d))
		for k := range d {
			attrs = append(attrs, k)
		}
		sort.Strings(attrs)
	}
	out := make([][]string, len(attrs))
	for i, a := range attrs {
		vs, _ := lookup(d, a)
		for _, v := range vs {
			if s, ok := scalar(v); ok {
				out[i] = append(out[i], search.Words(s)...)
			}
		}
	}
	return out
}

func typoBudget(word string, tt typoTolerance) int {
	if !tt.Enabled || contains(tt.DisableOnWords, word) {
		return 0
	}
	n := utf8.RuneCountInString(word)
	switch {
	case n >= tt.MinWordSizeForTypos.TwoTypos:
		return 2
	case n >= tt.MinWordSizeForTypos.OneTypo:
		return 1
	}
	return 0
}

// wordMatch is the typos needed for query word q to match w, or -1.
func wordMatch(q, w string, prefix bool, budget int) (typos int, exact bool) {
	if q == w {
		return 0, true
	}
	if prefix && strings.HasPrefix(w, q) {
		return 0, false
	}
	if budget == 0 {
		return -1, false
	}
	if d := search.EditDistance(q, w, budget); d <= budget {
		return d, false
	}
	if prefix {
		wr := []rune(w)
		for l := len([]rune(q)) - budget; l <= len([]rune(q))+budget; l++ {
			if l > 0 && l < len(wr) {
				if d := search.EditDistance(q, string(wr[:l]), budget); d <= budget {
					return d, false
				}
			}
		}
	}
	return -1, false
}

// rank fills m's ranking criteria; false when the document does not match.
func rank(m *match, words []string, prefixLast bool, st settings, strategy string) bool {
	attrs := attrWords(m.doc, st.SearchableAttributes)
	type pos struct{ attr, at int }
	matched := make([]*pos, len(words))
	inexact := 0
	for qi, q := range words {
		prefix := prefixLast && qi == len(words)-1
		budget := typoBudget(q, st.TypoTolerance)
		best, bestExact := -1, false
		var bestPos *pos
		for ai, ws := range attrs {
			for wi, w := range ws {
				t, ex := wordMatch(q, w, prefix, budget)
				if t < 0 {
					continue
				}
				if best < 0 || t < best || (t == best && ex && !bestExact) {
					best, bestExact, bestPos = t, ex, &pos{ai, wi}
				}
			}
		}
		if best >= 0 {
			matched[qi] = bestPos
			m.typos += best
			if !bestExact {
				inexact++
			}
		}
	}
	n := 0
	for _, p := range matched {
		if p != nil {
			n++
		}
	}
	switch strategy {
	case "last", "frequency":
		// the longest matching prefix of the query words counts
		k := 0
		for k < len(matched) && matched[k] != nil {
			k++
		}
		if k == 0 {
			return false
		}
		n = k
	default: // "all"
		if n != len(words) {
			return false
		}
	}
	m.words = n
	for i, p := range matched {
		if p == nil {
			continue
		}
		m.attribute += p.attr
		if i > 0 && matched[i-1] != nil {
			prev := matched[i-1]
			if prev.attr == p.attr {
				d := p.at - prev.at
				if d < 0 {
					d = -d + 1
				}
				m.proximity += min(d-1, 7)
			} else {
				m.proximity += 8
			}
		}
	}
	// exactness: an attribute equal to the whole query is best, then exact words.
	m.exact = 1 + inexact
	for _, ws := range attrs {
		if strings.Join(ws, " ") == strings.Join(words, " ") {
			m.exact = 0
			break
		}
	}
	return true
}

func sortMatches(ms []match, rules, sortBy []string, ranked bool) {
	less := func(a, b *match) int {
		for _, r := range rules {
			var c int
			switch r {
			case "words":
				c = b.words - a.words
			case "typo":
				c = a.typos - b.typos
			case "proximity":
				c = a.proximity - b.proximity
			case "attribute":
				c = a.attribute - b.attribute
			case "exactness":
				c = a.exact - b.exact
			case "sort":
				c = compareSort(a.doc, b.doc, sortBy)
			}
			if !ranked && r != "sort" {
				c = 0
			}
			if c != 0 {
				return c
			}
		}
		return a.ord - b.ord
	}
	sort.SliceStable(ms, func(i, j int) bool { return less(&ms[i], &ms[j]) < 0 })
}

func compareSort(a, b map[string]any, sortBy []string) int {
	for _, so := range sortBy {
		attr, dir, _ := strings.Cut(so, ":")
		av, _ := lookup(a, attr)
		bv, _ := lookup(b, attr)
		as, bs := "", ""
		if len(av) > 0 {
			as, _ = scalar(av[0])
		}
		if len(bv) > 0 {
			bs, _ = scalar(bv[0])
		}
		c := strings.Compare(strings.ToLower(as), strings.ToLower(bs))
		if x, err1 := strconv.ParseFloat(as, 64); err1 == nil {
			if y, err2 := strconv.ParseFloat(bs, 64); err2 == nil {
				switch {
				case x < y:
					c = -1
				case x > y:
					c = 1
				default:
					c = 0
				}
			}
		}
		if dir == "desc" {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}
