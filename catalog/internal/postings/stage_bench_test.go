package postings

import (
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/gen"
)

// BenchmarkStage stages a generated organisation's documents into an empty
// index, 128 a batch, and commits them once, as a store's apply does; ns/op
// is per document.
func BenchmarkStage(b *testing.B) {
	var docs []Doc
	id := uint32(1)
	for e := range gen.Organisation(50000, 5) {
		ts, orig := catalog.TokensOfEntity(e)
		docs = append(docs, Doc{ID: id, Ref: e.Ref().String(), Tokens: ts, Orig: orig})
		id++
	}
	b.ResetTimer()
	for n := 0; n < b.N; {
		ix := New()
		var staged []Staged
		for start := 0; start < len(docs) && n < b.N; start += 128 {
			batch := docs[start:min(start+128, len(docs))]
			staged = append(staged, ix.Stage(batch)...)
			n += len(batch)
		}
		ix.Commit(staged, nil)
	}
}
