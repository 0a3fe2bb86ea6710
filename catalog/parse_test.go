package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const src = "file:/repo/catalog-info.yaml"

func mustParse(t *testing.T, data string) []Document {
	t.Helper()
	docs, err := ParseDocuments(src, []byte(data), ParseLimits{})
	if err != nil {
		t.Fatalf("ParseDocuments: %v", err)
	}
	return docs
}

func TestParseDocumentsMultiAndLines(t *testing.T) {
	docs := mustParse(t, `# leading comment
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: a
---
# only a comment: skipped
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: b
  labels:
    backstage.io/team: x
spec:
  children: []
---
`)
	if len(docs) != 2 {
		t.Fatalf("got %d documents, want 2", len(docs))
	}
	if docs[0].Index != 0 || docs[0].Line != 3 || docs[1].Index != 1 || docs[1].Line != 10 {
		t.Fatalf("index/line = %d/%d, %d/%d", docs[0].Index, docs[0].Line, docs[1].Index, docs[1].Line)
	}
	if got := docs[1].LineOf("metadata.labels.backstage.io/team"); got != 15 {
		t.Errorf("LineOf label = %d, want 15", got)
	}
	if got := docs[1].LineOf("labels.backstage.io/team"); got != 15 {
		t.Errorf("LineOf policy-style label = %d, want 15", got)
	}
	if got := docs[1].LineOf("spec.owner"); got != 16 {
		t.Errorf("LineOf missing field = %d, want the parent's line 16", got)
	}
	if docs[0].Source != src {
		t.Errorf("source = %q", docs[0].Source)
	}
}

func TestParseDocumentsJSONCompatible(t *testing.T) {
	docs := mustParse(t, `a: 1
b: 2.5
c: true
d: null
e: 2001-12-14t21:59:43.10-05:00
f: [0x10, "x", {g: ~}]
h: !custom tagged
base: &b {x: 1, y: 2}
merged:
  <<: *b
  y: 3
`)
	want := map[string]any{
		"a": 1.0, "b": 2.5, "c": true, "d": nil, "e": "2001-12-14t21:59:43.10-05:00",
		"f":    []any{16.0, "x", map[string]any{"g": nil}},
		"h":    "tagged",
		"base": map[string]any{"x": 1.0, "y": 2.0}, "merged": map[string]any{"x": 1.0, "y": 3.0},
	}
	if docs[0].Err != nil {
		t.Fatal(docs[0].Err)
	}
	if !reflect.DeepEqual(docs[0].Value, want) {
		t.Fatalf("got %#v\nwant %#v", docs[0].Value, want)
	}
}

func TestParseDocumentsJSONInput(t *testing.T) {
	docs := mustParse(t, `{"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "j"}, "spec": {"n": 3}}`)
	if len(docs) != 1 || docs[0].Err != nil || docs[0].Value["spec"].(map[string]any)["n"] != 3.0 {
		t.Fatalf("got %+v", docs)
	}
}

func TestParseDocumentsNonStringKey(t *testing.T) {
	docs := mustParse(t, "a: 1\n3: x\n")
	e := docs[0].Err
	if e == nil || e.Line != 2 || !strings.Contains(e.Message, `"3"`) || !strings.Contains(e.Message, "not a string") {
		t.Fatalf("err = %+v", e)
	}
}

func TestParseDocumentsDuplicateKey(t *testing.T) {
	docs := mustParse(t, "metadata:\n  name: a\n  title: t\n  name: b\n")
	e := docs[0].Err
	if e == nil || e.Line != 4 || !strings.Contains(e.Message, `duplicate key "name"`) || !strings.Contains(e.Message, "line 2") {
		t.Fatalf("err = %+v", e)
	}
	if e.Source != src || e.Doc != 0 || e.Name != "InputError" {
		t.Fatalf("err = %+v", e)
	}
}

func TestParseDocumentsInvalidYAMLAmongGood(t *testing.T) {
	docs := mustParse(t, `a: 1
---
b: [unclosed
c: 2
---
d: 3
`)
	if len(docs) != 3 {
		t.Fatalf("got %d docs", len(docs))
	}
	if docs[0].Err != nil || docs[2].Err != nil || docs[2].Value["d"] != 3.0 || docs[2].Index != 2 {
		t.Fatalf("good documents broken: %+v / %+v", docs[0], docs[2])
	}
	e := docs[1].Err
	if e == nil || e.Doc != 1 || e.Line < 2 || e.Line > 4 || !strings.HasPrefix(e.Message, "YAML error") {
		t.Fatalf("bad document err = %+v", e)
	}
}

func TestParseDocumentsTabIndentation(t *testing.T) {
	docs := mustParse(t, "metadata:\n\tname: a\n")
	e := docs[0].Err
	if e == nil || e.Line != 2 || !strings.Contains(e.Message, "tab") && !strings.Contains(e.Message, "cannot start any token") {
		t.Fatalf("err = %+v", e)
	}
}

func TestParseDocumentsNotAnObject(t *testing.T) {
	docs := mustParse(t, "- a\n- b\n---\njust text\n")
	for i, d := range docs {
		if d.Err == nil || !strings.Contains(d.Err.Message, "expected an object") {
			t.Errorf("doc %d: %+v", i, d.Err)
		}
	}
}

