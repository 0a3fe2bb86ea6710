package bleve

import (
	"sort"
	"strings"
	"sync"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	lev "github.com/blevesearch/vellum/levenshtein"

	"github.com/portico-dev/portico/search"
)

// Weights of a query word's derivations (Meilisearch's "exactness"): the
// word itself, a longer word it starts (as you type), a word within the typo
// budget. The field weights (name > title > text) are in the `all` field
// itself, where name words are repeated (see body).
const (
	weightExact  = 2.0
	weightPrefix = 1.2
	weightTypo   = 0.6
	// maxDerivations bounds the terms one query word expands to (a one-letter
	// prefix in a large dictionary): the most frequent are kept.
	maxDerivations = 12
	// maxScan bounds the dictionary entries read for one word's prefix.
	maxScan = 1000
)

// derivation is one dictionary term a query word matches, and its weight.
type derivation struct {
	term   string
	weight float64
	count  uint64
}

// derive lists the terms of the `all` dictionary that query word w matches:
// itself, (last word) the words it prefixes, and the words within its typo
// budget — for the last word also words whose prefix is within it. Every
// candidate is checked with search.WordMatches, the reference both backends
// follow.
func derive(r index.IndexReader, w string, last bool) ([]derivation, error) {
	found := map[string]derivation{}
	add := func(term string, count uint64) {
		typos := search.WordMatches(w, term, last)
		if typos < 0 {
			return
		}
		weight := weightExact
		switch {
		case typos > 0:
			weight = weightTypo / float64(typos)
		case term != w:
			weight = weightPrefix
		}
		if d, ok := found[term]; !ok || d.weight < weight {
			found[term] = derivation{term: term, weight: weight, count: count}
		}
	}
	read := func(fd index.FieldDict, err error) error {
		if err != nil {
			return err
		}
		defer fd.Close()
		for n := 0; n < maxScan; n++ {
			e, err := fd.Next()
			if err != nil || e == nil {
				return err
			}
			add(e.Term, e.Count)
		}
		return nil
	}
	if last {
		if err := read(r.FieldDictPrefix(fAll, []byte(w))); err != nil {
			return nil, err
		}
	} else {
		add(w, 0)
	}
	if n := search.Typos(w); n > 0 {
		// Whole words within the budget (bleve's Levenshtein automata count
		// an adjacent transposition as one edit, like WordMatches).
		if fr, ok := r.(index.IndexReaderFuzzy); ok {
			if err := read(fr.FieldDictFuzzy(fAll, w, n, "")); err != nil {
				return nil, err
			}
		}
		// A typo in what is typed so far (the last word as a prefix).
		if last {
			if err := typoPrefixTerms(r, w, n, add); err != nil {
				return nil, err
			}
		}
	}
	ds := make([]derivation, 0, len(found))
	for _, d := range found {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].weight != ds[j].weight {
			return ds[i].weight > ds[j].weight
		}
		if ds[i].count != ds[j].count {
			return ds[i].count > ds[j].count
		}
		return ds[i].term < ds[j].term
	})
	if len(ds) > maxDerivations {
		ds = ds[:maxDerivations]
	}
	return ds, nil
}

// Levenshtein automaton builders (with transpositions), built on first use:
// their tables take a while.
var (
	levOnce  [3]sync.Once
	levBuild [3]*lev.LevenshteinAutomatonBuilder
	levErr   [3]error
)

func levBuilder(d int) (*lev.LevenshteinAutomatonBuilder, error) {
	levOnce[d].Do(func() { levBuild[d], levErr[d] = lev.NewLevenshteinAutomatonBuilder(uint8(d), true) })
	return levBuild[d], levErr[d]
}

// prefixAutomaton accepts every word that starts with a word its Levenshtein
// DFA accepts: once the DFA matches, the state sticks to "match".
type prefixAutomaton struct{ dfa *lev.DFA }

const stickyMatch = 1 << 30

func (a prefixAutomaton) Start() int { return a.stick(a.dfa.Start()) }
func (a prefixAutomaton) stick(s int) int {
	if a.dfa.IsMatch(s) {
		return stickyMatch
	}
	return s
}
func (a prefixAutomaton) IsMatch(s int) bool         { return s == stickyMatch || a.dfa.IsMatch(s) }
func (a prefixAutomaton) CanMatch(s int) bool        { return s == stickyMatch || a.dfa.CanMatch(s) }
func (a prefixAutomaton) WillAlwaysMatch(s int) bool { return s == stickyMatch }
func (a prefixAutomaton) Accept(s int, b byte) int {
	if s == stickyMatch {
		return s
	}
	return a.stick(a.dfa.Accept(s, b))
}

// typoPrefixTerms visits the terms of `all` that start with a word within
// typos edits of w, walking each segment's dictionary with prefixAutomaton
// (bleve has no fuzzy prefix query). Other readers than scorch's get none.
func typoPrefixTerms(r index.IndexReader, w string, typos int, visit func(term string, count uint64)) error {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil
	}
	b, err := levBuilder(min(typos, 2))
	if err != nil {
		return err
	}
	dfa, err := b.BuildDfa(w, uint8(min(typos, 2)))
	if err != nil {
		return err
	}
	a := prefixAutomaton{dfa: dfa}
	for _, ss := range snap.Segments() {
		dict, err := ss.Segment().Dictionary(fAll)
		if err != nil {
			return err
		}
		it := dict.AutomatonIterator(a, nil, nil)
		for n := 0; n < maxScan; n++ {
			e, err := it.Next()
			if err != nil {
				return err
			}
			if e == nil {
				break
			}
			visit(e.Term, e.Count)
		}
	}
	return nil
}

