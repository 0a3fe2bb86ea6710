package ingest

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBadFilesKeepWhatWasStored replaces a good file, in a glob beside
// another good file, with each kind of broken input: the error names the
// file, the neighbour still ingests, and the entity stored from the broken
// file is kept.
func TestBadFilesKeepWhatWasStored(t *testing.T) {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	cases := []struct{ name, content, want string }{
		{"invalid YAML", "kind: Component\nmetadata: {name: [x\n", "YAML"},
		{"tab indentation", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n\tname: x\n", "YAML"},
		{"non-UTF-8", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: \xff\xfe\n", "UTF-8"},
		{"alias bomb", bomb, "alias"},
		{"deep nesting", "a: " + strings.Repeat("[", 500) + strings.Repeat("]", 500) + "\n", "deep"},
		{"duplicate keys", component("x") + "metadata:\n  name: y\n", "duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			e := newEngine(t, st, Options{})
			dir := t.TempDir()
			writeFile(t, dir, "a/catalog-info.yaml", component("neighbour"))
			bad := writeFile(t, dir, "b/catalog-info.yaml", component("victim"))
			loc, _ := addLocation(t, e, st, "file", filepath.Join(dir, "*", "catalog-info.yaml"))
			writeFile(t, dir, "a/catalog-info.yaml", component("neighbour", "  system: updated"))
			writeFile(t, dir, "b/catalog-info.yaml", c.content)
			r := process(t, e, loc)
			var found bool
			for _, pe := range r.Errors {
				if pe.Source == "file:"+bad && strings.Contains(strings.ToLower(pe.Message), strings.ToLower(c.want)) {
					found = true
				}
			}
			if !found {
				t.Errorf("want an error on %s mentioning %q, got %+v", bad, c.want, r.Errors)
			}
			if r.Result.Orphaned+r.Result.Deleted != 0 {
				t.Errorf("entities lost: %+v", r.Result)
			}
			if mustGet(t, st, "component:default/neighbour").SpecString("system") != "updated" {
				t.Error("the good neighbour was not updated")
			}
			mustGet(t, st, "component:default/victim")
		})
	}
}
