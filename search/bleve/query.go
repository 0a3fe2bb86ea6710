package bleve

import (
	"strings"

	bv "github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/portico-dev/portico/search"
)

// Per-field weights: a match in the name counts most, then the title.
var fieldBoost = map[string]float64{fName: 4, fTitle: 3, fText: 1, fKeywords: 1}

// termQuery matches every word of term (the last one also as a prefix, as
// you type), each exactly or within its typo budget, in the name, title, text
// or keywords; an exact name match is boosted above everything else.
func termQuery(term string) query.Query {
	words := search.Words(term)
	if len(words) == 0 {
		return bv.NewMatchAllQuery()
	}
	var perWord []query.Query
	for i, w := range words {
		last := i == len(words)-1
		var alts []query.Query
		// Exact words score per field; typo and prefix matches go through one
		// combined field (a quarter of the term-dictionary walks).
		for field, boost := range fieldBoost {
			t := bv.NewTermQuery(w)
			t.SetField(field)
			t.SetBoost(boost * 2)
			alts = append(alts, t)
		}
		if last {
			p := bv.NewPrefixQuery(w)
			p.SetField(fAll)
			p.SetBoost(1.5)
			np := bv.NewPrefixQuery(w)
			np.SetField(fName)
			np.SetBoost(3)
			alts = append(alts, p, np)
		}
		if n := search.Typos(w); n > 0 {
			f := bv.NewFuzzyQuery(w)
			f.SetField(fAll)
			f.SetFuzziness(n)
			f.SetBoost(0.5)
			alts = append(alts, f)
		}
		perWord = append(perWord, bv.NewDisjunctionQuery(alts...))
	}
	b := bv.NewBooleanQuery()
	b.AddMust(perWord...)
	exact := bv.NewTermQuery(strings.ToLower(strings.TrimSpace(term)))
	exact.SetField(fExact)
	exact.SetBoost(50)
	b.AddShould(exact)
	return b
}

// condQuery turns a translated condition into a bleve query.
func condQuery(c search.Cond) query.Query {
	switch {
	case c.None:
		return bv.NewMatchNoneQuery()
	case c.Field != "":
		if c.Op == search.CondExists {
			t := bv.NewTermQuery(c.Field)
			t.SetField(fHas)
			return t
		}
		alts := make([]query.Query, len(c.Values))
		for i, v := range c.Values {
			t := bv.NewTermQuery(v)
			t.SetField("f_" + c.Field)
			alts[i] = t
		}
		if len(alts) == 1 {
			return alts[0]
		}
		return bv.NewDisjunctionQuery(alts...)
	case c.Not != nil:
		b := bv.NewBooleanQuery()
		b.AddMust(bv.NewMatchAllQuery())
		b.AddMustNot(condQuery(*c.Not))
		return b
	case len(c.Any) > 0:
		alts := make([]query.Query, len(c.Any))
		for i, s := range c.Any {
			alts[i] = condQuery(s)
		}
		return bv.NewDisjunctionQuery(alts...)
	case len(c.All) > 0:
		parts := make([]query.Query, len(c.All))
		for i, s := range c.All {
			parts[i] = condQuery(s)
		}
		return bv.NewConjunctionQuery(parts...)
	}
	return bv.NewMatchAllQuery()
}
