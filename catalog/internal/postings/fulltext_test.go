package postings

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/portico-dev/portico/catalog"
)

// FullText over the joined values answers exactly what a strings.Contains
// per value answers, and follows writes (the blob is rebuilt per generation).
func TestFullTextMatchesContains(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	words := []string{"pay", "payments", "ment", "api", "a", "", "gateway", "pa", "ymen", "über", "x\x00y"}
	ix := New()
	docs := map[uint32]catalog.TokenSet{}
	put := func(n int) {
		var puts []Doc
		for i := 0; i < n; i++ {
			id := uint32(rng.Intn(200) + 1)
			ts := catalog.TokenSet{"kind": {"component"}}
			for _, k := range []string{"metadata.name", "metadata.description"} {
				if rng.Intn(5) > 0 {
					ts[k] = []string{words[rng.Intn(len(words))] + words[rng.Intn(len(words))]}
				}
			}
			docs[id] = ts
			puts = append(puts, Doc{ID: id, Ref: fmt.Sprintf("component:default/e%d", id), Tokens: catalog.Flatten(ts)})
		}
		ix.Apply(puts, nil)
	}
	check := func(round int) {
		t.Helper()
		for _, term := range []string{"pay", "PAY", "ment", "a", "ymen", "über", "yp", "nothing", "", "x\x00y", "apia"} {
			got := ix.FullText(term, []string{"metadata.name", "Metadata.Description "})
			want := 0
			lt := strings.ToLower(term)
			for id, ts := range docs {
				hit := false
				for _, k := range []string{"metadata.name", "metadata.description"} {
					for _, v := range ts[k] {
						hit = hit || strings.Contains(v, lt)
					}
				}
				if hit {
					want++
					if !got.Contains(id) {
						t.Fatalf("round %d, term %q: %d (%v) missing", round, term, id, ts)
					}
				}
			}
			if int(got.GetCardinality()) != want {
				t.Fatalf("round %d, term %q: %d ids, want %d", round, term, got.GetCardinality(), want)
			}
		}
	}
	put(150)
	check(1)
	put(80) // rewrites some, adds others
	check(2)
}

// BenchmarkFullText100k: the catalog list's text filter over names, titles
// and descriptions of 100,000 entities, by the joined-values scan and by the
// previous strings.Contains per value (for comparison).
func BenchmarkFullText100k(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	vocab := strings.Fields("payment payments ledger stream playback catalog search identity token billing invoice gateway " +
		"router events kafka topic cache edge video audio license device session profile account order checkout")
	phrase := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[rng.Intn(len(vocab))]
		}
		return strings.Join(ws, " ")
	}
	ix := New()
	var puts []Doc
	for i := 1; i <= 100_000; i++ {
		puts = append(puts, Doc{ID: uint32(i), Ref: fmt.Sprintf("component:default/c%d", i), Tokens: catalog.Flatten(catalog.TokenSet{
			"metadata.name":        {fmt.Sprintf("%s-%d", strings.ReplaceAll(phrase(2), " ", "-"), i)},
			"metadata.title":       {phrase(3)},
			"metadata.description": {phrase(9) + fmt.Sprintf(" (%d)", i)},
		})})
	}
	ix.Apply(puts, nil)
	keys := []string{"metadata.name", "metadata.title", "metadata.description"}
	ix.FullText("warm", keys) // the blobs of this generation
	for _, term := range []string{"checkout", "ledger-strea", "no such words"} {
		b.Run("joined/"+term, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ix.FullText(term, keys)
			}
		})
		b.Run("per-value/"+term, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var bms []*roaring.Bitmap
				for _, k := range keys {
					ix.keys[k].values.each(func(vid uint32) {
						if strings.Contains(ix.valStr(vid), term) {
							bms = append(bms, ix.bitmap(ix.val(vid)))
						}
					})
				}
				roaring.FastOr(bms...)
			}
		})
	}
}