func TestParseDocumentsNonUTF8(t *testing.T) {
	_, err := ParseDocuments(src, []byte("a: 1\nb: \xff\xfe\n"), ParseLimits{})
	var fe *FileError
	if !errors.As(err, &fe) || fe.Line != 2 || !strings.Contains(fe.Msg, "UTF-8") || fe.Source != src {
		t.Fatalf("err = %v", err)
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("FileError does not unwrap to InputError")
	}
	if pe := fe.ProcessingError(); pe.Doc != -1 || pe.Source != src {
		t.Fatalf("processing error = %+v", pe)
	}
}

func TestParseDocumentsBOM(t *testing.T) {
	docs := mustParse(t, "\xef\xbb\xbfa: 1\n")
	if docs[0].Err != nil || docs[0].Value["a"] != 1.0 {
		t.Fatalf("%+v", docs[0])
	}
}

func TestParseDocumentsTooBig(t *testing.T) {
	big := bytes.Repeat([]byte("a: 1\n"), 50<<20/5)
	_, err := ParseDocuments(src, big, ParseLimits{})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "larger than the limit of 10485760 bytes") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseDocumentsAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	_, err := ParseDocuments(src, []byte(b.String()), ParseLimits{})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "alias") {
		t.Fatalf("err = %v", err)
	}
	// Modest alias use is fine.
	docs := mustParse(t, "x: &x {k: v}\ny: *x\nz: *x\n")
	if docs[0].Err != nil || docs[0].Value["z"].(map[string]any)["k"] != "v" {
		t.Fatalf("%+v", docs[0])
	}
}

func TestParseDocumentsDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	docs := mustParse(t, "ok: 1\n---\na: "+deep+"\n")
	if docs[0].Err != nil {
		t.Fatalf("first doc: %v", docs[0].Err)
	}
	if e := docs[1].Err; e == nil || !strings.Contains(e.Message, "deeper than the limit of 64") {
		t.Fatalf("err = %+v", e)
	}
	// Nesting that would make the parser recurse a million levels is refused
	// before parsing.
	huge := strings.Repeat("[", 1_000_000)
	docs = mustParse(t, "a: "+huge+"\n")
	if e := docs[0].Err; e == nil || !strings.Contains(e.Message, "deeper than the limit") {
		t.Fatalf("err = %+v", e)
	}
	block := strings.Repeat("- ", 200_000) + "x\n"
	docs = mustParse(t, block)
	if e := docs[0].Err; e == nil || !strings.Contains(e.Message, "deeper than the limit") {
		t.Fatalf("err = %+v", e)
	}
}

func TestParseDocumentsTooManyDocuments(t *testing.T) {
	data := strings.Repeat("---\na: 1\n", 11)
	_, err := ParseDocuments(src, []byte(data), ParseLimits{MaxDocuments: 10})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Msg, "more than 10 documents") {
		t.Fatalf("err = %v", err)
	}
}

func TestParseDocumentsMarkerWithContent(t *testing.T) {
	docs := mustParse(t, "--- {a: 1}\n--- {b: 2}\n")
	if len(docs) != 2 || docs[0].Value["a"] != 1.0 || docs[1].Value["b"] != 2.0 {
		t.Fatalf("%+v", docs)
	}
}

func TestFormatProcessingError(t *testing.T) {
	got := FormatProcessingError(ProcessingError{Source: src, Doc: 2, Line: 7, Field: "spec.owner", Entity: "component:default/a", Message: "m"})
	want := "file:/repo/catalog-info.yaml:7 (document 2) component:default/a: spec.owner: m"
	if got != want {
		t.Fatalf("got %q", got)
	}
}

func TestParseDocumentsDirectivesAndEndMarkers(t *testing.T) {
	docs := mustParse(t, "%YAML 1.2\n---\na: 1\n...\n---\nb: 2\n...\n")
	if len(docs) != 2 || docs[0].Value["a"] != 1.0 || docs[1].Value["b"] != 2.0 || docs[1].Index != 1 {
		t.Fatalf("%+v", docs)
	}
	docs = mustParse(t, "a: 1\n...\n---\nb: 2\n")
	if len(docs) != 2 || docs[1].Value["b"] != 2.0 || docs[1].Line != 4 {
		t.Fatalf("%+v", docs)
	}
}

// Only a document decoded by the fast path without a '$' in its text is
// known to hold no substitution; an escaped key ("\x24text", decoded by
// yaml.v3) is a substitution too.
func TestMayHavePlaceholders(t *testing.T) {
	docs := mustParse(t, "kind: Component\nmetadata:\n  name: a\n---\nkind: API\nspec:\n  definition:\n    $text: ./api.yaml\n---\nkind: API\nspec:\n  definition:\n    \"\\x24text\": ./api.yaml\n")
	if len(docs) != 3 {
		t.Fatalf("%d documents", len(docs))
	}
	for i, want := range []bool{false, true, true} {
		if got := docs[i].MayHavePlaceholders(); got != want {
			t.Errorf("document %d: MayHavePlaceholders = %v, want %v", i, got, want)
		}
	}
	def := docs[2].Value["spec"].(map[string]any)["definition"].(map[string]any)
	if _, ok := def["$text"]; !ok {
		t.Fatalf("escaped key decoded as %v", def)
	}
}
