package ingest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/sqlite"
)

// A refresh skips what did not change, and only that: a source is parsed
// again when its bytes, what it pulls in ($text), the Location entities it
// holds, its errors or the stored entities it produced changed.
func TestUnchangedSourcesSkipped(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, Options{})
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", component("alpha")+"---\n"+component("alpha-two"))
	writeFile(t, dir, "doc.txt", "version one")
	writeFile(t, dir, "b.yaml", component("beta")+"  description:\n    $text: ./doc.txt\n")
	writeFile(t, dir, "d.yaml", component("delta"))
	writeFile(t, dir, "c.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: nested\nspec:\n  targets: [./d.yaml]\n")
	writeFile(t, dir, "bad.yaml", component("broken")+"---\nkind: Component\nmetadata:\n  name: 'x y'\n")
	root := writeFile(t, dir, "all.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: root\nspec:\n  targets: [./a.yaml, ./b.yaml, ./c.yaml, ./bad.yaml]\n")
	loc, r1 := addLocation(t, e, st, "file", root)
	if r1.SourcesUnchanged != 0 || len(r1.Errors) == 0 {
		t.Fatalf("first run: %+v", r1)
	}
	writes := st.(*sqlite.Store).RowWrites()
	before := snapshotJSON(t, st)

	// Nothing changed: a.yaml and d.yaml are skipped; b.yaml ($text),
	// c.yaml (a Location), bad.yaml (errors) and the root are read again.
	r2 := process(t, e, loc)
	if r2.SourcesUnchanged != 2 {
		t.Fatalf("unchanged refresh skipped %d sources, want 2 (a.yaml, d.yaml): %+v", r2.SourcesUnchanged, r2)
	}
	if r2.Result.Added+r2.Result.Updated+r2.Result.Orphaned+r2.Result.Deleted != 0 || r2.Result.Unchanged != r1.Result.Added {
		t.Fatalf("unchanged refresh %+v after %+v", r2.Result, r1.Result)
	}
	if len(r2.Errors) != len(r1.Errors) || r2.Entities != r1.Entities {
		t.Fatalf("unchanged refresh reports %d errors / %d entities, first %d / %d", len(r2.Errors), r2.Entities, len(r1.Errors), r1.Entities)
	}
	if w := st.(*sqlite.Store).RowWrites(); w != writes {
		t.Fatalf("unchanged refresh wrote %d rows", w-writes)
	}
	if after := snapshotJSON(t, st); len(after) != len(before) {
		t.Fatalf("unchanged refresh changed the catalog: %d → %d entities", len(before), len(after))
	}

	// What a skipped-over source pulls in changes: beta follows.
	writeFile(t, dir, "doc.txt", "version two")
	process(t, e, loc)
	if got := mustGet(t, st, "component:default/beta").Spec["description"]; got != "version two" {
		t.Fatalf("beta's $text description = %q after its target changed", got)
	}
	// A nested target changes while its Location file does not.
	writeFile(t, dir, "d.yaml", component("delta", "  system: sys"))
	if r := process(t, e, loc); r.SourcesUnchanged != 1 {
		t.Fatalf("after d.yaml changed, %d sources skipped, want 1 (a.yaml)", r.SourcesUnchanged)
	}
	if mustGet(t, st, "component:default/delta").Spec["system"] != "sys" {
		t.Fatal("a changed nested target was not read")
	}
	// An entity of an unchanged file is deleted by uid: it comes back.
	alpha := mustGet(t, st, "component:default/alpha")
	if err := st.DeleteEntityByUID(ctx, alpha.Metadata.UID); err != nil {
		t.Fatal(err)
	}
	if r := process(t, e, loc); r.SourcesUnchanged != 1 {
		t.Fatalf("after a delete by uid, %d sources skipped, want 1 (d.yaml)", r.SourcesUnchanged)
	}
	mustGet(t, st, "component:default/alpha")
	// The file itself changes; a removed document is orphan-deleted.
	writeFile(t, dir, "a.yaml", component("alpha"))
	process(t, e, loc)
	if get(t, st, "component:default/alpha-two") != nil {
		t.Fatal("alpha-two survived its removal from an edited file")
	}
	// An explicit refresh reads everything.
	if err := e.RefreshEntity(ctx, "component:default/alpha"); err != nil {
		t.Fatal(err)
	}
	if r := process(t, e, loc); r.SourcesUnchanged == 0 {
		t.Fatal("nothing skipped after a full refresh remembered the sources")
	}
	// A removed file is noticed although it was clean.
	if err := os.Remove(filepath.Join(dir, "d.yaml")); err != nil {
		t.Fatal(err)
	}
	r := process(t, e, loc)
	if findError(r.Errors, "d.yaml") == nil {
		t.Fatalf("a missing nested target is not reported: %+v", r.Errors)
	}
}

func snapshotJSON(t *testing.T, st catalog.Store) map[string]string {
	t.Helper()
	p, err := st.QueryEntities(ctx, catalog.Query{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range p.Items {
		out[r.Ref] = string(r.JSON)
	}
	return out
}