// termQuery matches every word of term (the last one also as a prefix, as
// you type), each exactly or within its typo budget; an exact name match is
// boosted above everything else. It reads the term dictionary to expand the
// words, so only real terms are searched: one posting list per derivation,
// in one field.
func termQuery(r index.IndexReader, term string) (query.Query, error) {
	words := search.Words(term)
	if len(words) == 0 {
		return bv.NewMatchAllQuery(), nil
	}
	// An exact name match (the whole term is the name) implies every word
	// matches, so its boost joins the first word's alternatives instead of a
	// should clause (one searcher level less for every candidate).
	exact := bv.NewTermQuery(strings.ToLower(strings.TrimSpace(term)))
	exact.SetField(fExact)
	exact.SetBoost(50)
	perWord := make([]query.Query, 0, len(words))
	for i, w := range words {
		ds, err := derive(r, w, i == len(words)-1)
		if err != nil {
			return nil, err
		}
		if len(ds) == 0 {
			return bv.NewMatchNoneQuery(), nil // a word nothing matches: no document has all words
		}
		alts := make([]query.Query, 0, len(ds)+1)
		for _, d := range ds {
			t := bv.NewTermQuery(d.term)
			t.SetField(fAll)
			t.SetBoost(d.weight)
			alts = append(alts, t)
		}
		if i == 0 {
			alts = append(alts, exact)
		}
		if len(alts) == 1 {
			perWord = append(perWord, alts[0])
		} else {
			perWord = append(perWord, bv.NewDisjunctionQuery(alts...))
		}
	}
	if len(perWord) == 1 {
		return perWord[0], nil
	}
	return bv.NewConjunctionQuery(perWord...), nil
}

// multiValued are the filter fields a document may hold several values of.
var multiValued = map[string]bool{search.FieldOwnedBy: true, search.FieldTags: true}

// maxComplement bounds the distinct values of a field whose negation is
// rewritten as the other values (kind, lifecycle, type…; not name or ref).
const maxComplement = 64

// condQuery turns a translated condition into a bleve query whose clauses
// all have boost 0: a condition selects documents, it never ranks them.
func condQuery(r index.IndexReader, c search.Cond) (query.Query, error) {
	term := func(field, v string) query.Query {
		t := bv.NewTermQuery(v)
		t.SetField(field)
		t.SetBoost(0)
		return t
	}
	switch {
	case c.None:
		return bv.NewMatchNoneQuery(), nil
	case c.Field != "":
		if c.Op == search.CondExists {
			return term(fHas, c.Field), nil
		}
		alts := make([]query.Query, len(c.Values))
		for i, v := range c.Values {
			alts[i] = term("f_"+c.Field, v)
		}
		if len(alts) == 1 {
			return alts[0], nil
		}
		return bv.NewDisjunctionQuery(alts...), nil
	case c.Not != nil:
		if q, ok, err := complement(r, *c.Not, term); err != nil || ok {
			return q, err
		}
		inner, err := condQuery(r, *c.Not)
		if err != nil {
			return nil, err
		}
		all := bv.NewMatchAllQuery()
		all.SetBoost(0)
		b := bv.NewBooleanQuery()
		b.AddMust(all)
		b.AddMustNot(inner)
		return b, nil
	case len(c.Any) > 0, len(c.All) > 0:
		subs := c.Any
		if len(subs) == 0 {
			subs = c.All
		}
		parts := make([]query.Query, len(subs))
		for i, sub := range subs {
			q, err := condQuery(r, sub)
			if err != nil {
				return nil, err
			}
			parts[i] = q
		}
		if len(c.Any) > 0 {
			return bv.NewDisjunctionQuery(parts...), nil
		}
		return bv.NewConjunctionQuery(parts...), nil
	}
	all := bv.NewMatchAllQuery()
	all.SetBoost(0)
	return all, nil
}

// complement rewrites the negation of a leaf on a single-valued field as a
// positive query — "has no value" (f_lacks) or "has one of the field's other
// values" (read from its dictionary when it has at most maxComplement) —
// which only visits postings of the documents it selects, instead of every
// document minus the excluded ones (about three times faster on
// permission-like conditions). ok is false when it does not apply.
func complement(r index.IndexReader, c search.Cond, term func(field, v string) query.Query) (query.Query, bool, error) {
	if c.Field == "" || multiValued[c.Field] {
		return nil, false, nil
	}
	lacks := term(fLacks, c.Field)
	if c.Op == search.CondExists {
		return lacks, true, nil
	}
	fd, err := r.FieldDict("f_" + c.Field)
	if err != nil {
		return nil, false, err
	}
	defer fd.Close()
	excluded := make(map[string]bool, len(c.Values))
	for _, v := range c.Values {
		excluded[v] = true
	}
	alts := []query.Query{lacks}
	for n := 0; ; n++ {
		e, err := fd.Next()
		if err != nil {
			return nil, false, err
		}
		if e == nil {
			break
		}
		if n == maxComplement {
			return nil, false, nil
		}
		if !excluded[e.Term] {
			alts = append(alts, term("f_"+c.Field, e.Term))
		}
	}
	return bv.NewDisjunctionQuery(alts...), true, nil
}
