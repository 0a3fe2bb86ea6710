package catalog

import (
	"fmt"
	"strings"
	"testing"
)

const benchComponent = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: petstore
  description: The pet store service
  labels:
    backstage.io/tier: gold
  annotations:
    github.com/project-slug: acme/petstore
    backstage.io/techdocs-ref: dir:.
  tags: [java, rest]
  links:
    - url: https://example.com/petstore
      title: Home
spec:
  type: service
  lifecycle: production
  owner: team-a
  system: pets
  providesApis: [petstore-api]
  consumesApis: [payments-api, auth-api]
  dependsOn: [resource:petstore-db]
`

// BenchmarkCheck is Check of a typical Component (the ingest hot path).
func BenchmarkCheck(b *testing.B) {
	k := mustKinds(b)
	docs, err := ParseDocuments(src, []byte(benchComponent), ParseLimits{})
	if err != nil || docs[0].Err != nil {
		b.Fatal(err, docs[0].Err)
	}
	doc := docs[0].Value
	b.ReportAllocs()
	for b.Loop() {
		if e, errs := k.Check(doc); e == nil {
			b.Fatal(errs)
		}
	}
}

// BenchmarkCheckEmit is Check plus EmitRelations.
func BenchmarkCheckEmit(b *testing.B) {
	k := mustKinds(b)
	docs, _ := ParseDocuments(src, []byte(benchComponent), ParseLimits{})
	doc := docs[0].Value
	b.ReportAllocs()
	for b.Loop() {
		e, _ := k.Check(doc)
		if rows, _ := EmitRelations(e); len(rows) != 12 {
			b.Fatalf("rows %d", len(rows))
		}
	}
}

// BenchmarkParseCheckEmit is the whole model path for one document:
// ParseDocuments, Check and EmitRelations.
func BenchmarkParseCheckEmit(b *testing.B) {
	k := mustKinds(b)
	data := []byte(benchComponent)
	b.ReportAllocs()
	for b.Loop() {
		docs, err := ParseDocuments(src, data, ParseLimits{})
		if err != nil {
			b.Fatal(err)
		}
		e, _ := k.CheckDocument(&docs[0])
		EmitRelations(e)
	}
}

// BenchmarkParseMany is ParseDocuments of a 1000-document file, per document.
func BenchmarkParseMany(b *testing.B) {
	var sb strings.Builder
	for i := range 1000 {
		sb.WriteString("---\n")
		sb.WriteString(strings.Replace(benchComponent, "name: petstore", fmt.Sprintf("name: petstore-%d", i), 1))
	}
	data := []byte(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		docs, err := ParseDocuments(src, data, ParseLimits{})
		if err != nil || len(docs) != 1000 {
			b.Fatal(err, len(docs))
		}
	}
}

// BenchmarkCheckJSONSchema is the same validation through the JSON Schema
// library, for comparison with the hand-written rules.
func BenchmarkCheckJSONSchema(b *testing.B) {
	sc, err := newSchemaCompiler(nil)
	if err != nil {
		b.Fatal(err)
	}
	sch, err := sc.compileEmbedded("kinds/Component.v1alpha1.schema.json")
	if err != nil {
		b.Fatal(err)
	}
	docs, _ := ParseDocuments(src, []byte(benchComponent), ParseLimits{})
	doc := docs[0].Value
	b.ReportAllocs()
	for b.Loop() {
		if err := sch.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}
