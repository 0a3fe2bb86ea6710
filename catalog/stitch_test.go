package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStitch(t *testing.T) {
	e := &Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
		Metadata:  Metadata{Name: "svc", Annotations: map[string]string{"a": "b"}, Extra: map[string]any{"custom": "x"}},
		Relations: []Relation{{Type: "ignored", TargetRef: "x:y/z"}}}
	in := StitchInput{Entity: e, Ref: "component:default/svc", UID: "uid-1",
		Relations: []RelationRow{
			{Source: "component:default/svc", Type: "partOf", Target: "system:default/b"},
			{Source: "group:default/g", Type: "ownerOf", Target: "component:default/svc"}, // not ours
			{Source: "component:default/svc", Type: "ownedBy", Target: "group:default/g"},
			{Source: "component:default/svc", Type: "partOf", Target: "system:default/a"},
			{Source: "component:default/svc", Type: "partOf", Target: "system:default/a"},
		},
		Errors: []ProcessingError{{Name: "InputError", Message: "bad owner"}},
		Orphan: true,
	}
	final, etag, err := Stitch(in)
	if err != nil {
		t.Fatal(err)
	}
	var got Entity
	if err := json.Unmarshal(final, &got); err != nil {
		t.Fatal(err)
	}
	if got.Metadata.UID != "uid-1" || got.Metadata.Etag != etag || len(etag) != 40 {
		t.Fatalf("uid/etag: %+v %s", got.Metadata, etag)
	}
	var rels []string
	for _, r := range got.Relations {
		rels = append(rels, r.Type+">"+r.TargetRef)
	}
	if strings.Join(rels, " ") != "ownedBy>group:default/g partOf>system:default/a partOf>system:default/b" {
		t.Fatalf("relations: %v", rels)
	}
	if got.Metadata.Annotations[AnnotationOrphan] != "true" || got.Metadata.Annotations["a"] != "b" || got.Metadata.Extra["custom"] != "x" {
		t.Fatalf("metadata: %+v", got.Metadata)
	}
	if e.Metadata.Annotations[AnnotationOrphan] != "" {
		t.Fatalf("Stitch modified its input")
	}
	if got.Status == nil || got.Status.Items[0].Message != "InputError: bad owner" || got.Status.Items[0].Level != "error" {
		t.Fatalf("status: %+v", got.Status)
	}
	// Deterministic; content changes change the etag.
	final2, etag2, _ := Stitch(in)
	if string(final2) != string(final) || etag2 != etag {
		t.Fatalf("stitch is not deterministic")
	}
	in.Orphan = false
	if _, etag3, _ := Stitch(in); etag3 == etag {
		t.Fatalf("etag did not change with content")
	}
	if _, _, err := Stitch(StitchInput{Ref: "x"}); err == nil {
		t.Fatalf("stitch without body succeeded")
	}
}

func TestBodyJSONAndErrors(t *testing.T) {
	e := &Entity{Kind: "API", Metadata: Metadata{Name: "a", UID: "u", Etag: "e"}, Relations: []Relation{{Type: "t", TargetRef: "r"}}, Status: &Status{}}
	b, err := BodyJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "relations") || strings.Contains(s, "status") || strings.Contains(s, `"uid"`) || strings.Contains(s, "etag") {
		t.Fatalf("body keeps stitched fields: %s", s)
	}
	if EncodeErrors(nil) != "" {
		t.Fatalf("no errors must encode to empty")
	}
	errs := []ProcessingError{{Source: "s", Doc: 2, Name: "InputError", Message: "m"}}
	back, err := DecodeErrors(EncodeErrors(errs))
	if err != nil || len(back) != 1 || back[0] != errs[0] {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	if _, err := DecodeErrors("{"); err == nil {
		t.Fatalf("bad errors JSON decoded")
	}
}

// The final JSON spliced from the body is byte for byte the entity encoded
// whole, and so is its etag, whatever the entity carries.
func TestStitchFromBodyMatchesEncoding(t *testing.T) {
	ref := "component:default/x"
	base := func() *Entity {
		return &Entity{APIVersion: "backstage.io/v1alpha1", Kind: "Component",
			Metadata: Metadata{Name: "x", Namespace: "default", Title: `<b>&"quoted"</b> é`, Description: "line\nbreak\u2028",
				Labels: map[string]string{"a": "1", "z": "<"}, Annotations: map[string]string{AnnotationManagedByLocation: "url:https://e/x.yaml"},
				Tags: []string{"go", "<html>"}, Links: []Link{{URL: "https://e/?a=1&b=2", Title: "t"}}},
			Spec: map[string]any{"type": "service", "owner": "group:default/team", "n": 3.5, "nested": map[string]any{"k": []any{"v", true, nil}}}}
	}
	rels := []RelationRow{{Source: ref, Type: "ownedBy", Target: "group:default/team"}, {Source: ref, Type: "dependsOn", Target: "resource:default/db"},
		{Source: "group:default/team", Type: "ownerOf", Target: ref}}
	errs := []ProcessingError{{Source: "url:https://e/x.yaml", Doc: 1, Name: "InputError", Message: "bad <field>"}}
	cases := map[string]func() (*Entity, StitchInput){
		"plain":     func() (*Entity, StitchInput) { return base(), StitchInput{} },
		"relations": func() (*Entity, StitchInput) { return base(), StitchInput{Relations: rels} },
		"errors":    func() (*Entity, StitchInput) { return base(), StitchInput{Relations: rels, Errors: errs} },
		"orphan":    func() (*Entity, StitchInput) { return base(), StitchInput{Relations: rels, Orphan: true} },
		"no uid":    func() (*Entity, StitchInput) { return base(), StitchInput{Relations: rels} },
		"no spec":   func() (*Entity, StitchInput) { e := base(); e.Spec = nil; return e, StitchInput{} },
		"extra keys": func() (*Entity, StitchInput) {
			e := base()
			e.Metadata.Extra = map[string]any{"zz": 1.0}
			return e, StitchInput{}
		},
		"odd version": func() (*Entity, StitchInput) {
			e := base()
			e.APIVersion = `a"metadata":{/v1`
			return e, StitchInput{Relations: rels}
		},
		"with status":  func() (*Entity, StitchInput) { e := base(); e.Status = &Status{}; return e, StitchInput{Errors: errs} },
		"minimal meta": func() (*Entity, StitchInput) { e := base(); e.Metadata = Metadata{Name: "x"}; return e, StitchInput{} },
	}
	for name, mk := range cases {
		e, in := mk()
		in.Entity, in.Ref = e, ref
		if name != "no uid" {
			in.UID = "0191-uid"
		}
		want, wantEtag, err := Stitch(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.Body, err = BodyJSON(e); err != nil {
			t.Fatal(err)
		}
		got, etag, err := Stitch(in)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != string(want) || etag != wantEtag {
			t.Errorf("%s: spliced\n%s\nwant\n%s", name, got, want)
		}
		c := *e
		c.Metadata.UID, c.Metadata.Etag = in.UID, etagPlaceholder
		fallback := name == "orphan" || name == "no uid" || name == "extra keys"
		if _, _, spliced, _ := spliceFinal(in, &c); spliced == fallback {
			t.Errorf("%s: spliced %v, want %v", name, spliced, !fallback)
		}
	}
}
