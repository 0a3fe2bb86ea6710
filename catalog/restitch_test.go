package catalog

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// TestRestitchFinalMatchesStitch: patching a stored final JSON with new
// relation rows gives byte for byte what stitching the entity with them
// does, with the same etag, for every shape Stitch writes.
func TestRestitchFinalMatchesStitch(t *testing.T) {
	const ref = "component:default/svc"
	body := func() *Entity {
		return &Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
			Metadata: Metadata{Name: "svc", Description: `says "hi" {and} [more]`, Annotations: map[string]string{"a": "relations"}},
			Spec:     map[string]any{"type": "service", "owner": "g", "nested": map[string]any{"relations": []any{"x", "}"}}}}
	}
	withExtra := body()
	withExtra.Metadata.Extra = map[string]any{"custom": map[string]any{"status": "x"}}
	noSpec := body()
	noSpec.Spec = nil
	rowsA := []RelationRow{
		{Source: ref, Type: "ownedBy", Target: "group:default/g"},
		{Source: "group:default/g", Type: "ownerOf", Target: ref},
	}
	rowsB := append(slices.Clone(rowsA),
		RelationRow{Source: ref, Type: "dependencyOf", Target: "component:default/z"},
		RelationRow{Source: ref, Type: "dependencyOf", Target: `component:default/"quoted"`},
		RelationRow{Source: ref, Type: "dependencyOf", Target: "component:default/a"})
	errs := []ProcessingError{{Name: "InputError", Message: `bad "owner"`}}
	for _, c := range []struct {
		name     string
		e        *Entity
		from, to []RelationRow
		errs     []ProcessingError
		orphan   bool
		withBody bool
	}{
		{name: "spliced, rows added", e: body(), from: rowsA, to: rowsB, withBody: true},
		{name: "spliced, rows removed", e: body(), from: rowsB, to: rowsA, withBody: true},
		{name: "spliced, from none", e: body(), from: nil, to: rowsB, withBody: true},
		{name: "spliced, to none", e: body(), from: rowsB, to: rowsA[1:], withBody: true},
		{name: "with status", e: body(), from: rowsA, to: rowsB, errs: errs, withBody: true},
		{name: "status, no relations before", e: body(), from: nil, to: rowsB, errs: errs, withBody: true},
		{name: "status, no relations after", e: body(), from: rowsB, to: nil, errs: errs, withBody: true},
		{name: "orphan", e: body(), from: rowsA, to: rowsB, errs: errs, orphan: true},
		{name: "extra metadata", e: withExtra, from: rowsA, to: rowsB},
		{name: "no spec", e: noSpec, from: rowsB, to: rowsA},
	} {
		t.Run(c.name, func(t *testing.T) {
			stitchWith := func(rows []RelationRow) ([]byte, string) {
				in := StitchInput{Entity: c.e, Ref: ref, UID: "uid-1", Relations: rows, Errors: c.errs, Orphan: c.orphan}
				if c.withBody {
					b, err := BodyJSON(c.e)
					if err != nil {
						t.Fatal(err)
					}
					in.Body = b
				}
				final, etag, err := Stitch(in)
				if err != nil {
					t.Fatal(err)
				}
				return final, etag
			}
			old, oldEtag := stitchWith(c.from)
			want, wantEtag := stitchWith(c.to)
			got, etag, rels, ok := RestitchFinal(old, oldEtag, ref, c.to)
			if !ok {
				t.Fatalf("not patched:\n%s", old)
			}
			if !bytes.Equal(got, want) || etag != wantEtag {
				t.Fatalf("patched:\n%s %s\nstitched:\n%s %s", got, etag, want, wantEtag)
			}
			if fmt.Sprint(rels) != fmt.Sprint(StitchRelations(ref, c.to)) {
				t.Fatalf("relations %v", rels)
			}
			// The new tokens are the old ones with the stitched keys replaced.
			oldToks, _ := FlatTokensWithOriginals(old)
			wantToks, wantOrig := FlatTokensWithOriginals(want)
			add, addOrig := StitchedTokens(etag, rels)
			var kept FlatTokens
			for _, tk := range oldToks {
				if !IsStitchedKey(tk.Key) {
					kept = append(kept, tk)
				}
			}
			merged := sortTokens(append(kept, add...))
			if fmt.Sprint(merged) != fmt.Sprint(wantToks) {
				t.Fatalf("tokens:\n%v\nwant\n%v", merged, wantToks)
			}
			for _, o := range addOrig {
				if got, _ := wantOrig.Get(o.Key, o.Value); got != o.Orig {
					t.Fatalf("original %v: want %q", o, got)
				}
			}
		})
	}
}

// TestRestitchFinalRefusesOtherShapes: anything but what Stitch writes is
// left to a full stitch.
func TestRestitchFinalRefusesOtherShapes(t *testing.T) {
	const ref = "component:default/svc"
	etag := "0123456789abcdef0123456789abcdef01234567"
	meta := `"metadata":{"uid":"u","etag":"` + etag + `","name":"svc"}`
	for _, final := range []string{
		``,
		`[]`,
		`{"apiVersion":"v","kind":"Component",` + meta + `,"relations":[],"spec":{}}`,   // relations not last
		`{"apiVersion":"v","kind":"Component",` + meta + `,"status":{},"relations":[]}`, // wrong order
		`{"apiVersion":"v","kind":"Component",` + meta + `,"relations":[],"relations":[]}`,
		`{"apiVersion":"v","kind":"Component","metadata":{"uid":"u","etag":"other","name":"svc"}}`,
		`{"kind":"Component","apiVersion":"v",` + meta + `}`,
		`{"apiVersion":"v","kind":"Component",` + meta + `,"spec":{"a":[}]}}`,
		`{"apiVersion":"v","kind":"Component",` + meta + `,"spec":"unterminated}`,
		`{"apiVersion":"v","kind":"Component",` + meta + `}x`,
		`{"apiVersion":"v","kind":"Component",` + meta,
	} {
		if _, _, _, ok := RestitchFinal([]byte(final), etag, ref, nil); ok {
			t.Errorf("patched %s", final)
		}
	}
	ok := `{"apiVersion":"v","kind":"Component",` + meta + `,"spec":{"a":["}",{"b":"]"}]}}`
	if _, _, _, patched := RestitchFinal([]byte(ok), etag, ref, nil); !patched {
		t.Errorf("did not patch %s", ok)
	}
}
