package authz_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/identity"
)

// FuzzParsePolicy: any input is parsed or refused with an error, never a
// panic; an accepted policy compiles, decides, and survives its own JSON.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(testPolicy))
	f.Add(authz.DefaultPolicy().JSON())
	f.Add([]byte(`{"roles": {"a": {"inherits": ["a"]}}, "rules": []}`))
	f.Add([]byte("roles: {r: {}}\nrules: [{subject: r, permissions: [\"catalog.*\"], conditions: {not: {anyOf: [{rule: HAS_SPEC, params: {key: x, value: y}}]}}}]"))
	f.Add([]byte("bindings: [{subject: 'group:x/y', roles: [r]}]\nroles: {r: {}}\nrules: []"))
	p := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/x", Claims: []string{"user:default/x", "group:default/y"}, Roles: []string{"r"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		pol, err := authz.ParsePolicy(data)
		if err != nil {
			return
		}
		a, err := authz.New(pol)
		if err != nil {
			t.Fatalf("accepted policy does not compile: %v\n%s", err, data)
		}
		for _, perm := range authz.Permissions() {
			d := a.DecideFor(p, perm.Name)
			_ = d.Filter()
		}
		again, err := authz.ParsePolicy(pol.JSON())
		if err != nil {
			t.Fatalf("policy JSON does not parse back: %v\n%s", err, pol.JSON())
		}
		if !reflect.DeepEqual(again.JSON(), pol.JSON()) {
			t.Fatalf("policy JSON changes on a round trip:\n%s\n%s", pol.JSON(), again.JSON())
		}
	})
}

// FuzzParseCriteria: conditions parse or fail cleanly; accepted ones turn
// into a filter and round-trip through JSON unchanged.
func FuzzParseCriteria(f *testing.F) {
	f.Add([]byte(`{"rule": "IS_ENTITY_OWNER"}`))
	f.Add([]byte(`{"rule": "isEntityOwner", "params": {"claims": ["group:default/a"]}}`))
	f.Add([]byte(`{"anyOf": [{"rule": "IS_ENTITY_KIND", "params": {"kinds": ["Component"]}}, {"not": {"rule": "HAS_ANNOTATION", "params": {"annotation": "a/b", "value": "c"}}}]}`))
	f.Add([]byte(`{"allOf": [{"rule": "HAS_LABEL", "params": {"label": "tier"}}, {"rule": "HAS_METADATA", "params": {"key": "title"}}]}`))
	f.Add([]byte(`{"rule": "HAS_SPEC", "resourceType": "catalog-entity", "params": {"key": "type", "value": "service"}}`))
	f.Add([]byte(`{"not": {"not": {"not": {"rule": "IS_ENTITY_OWNER"}}}}`))
	p := identity.Principal{Kind: identity.KindUser, UserRef: "user:default/x", Claims: []string{"user:default/x"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := authz.ParseCriteria(data)
		if err != nil {
			return
		}
		r := c.Resolve(p)
		_ = r.Filter()
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := authz.ParseCriteria(b)
		if err != nil {
			t.Fatalf("criteria JSON does not parse back: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(again)
		if string(b) != string(b2) {
			t.Fatalf("criteria change on a round trip:\n%s\n%s", b, b2)
		}
	})
}
