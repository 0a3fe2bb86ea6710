package postings

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/catalog"
)

// docState lists what the index holds for doc id: each posting as
// key=value(original), the keys it has several values for, and its ref.
func docState(ix *Index, id uint32) string {
	ix.RLock()
	defer ix.RUnlock()
	if !ix.live(id) {
		return "absent"
	}
	var out []string
	for _, vid := range ix.posts.get(ix.docs[id].posts) {
		k := ix.keyByID[ix.val(vid).key]
		out = append(out, fmt.Sprintf("%s=%s(%s)", k.name, ix.valStr(vid), ix.origStr(vid)))
		if ix.hasMulti(k, id) {
			out = append(out, "multi:"+k.name)
		}
	}
	sort.Strings(out)
	return ix.Ref(id) + " " + strings.Join(out, " ")
}

// TestRestageMatchesStage: a doc restaged with its stitched keys replaced
// ends as if its new tokens had been staged whole — whether the doc was
// staged in the same batch or committed before — and values only the old
// tokens used are gone.
func TestRestageMatchesStage(t *testing.T) {
	const ref = "component:default/svc"
	body := catalog.TokenSet{"kind": {"component"}, "metadata.name": {"svc"}, "metadata.tags": {"go", "java"}, "spec.owner": {"team-a"}}
	with := func(etag string, rels map[string][]string) catalog.TokenSet {
		ts := catalog.TokenSet{"metadata.etag": {etag}}
		for k, v := range body {
			ts[k] = v
		}
		for k, v := range rels {
			ts[k] = v
		}
		return ts
	}
	before := with("e1", map[string][]string{"relations.ownedby": {"group:default/a"}, "relations.dependencyof": {"component:default/x", "component:default/y"}})
	after := with("e2", map[string][]string{"relations.ownedby": {"group:default/a"}, "relations.dependencyof": {"component:default/z"}, "relations.providesapi": {"api:default/p", "api:default/q"}})
	var add catalog.TokenSet = catalog.TokenSet{}
	for k, v := range after {
		if catalog.IsStitchedKey(k) {
			add[k] = v
		}
	}
	orig := catalog.Originals{{Key: "relations.providesapi", Value: "api:default/p", Orig: "API:default/P"}}
	other := Doc{ID: 9, Ref: "component:default/other", Tokens: catalog.Flatten(catalog.TokenSet{"kind": {"component"}, "relations.dependencyof": {"component:default/y"}})}

	want := New()
	want.Apply([]Doc{other, {ID: 1, Ref: ref, Tokens: catalog.Flatten(after), Orig: orig}}, nil)
	wantState := docState(want, 1)
	check := func(t *testing.T, ix *Index) {
		t.Helper()
		if got := docState(ix, 1); got != wantState {
			t.Fatalf("restaged:\n%s\nstaged whole:\n%s", got, wantState)
		}
		ix.RLock()
		defer ix.RUnlock()
		if !ix.Filter(catalog.Eq("relations.dependencyOf", "component:default/x")).IsEmpty() || !ix.Filter(catalog.Eq("metadata.etag", "e1")).IsEmpty() {
			t.Fatal("an old stitched value still matches")
		}
		if f := ix.Facet(nil, "relations.dependencyof"); fmt.Sprint(f) != "[{component:default/y 1} {component:default/z 1}]" {
			t.Fatalf("facet %v", f)
		}
		if f := ix.Facet(nil, "relations.providesapi"); fmt.Sprint(f) != "[{API:default/P 1} {api:default/q 1}]" {
			t.Fatalf("facet %v", f)
		}
		if ix.lookup(ix.keys["relations.dependencyof"], "component:default/x") != 0 || ix.lookup(ix.keys["metadata.etag"], "e1") != 0 {
			t.Fatal("a value only the old tokens used is still in the dictionary")
		}
	}
	restage := func(t *testing.T, ix *Index, prev *Staged) Staged {
		t.Helper()
		st, ok := ix.Restage(1, ref, prev, catalog.IsStitchedKey, catalog.Flatten(add), orig)
		if !ok {
			t.Fatal("not restaged")
		}
		return st
	}

	t.Run("staged in the same apply", func(t *testing.T) {
		ix := New()
		ix.Apply([]Doc{other}, nil)
		first := ix.Stage([]Doc{{ID: 1, Ref: ref, Tokens: catalog.Flatten(before)}})
		again := restage(t, ix, &first[0])
		ix.Commit(append(first, again), nil)
		check(t, ix)
	})
	t.Run("superseded in the same apply", func(t *testing.T) {
		ix := New()
		ix.Apply([]Doc{other}, nil)
		first := ix.Stage([]Doc{{ID: 1, Ref: ref, Tokens: catalog.Flatten(before)}})
		again := restage(t, ix, &first[0])
		first[0].Supersede()
		ix.Commit(append(first, again), nil)
		check(t, ix)
	})
	t.Run("committed", func(t *testing.T) {
		ix := New()
		ix.Apply([]Doc{other, {ID: 1, Ref: ref, Tokens: catalog.Flatten(before)}}, nil)
		ix.Commit([]Staged{restage(t, ix, nil)}, nil)
		check(t, ix)
	})
	t.Run("aborted", func(t *testing.T) {
		ix := New()
		ix.Apply([]Doc{other}, nil)
		first := ix.Stage([]Doc{{ID: 1, Ref: ref, Tokens: catalog.Flatten(before)}})
		ix.Abort(append(first, restage(t, ix, &first[0])))
		if got := docState(ix, 1); got != "absent" {
			t.Fatalf("after abort: %s", got)
		}
		if _, ok := ix.keys["relations.providesapi"]; ok {
			t.Fatal("a key only the aborted docs used is still in the dictionary")
		}
	})
	t.Run("no such doc", func(t *testing.T) {
		ix := New()
		ix.Apply([]Doc{other}, nil)
		if _, ok := ix.Restage(1, ref, nil, catalog.IsStitchedKey, nil, nil); ok {
			t.Fatal("restaged a doc the index does not have")
		}
		if _, ok := ix.Restage(9, ref, nil, catalog.IsStitchedKey, nil, nil); ok {
			t.Fatal("restaged a doc under another ref")
		}
		first := ix.Stage([]Doc{{ID: 2, Ref: "component:default/two", Tokens: catalog.Flatten(before)}})
		if _, ok := ix.Restage(1, ref, &first[0], catalog.IsStitchedKey, nil, nil); ok {
			t.Fatal("restaged from another doc's staged tokens")
		}
		ix.Abort(first)
	})
}
