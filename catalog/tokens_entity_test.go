package catalog_test

import (
	"reflect"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/gen"
	"github.com/portico-dev/portico/catalog/storetest"
)

// StitchTokens must tokenise exactly as TokensWithOriginals does on the
// final JSON (the reference both stores' filters are defined by).
func TestStitchTokensMatchesJSON(t *testing.T) {
	kinds, err := catalog.NewKinds(nil)
	if err != nil {
		t.Fatal(err)
	}
	var ents []*catalog.Entity
	var rels [][]catalog.RelationRow
	// A generated organisation as ingest sees it: YAML, decoded and checked.
	for e := range gen.Organisation(600, 7) {
		docs, err := catalog.ParseDocuments("file:/x.yaml", gen.AppendYAML(nil, e), catalog.ParseLimits{})
		if err != nil || len(docs) != 1 || docs[0].Err != nil {
			t.Fatalf("parse %s: %v %+v", e.Ref(), err, docs)
		}
		ent, errs := kinds.Check(docs[0].Value)
		if ent == nil {
			t.Fatalf("check %s: %v", e.Ref(), errs)
		}
		rs, _ := catalog.EmitRelations(ent)
		ents, rels = append(ents, ent), append(rels, rs)
	}
	// Go-built entities (Spec values of any type), and the generated store data.
	for _, p := range storetest.Generate(3, 300) {
		ents, rels = append(ents, p.Entity), append(rels, p.Relations)
	}
	odd := storetest.E("Component", "ns", "odd", "type", "service", "replicas", 3, "ports", []int{80, 443},
		"tags", []string{"A", "a"}, "nothing", nil, "empty", map[string]any{}, "list", []any{})
	odd.Metadata.Title = "Odd <&> One"
	odd.Metadata.Extra = map[string]any{"x-Custom": map[string]any{"Deep": []any{"V", 1.5, true}}, "title": "ignored"}
	odd.Metadata.Links = []catalog.Link{{URL: "https://x"}, {URL: "https://y", Title: "Y", Icon: "i", Type: "t"}}
	ents, rels = append(ents, odd), append(rels, nil)
	for i, e := range ents {
		for _, orphan := range []bool{false, true} {
			in := catalog.StitchInput{Entity: e, Ref: e.Ref().String(), UID: "u-1", Relations: catalog.CanonicalRelations(rels[i]), Orphan: orphan,
				Errors: []catalog.ProcessingError{{Name: "InputError", Message: "m"}}}
			final, etag, ts, orig, err := catalog.StitchTokens(in)
			if err != nil {
				t.Fatal(err)
			}
			f2, e2, err := catalog.Stitch(in)
			if err != nil || string(f2) != string(final) || e2 != etag {
				t.Fatalf("%s: StitchTokens' JSON differs from Stitch's", in.Ref)
			}
			wts, worig := catalog.TokensWithOriginals(final)
			if !reflect.DeepEqual(ts.Set(), wts) {
				t.Fatalf("%s tokens:\n got %v\nwant %v", in.Ref, ts.Set(), wts)
			}
			// The flat forms agree too, token for token.
			fts, forig := catalog.FlatTokensWithOriginals(final)
			if !reflect.DeepEqual(ts, fts) || !reflect.DeepEqual(ts, catalog.Flatten(wts)) || !reflect.DeepEqual(forig, worig) {
				t.Fatalf("%s flat tokens:\n got %v\nwant %v", in.Ref, ts, fts)
			}
			if len(orig) != 0 || len(worig) != 0 {
				if !reflect.DeepEqual(orig, worig) {
					t.Fatalf("%s originals:\n got %v\nwant %v", in.Ref, orig, worig)
				}
			}
		}
	}
}

func BenchmarkTokensOfEntity(b *testing.B) {
	var ents []*catalog.Entity
	for e := range gen.Organisation(2000, 3) {
		ents = append(ents, e)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		catalog.TokensOfEntity(ents[i%len(ents)])
	}
}
