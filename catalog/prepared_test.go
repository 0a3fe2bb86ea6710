package catalog_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/gen"
)

// TestStitchPreparedMatchesStitch: a prepared entity stitches to the same
// final JSON, etag, tokens and originals as the decoded one, for every
// entity of a generated organisation and with relations and errors or
// without; what cannot be prepared is refused.
func TestStitchPreparedMatchesStitch(t *testing.T) {
	errs := []catalog.ProcessingError{{Source: "url:https://e/x.yaml", Doc: 1, Name: "InputError", Message: `bad "field" <x>`}}
	n := 0
	for e := range gen.Organisation(600, 7) {
		n++
		ref := e.Ref().String()
		rows, bad := catalog.EmitRelations(e)
		if len(bad) > 0 {
			t.Fatal(bad)
		}
		// Rows from others towards it, and one with a key too long to index.
		rows = append(rows, catalog.RelationRow{Source: ref, Type: "dependencyOf", Target: "component:default/Upper-Case"},
			catalog.RelationRow{Source: ref, Type: "dependencyOf", Target: "component:default/" + string(bytes.Repeat([]byte("x"), 300))})
		if e.Metadata.Description == "" {
			e.Metadata.Description = "Ünïcode and <html> & \"quotes\""
		}
		body, err := catalog.BodyJSON(e)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := catalog.Prepare(e, body, "uid-"+ref)
		if !ok {
			t.Fatalf("%s not prepared", ref)
		}
		for i, c := range []struct {
			rows []catalog.RelationRow
			errs []catalog.ProcessingError
		}{{rows, nil}, {rows, errs}, {nil, nil}, {nil, errs}} {
			want, wantEtag, wantToks, wantOrig, err := catalog.StitchTokens(catalog.StitchInput{Entity: e, Ref: ref, UID: "uid-" + ref, Relations: c.rows, Errors: c.errs, Body: body})
			if err != nil {
				t.Fatal(err)
			}
			got, etag, toks, orig, err := catalog.StitchPrepared(p, ref, c.rows, c.errs)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) || etag != wantEtag {
				t.Fatalf("%s case %d: prepared\n%s\nstitched\n%s", ref, i, got, want)
			}
			if fmt.Sprint(toks) != fmt.Sprint(wantToks) || fmt.Sprint(orig) != fmt.Sprint(wantOrig) {
				t.Fatalf("%s case %d: tokens\n%v %v\nwant\n%v %v", ref, i, toks, orig, wantToks, wantOrig)
			}
		}
	}
	if n != 600 {
		t.Fatalf("%d entities generated", n)
	}

	e := &catalog.Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Group", Metadata: catalog.Metadata{Name: "g"}, Spec: map[string]any{"type": "team"}}
	body, err := catalog.BodyJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := catalog.Prepare(e, body, ""); ok {
		t.Error("prepared without a uid")
	}
	for name, mutate := range map[string]func(*catalog.Entity){
		"extra metadata": func(e *catalog.Entity) { e.Metadata.Extra = map[string]any{"x": "y"} },
		"orphan":         func(e *catalog.Entity) { e.Metadata.Annotations = map[string]string{catalog.AnnotationOrphan: "true"} },
	} {
		c := *e
		mutate(&c)
		b, err := catalog.BodyJSON(&c)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := catalog.Prepare(&c, b, "u"); ok {
			t.Errorf("%s: prepared", name)
		}
	}
	for _, b := range []string{`{"kind":"Group","apiVersion":"v","metadata":{"name":"g"}}`, `{"apiVersion":"v","kind":"Group","metadata":{}}`,
		`{"apiVersion":"v","kind":"Group","metadata":{"name":"g"},"relations":[]}`, `{"apiVersion":"v","kind":"Group","metadata":{"name":"g"}`} {
		if _, ok := catalog.Prepare(e, []byte(b), "u"); ok {
			t.Errorf("prepared body %s", b)
		}
	}
}
