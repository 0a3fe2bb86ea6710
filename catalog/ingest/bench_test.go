package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// BenchmarkWalk (a Location listing four files of 2,500 components) measures reading, parsing, validating and relating entities
// (no store): the ingestion engine's own share of an import.
func BenchmarkWalk(b *testing.B) {
	dir := b.TempDir()
	f := filepath.Join(dir, "all.yaml")
	root := "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: bench\nspec:\n  targets:\n"
	for i := range 4 {
		name := fmt.Sprintf("entities-%d.yaml", i)
		writeGenerated(b, filepath.Join(dir, name), i*2500, 2500)
		root += "    - ./" + name + "\n"
	}
	if err := os.WriteFile(f, []byte(root), 0o644); err != nil {
		b.Fatal(err)
	}
	k, err := catalog.NewKinds(nil)
	if err != nil {
		b.Fatal(err)
	}
	e := New(nil, k, Options{})
	b.ResetTimer()
	for range b.N {
		out, _ := e.walkLocation(ctx, catalog.Location{Type: "file", Target: f}, nil, nil)
		if len(out.errors) > 0 {
			b.Fatal(out.errors[0])
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "entities/s")
}

func writeGenerated(b *testing.B, path string, from, count int) {
	b.Helper()
	n := 10000
	var sb strings.Builder
	for i := from; i < from+count; i++ {
		fmt.Fprintf(&sb, `---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc-%d
  description: Service number %d of the benchmark
  labels: {tier: "%d"}
  annotations: {github.com/project-slug: org/svc-%d}
  tags: [go, service]
spec:
  type: service
  lifecycle: production
  owner: group:team-%d
  system: sys-%d
  providesApis: [api-%d]
  consumesApis: [api-%d, api-%d]
  dependsOn: [resource:db-%d]
`, i, i, i%3, i, i%50, i%20, i, (i+1)%n, (i+7)%n, i%100)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}
