package catalog

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
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
	k, _ := orig.Get("kind", "component")
	st, _ := orig.Get("spec.type", "service")
	if _, ok := orig.Get("metadata.name", "x"); ok || k != "Component" || st != "Service" || ts["spec.type"][0] != "service" {
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

// Of two spellings of one value, the first in the entity is the original;
// Get finds every key's values in the sorted list.
func TestOriginalsFirstSpellingWins(t *testing.T) {
	b := []byte(`{"kind":"Component","metadata":{"name":"x","tags":["Foo","FOO","bar","Baz"]},"spec":{"owner":"Team-A","type":"Service"}}`)
	ts, orig := TokensWithOriginals(b)
	want := map[[2]string]string{
		{"kind", "component"}: "Component", {"metadata.tags", "foo"}: "Foo", {"metadata.tags", "baz"}: "Baz",
		{"spec.owner", "team-a"}: "Team-A", {"spec.type", "service"}: "Service",
	}
	if len(orig) != len(want) {
		t.Fatalf("%d originals, want %d: %v", len(orig), len(want), orig)
	}
	for kv, o := range want {
		if got, ok := orig.Get(kv[0], kv[1]); !ok || got != o {
			t.Errorf("Get(%q, %q) = %q, %v; want %q", kv[0], kv[1], got, ok, o)
		}
	}
	for _, kv := range [][2]string{{"metadata.tags", "bar"}, {"metadata.tags", "fo"}, {"spec", "team-a"}, {"zzz", "x"}} {
		if got, ok := orig.Get(kv[0], kv[1]); ok {
			t.Errorf("Get(%q, %q) = %q, want none", kv[0], kv[1], got)
		}
	}
	if fmt.Sprint(ts["metadata.tags"]) != "[bar baz foo]" {
		t.Fatalf("tags: %v", ts["metadata.tags"])
	}
}

// Flat tokens: sorted by key and value, duplicates gone, a key-only token
// only for a key without values; Set and Flatten convert both ways.
func TestFlatTokens(t *testing.T) {
	b := []byte(`{"kind":"K","metadata":{"name":"n"},"spec":{"e":[],"m":{},"z":null,"t":["B","a","b"],"x":[{"y":null},{"y":"v"}]}}`)
	ft, _ := FlatTokensWithOriginals(b)
	var got []string
	for _, tok := range ft {
		if tok.KeyOnly {
			got = append(got, tok.Key+"?")
		} else {
			got = append(got, tok.Key+"="+tok.Value)
		}
	}
	want := "[kind=k metadata.name=n metadata.namespace=default spec.e? spec.m? spec.t=a spec.t=b spec.t.a=true spec.t.b=true spec.x.y=v spec.z?]"
	if fmt.Sprint(got) != want {
		t.Fatalf("flat tokens:\n got %v\nwant %s", got, want)
	}
	ts := TokensJSON(b)
	if fmt.Sprint(ft.Set()) != fmt.Sprint(ts) || fmt.Sprint(Flatten(ts)) != fmt.Sprint(ft) {
		t.Fatalf("conversions differ:\n%v\n%v", ft.Set(), ts)
	}
}

// toLower agrees with strings.ToLower on every byte at every position of
// strings around the word size.
func TestToLower(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte("abcdefghijklmnopqrstuvwxyz"[:n])
				b[pos] = byte(c)
				s := string(b)
				if got, want := toLower(s), strings.ToLower(s); got != want {
					t.Fatalf("toLower(%q) = %q, want %q", s, got, want)
				}
			}
		}
	}
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 20000; i++ { // upper case ASCII anywhere, sometimes a byte that is not ASCII
		b := make([]byte, rng.Intn(40))
		for j := range b {
			b[j] = byte(rng.Intn(0x80))
		}
		if len(b) > 0 && rng.Intn(8) == 0 {
			b[rng.Intn(len(b))] = byte(0x80 + rng.Intn(0x80))
		}
		s := string(b)
		if got, want := toLower(s), strings.ToLower(s); got != want {
			t.Fatalf("toLower(%q) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"", "metadata.annotations.backstage.io/managed-by-location", "Component:Default/X", "ÄÖÜ straße", "spec.dependsOn"} {
		if got, want := toLower(s), strings.ToLower(s); got != want {
			t.Fatalf("toLower(%q) = %q, want %q", s, got, want)
		}
	}
}

// Ref.String is the lower-cased kind:namespace/name, the namespace
// defaulted, for any bytes.
func TestRefString(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	pick := []string{"", "Component", "default", "API", "Ünïcode", "a-B_c.9", "ÄB", "\xff", "Z"}
	for i := 0; i < 2000; i++ {
		r := Ref{Kind: pick[rng.Intn(len(pick))], Namespace: pick[rng.Intn(len(pick))], Name: pick[rng.Intn(len(pick))]}
		ns := r.Namespace
		if ns == "" {
			ns = DefaultNamespace
		}
		if got, want := r.String(), strings.ToLower(r.Kind+":"+ns+"/"+r.Name); got != want {
			t.Fatalf("%#v.String() = %q, want %q", r, got, want)
		}
	}
}
