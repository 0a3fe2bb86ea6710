package catalog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelPipelineFixture runs the whole model path over a file mixing good
// and bad documents: every error names the file, document, line and field,
// and the good documents come through with their relations.
func TestModelPipelineFixture(t *testing.T) {
	path, err := filepath.Abs("testdata/model/mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	source := "file:" + path
	docs, err := ParseDocuments(source, data, ParseLimits{})
	if err != nil {
		t.Fatal(err)
	}
	k := mustKinds(t)
	var ents []*Entity
	var rows []RelationRow
	var errs []ProcessingError
	for i := range docs {
		d := &docs[i]
		if d.Err == nil {
			if _, err := ResolvePlaceholders(context.Background(), d.Value, path, localReader{}); err != nil {
				t.Fatalf("doc %d: %v", i, err)
			}
		}
		e, perrs := k.CheckDocument(d)
		errs = append(errs, perrs...)
		if e != nil {
			ents = append(ents, e)
			r, rerrs := EmitRelations(e)
			rows = append(rows, r...)
			errs = append(errs, d.Annotate(rerrs)...)
		}
	}
	if len(docs) != 7 || len(ents) != 3 {
		t.Fatalf("docs %d, entities %d", len(docs), len(ents))
	}
	if !strings.Contains(ents[1].SpecString("definition"), "title: Good API") {
		t.Errorf("definition = %q", ents[1].SpecString("definition"))
	}
	want := []struct {
		doc, line  int
		field, msg string
	}{
		{2, 28, "metadata.name", `found "Bad Name"`},
		{3, 38, "", `duplicate key "name" (first defined at line 37)`},
		{4, 0, "", "YAML error"},
		{5, 43, "kind", `Unknown kind "Gadget"`},
	}
	if len(errs) != len(want) {
		t.Fatalf("errors: %+v", errs)
	}
	for i, w := range want {
		e := errs[i]
		if e.Source != source || e.Doc != w.doc || (w.line > 0 && e.Line != w.line) || e.Field != w.field || !strings.Contains(e.Message, w.msg) {
			t.Errorf("error %d = %+v, want %+v", i, e, w)
		}
	}
	for _, w := range []RelationRow{
		{"component:development/good-one", "ownedBy", "group:development/team-a"},
		{"group:development/team-a", "ownerOf", "component:development/good-one"},
		{"api:development/good-api", "apiProvidedBy", "component:development/good-one"},
		{"user:development/alice", "memberOf", "group:development/team-a"},
	} {
		if !hasRow(rows, w.Source, w.Type, w.Target) {
			t.Errorf("missing %+v", w)
		}
	}
}

func TestDocumentPlaceholderErrors(t *testing.T) {
	docs := mustParse(t, "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata: {name: a}\nspec:\n  type: openapi\n  definition:\n    $text: https://github.com/x/y.yaml\n")
	_, err := ResolvePlaceholders(context.Background(), docs[0].Value, "/repo/catalog-info.yaml", localReader{})
	pes := docs[0].PlaceholderErrors(err)
	if len(pes) != 1 || pes[0].Field != "spec.definition" || pes[0].Line != 6 || pes[0].Source != src || pes[0].Doc != 0 ||
		!strings.Contains(pes[0].Message, "https://github.com/x/y.yaml") {
		t.Fatalf("%+v", pes)
	}
	if docs[0].PlaceholderErrors(nil) != nil {
		t.Fatal("nil error gave errors")
	}
}
