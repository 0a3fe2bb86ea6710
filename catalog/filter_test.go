package catalog

import (
	"encoding/json"
	"testing"
)

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ctx      RefContext
		err      bool
	}{
		{in: "component:default/foo", want: "component:default/foo"},
		{in: "Component:Foo", want: "component:default/foo"},
		{in: "guest", ctx: RefContext{DefaultKind: "Group"}, want: "group:default/guest"},
		{in: "ns/guest", ctx: RefContext{DefaultKind: "User", DefaultNamespace: "x"}, want: "user:ns/guest"},
		{in: "guest", ctx: RefContext{DefaultKind: "Group", DefaultNamespace: "dev"}, want: "group:dev/guest"},
		{in: "a/b:c", ctx: RefContext{DefaultKind: "k"}, want: "k:a/b:c"},
		{in: "guest", err: true},
		{in: ":x", err: true},
		{in: "k:/x", err: true},
		{in: "k:ns/", err: true},
	} {
		r, err := ParseRef(tc.in, tc.ctx)
		if tc.err {
			if err == nil {
				t.Errorf("ParseRef(%q) = %v, want error", tc.in, r)
			}
			continue
		}
		if err != nil || r.String() != tc.want {
			t.Errorf("ParseRef(%q) = %q, %v; want %q", tc.in, r.String(), err, tc.want)
		}
	}
}

func TestFilterParamsAndPredicate(t *testing.T) {
	e := []byte(`{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"Svc","tags":["Java","web"],"annotations":{"backstage.io/orphan":"true"}},"spec":{"type":"service","owner":"team-a"},"relations":[{"type":"ownedBy","targetRef":"group:default/team-a"}]}`)
	ts := TokensJSON(e)
	for _, tc := range []struct {
		params []string
		want   bool
	}{
		{[]string{"kind=component,spec.type=SERVICE"}, true},
		{[]string{"kind=component,spec.type=website"}, false},
		{[]string{"kind=api", "metadata.name=svc"}, true},
		{[]string{"spec.type=website,spec.type=service"}, true},
		{[]string{"metadata.tags.java"}, true},
		{[]string{"metadata.tags=web"}, true},
		{[]string{"relations.ownedby=group:default/team-a"}, true},
		{[]string{"metadata.annotations.backstage.io/orphan=true"}, true},
		{[]string{"spec.lifecycle"}, false},
		{[]string{"metadata.namespace=default"}, true},
	} {
		f, err := ParseFilterParams(tc.params)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.MatchTokens(ts); got != tc.want {
			t.Errorf("%v: got %v want %v", tc.params, got, tc.want)
		}
	}
	if _, err := ParseFilterParams([]string{"=x"}); err == nil {
		t.Error("empty key accepted")
	}
	for _, tc := range []struct {
		q    string
		want bool
	}{
		{`{"kind":"component","spec.type":{"$in":["service","website"]}}`, true},
		{`{"$not":{"kind":"component"}}`, false},
		{`{"$any":[]}`, false},
		{`{"$all":[]}`, true},
		{`{"metadata.name":{"$hasPrefix":"SV"}}`, true},
		{`{"relations":{"$contains":{"type":"ownedBy","targetRef":{"$in":["group:default/team-a"]}}}}`, true},
		{`{"metadata.tags":{"$contains":"java"}}`, true},
		{`{"spec.lifecycle":{"$exists":false}}`, true},
	} {
		f, err := ParsePredicate(json.RawMessage(tc.q))
		if err != nil {
			t.Fatalf("%s: %v", tc.q, err)
		}
		if got := f.MatchTokens(ts); got != tc.want {
			t.Errorf("%s: got %v want %v", tc.q, got, tc.want)
		}
	}
	for _, bad := range []string{`[]`, `{"$nope":1}`, `{"a":{"$in":"x"}}`, `{"a":{"$exists":1}}`} {
		if _, err := ParsePredicate(json.RawMessage(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestTokensOriginalsAndLimits(t *testing.T) {
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a'
	}
	b, _ := json.Marshal(map[string]any{"kind": "Component", "metadata": map[string]any{"name": "x", "description": string(long)}, "spec": map[string]any{"type": "Service"}})
	ts, orig := TokensWithOriginals(b)
	if orig["kind"]["component"] != "Component" || orig["spec.type"]["service"] != "Service" || ts["spec.type"][0] != "service" {
		t.Fatalf("originals: %v %v", orig, ts)
	}
	if v, ok := ts["metadata.description"]; !ok || len(v) != 0 {
		t.Fatalf("long value should be key-only, got %v %v", v, ok)
	}
}

func TestMetadataExtraRoundTrip(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"X","metadata":{"name":"n","custom":{"a":1}}}`
	var e Entity
	if err := json.Unmarshal([]byte(in), &e); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(&e)
	var back map[string]any
	json.Unmarshal(out, &back)
	if back["metadata"].(map[string]any)["custom"] == nil {
		t.Fatalf("extra metadata lost: %s", out)
	}
}
