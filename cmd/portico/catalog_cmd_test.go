package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const goodComponent = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"

func TestCatalogValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeTestFile(t, dir, "good.yaml", goodComponent)
	bad := writeTestFile(t, dir, "bad.yaml", goodComponent+"---\n"+
		"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: service\n  lifecycle: production\n"+
		"---\napiVersion: backstage.io/v1alpha1\nkind: Widget\nmetadata:\n  name: w\nspec: {}\n")
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"catalog", "validate", good}, &out, &errb); code != 0 || out.Len() != 0 {
		t.Fatalf("good file: code %d, out %q, err %q", code, out.String(), errb.String())
	}
	out.Reset()
	code := dispatch(context.Background(), []string{"catalog", "validate", good, bad}, &out, &errb)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code != 1 || len(lines) != 2 {
		t.Fatalf("bad file: code %d, output:\n%s", code, out.String())
	}
	// doc 1 has no owner: the line is its spec's (14); doc 2's kind is on line 19.
	if !strings.HasPrefix(lines[0], bad+":14: doc 1: spec.owner: ") {
		t.Errorf("line 0 = %q, want FILE:14: doc 1: spec.owner: …", lines[0])
	}
	if !strings.HasPrefix(lines[1], bad+":19: doc 2: kind: ") || !strings.Contains(lines[1], `"Widget"`) {
		t.Errorf("line 1 = %q, want FILE:19: doc 2: kind: …Widget…", lines[1])
	}

	// A custom kind becomes valid with --config.
	schema, _ := filepath.Abs("../../catalog/schemas/kinds/AiResource.v1alpha1.schema.json")
	cfg := writeTestFile(t, dir, "portico.yaml", "catalog:\n  kinds:\n    - schema: "+schema+"\n")
	ai, _ := filepath.Abs("../../catalog/ingest/testdata/backstage/ai-resources/frontend-design-skill.yaml")
	out.Reset()
	if code := dispatch(context.Background(), []string{"catalog", "validate", ai}, &out, &errb); code != 1 {
		t.Errorf("AiResource without config: code %d", code)
	}
	out.Reset()
	if code := dispatch(context.Background(), []string{"catalog", "validate", "--config", cfg, ai}, &out, &errb); code != 0 {
		t.Errorf("AiResource with config: code %d: %s", code, out.String())
	}
}

func TestCatalogImportLocal(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	f := writeTestFile(t, dir, "catalog-info.yaml", goodComponent)
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"catalog", "import", f, "--data", data}, &out, &errb); code != 0 {
		t.Fatalf("import: code %d: %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "2 entities") || !strings.Contains(out.String(), "added 2") {
		t.Errorf("import output %q", out.String())
	}
	out.Reset()
	errb.Reset()
	if code := dispatch(context.Background(), []string{"catalog", "import", "--data", data, f}, &out, &errb); code != 0 {
		t.Fatalf("re-import: code %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "already registered") || !strings.Contains(out.String(), "unchanged 2") {
		t.Errorf("re-import: out %q err %q", out.String(), errb.String())
	}
}
