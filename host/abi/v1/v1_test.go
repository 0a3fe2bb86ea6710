package v1

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/portico-dev/portico/host/services"
)

func TestAnswerErrorDocuments(t *testing.T) {
	mem := services.NewMemory()
	e := &Env{Plugin: "p", Grant: services.Grant{KV: true}, Services: mem.Set()}
	for _, c := range []struct {
		name string
		h    handler
		req  string
		code string
	}{
		{"not json", e.kvGet, `nope`, CodeInvalidArgument},
		{"no abi", e.kvGet, `{"key":"a"}`, CodeInvalidArgument},
		{"wrong abi", e.kvGet, `{"abi":2,"key":"a"}`, CodeInvalidArgument},
		{"long key", e.kvGet, `{"abi":1,"key":"` + strings.Repeat("k", MaxKeyBytes+1) + `"}`, CodeInvalidArgument},
		{"no value", e.kvSet, `{"abi":1,"key":"a"}`, CodeInvalidArgument},
		{"catalog not granted", e.catalogGet, `{"abi":1,"ref":"component:x"}`, CodePermissionDenied},
		{"secret not granted", e.secretGet, `{"abi":1,"name":"token"}`, CodePermissionDenied},
		{"bad list limit", e.kvList, `{"abi":1,"limit":5000}`, CodeInvalidArgument},
		{"bad log level", e.log, `{"abi":1,"level":"shout","message":"x"}`, CodeInvalidArgument},
		{"search: too many types", (&Env{Plugin: "p", Grant: services.Grant{Search: true}, Services: mem.Set()}).search,
			`{"abi":1,"term":"x","types":[` + strings.TrimSuffix(strings.Repeat(`"t",`, maxSearchTypes+1), ",") + `]}`, CodeInvalidArgument},
		{"search: empty type", (&Env{Plugin: "p", Grant: services.Grant{Search: true}, Services: mem.Set()}).search,
			`{"abi":1,"term":"x","types":[""]}`, CodeInvalidArgument},
		{"panicking handler", func(context.Context, []byte) (any, error) { panic("boom") }, `{"abi":1}`, CodeInternal},
	} {
		t.Run(c.name, func(t *testing.T) {
			var doc struct {
				ABI   int `json:"abi"`
				Error *struct{ Code, Message string }
			}
			out := answer(context.Background(), c.h, []byte(c.req))
			if err := json.Unmarshal(out, &doc); err != nil || doc.ABI != 1 || doc.Error == nil || doc.Error.Code != c.code {
				t.Fatalf("answer = %s, want code %s", out, c.code)
			}
		})
	}
}

func TestKVNamespaceAndLimits(t *testing.T) {
	mem := services.NewMemory()
	a := &Env{Plugin: "a", Grant: services.Grant{KV: true}, Services: mem.Set()}
	b := &Env{Plugin: "b", Grant: services.Grant{KV: true}, Services: mem.Set()}
	ctx := context.Background()
	if out := answer(ctx, a.kvSet, []byte(`{"abi":1,"key":"x","value":"1"}`)); string(out) != `{"abi":1}` {
		t.Fatalf("set: %s", out)
	}
	if out := answer(ctx, b.kvGet, []byte(`{"abi":1,"key":"x"}`)); string(out) != `{"abi":1,"found":false}` {
		t.Fatalf("b sees a's key: %s", out)
	}
	if out := answer(ctx, a.kvGet, []byte(`{"abi":1,"key":"x"}`)); string(out) != `{"abi":1,"found":true,"value":"1"}` {
		t.Fatalf("get: %s", out)
	}
	big, _ := json.Marshal(map[string]any{"abi": 1, "key": "y", "value": strings.Repeat("v", MaxValueBytes+1)})
	if out := answer(ctx, a.kvSet, big); !strings.Contains(string(out), CodeTooLarge) {
		t.Fatalf("oversized value: %s", out)
	}
}

func TestConfigIsPerPlugin(t *testing.T) {
	mem := services.NewMemory()
	mem.SetConfig("a", json.RawMessage(`{"region":"eu"}`))
	b := &Env{Plugin: "b", Services: mem.Set()}
	a := &Env{Plugin: "a", Services: mem.Set()}
	ctx := context.Background()
	if out := answer(ctx, a.configGet, []byte(`{"abi":1,"key":"region"}`)); string(out) != `{"abi":1,"found":true,"value":"eu"}` {
		t.Fatalf("a: %s", out)
	}
	if out := answer(ctx, b.configGet, []byte(`{"abi":1,"key":"region"}`)); string(out) != `{"abi":1,"found":false}` {
		t.Fatalf("b: %s", out)
	}
	if out := answer(ctx, b.configGet, []byte(`{"abi":1}`)); string(out) != `{"abi":1,"found":true,"value":{}}` {
		t.Fatalf("b whole: %s", out)
	}
}

func TestCatalogActsAsCaller(t *testing.T) {
	var seen services.Caller
	cat := catalogFunc(func(as services.Caller) { seen = as })
	e := &Env{Plugin: "p", Grant: services.Grant{Catalog: "read"}, Services: services.Set{Catalog: cat}}
	ctx := services.WithCaller(context.Background(), services.Caller{UserRef: "user:default/jane", Claims: []string{"group:default/a"}})
	out := answer(ctx, e.catalogGet, []byte(`{"abi":1,"ref":"component:default/x"}`))
	if seen.UserRef != "user:default/jane" || len(seen.Claims) != 1 {
		t.Fatalf("catalog saw caller %+v (out %s)", seen, out)
	}
	answer(context.Background(), e.catalogQuery, []byte(`{"abi":1}`))
	if !seen.IsSystem() {
		t.Fatalf("system call saw %+v", seen)
	}
}

type catalogFunc func(services.Caller)

func (f catalogFunc) Entity(_ context.Context, as services.Caller, _ string) (json.RawMessage, error) {
	f(as)
	return json.RawMessage(`{}`), nil
}

func (f catalogFunc) Query(_ context.Context, as services.Caller, _ services.CatalogQuery) (services.CatalogPage, error) {
	f(as)
	return services.CatalogPage{}, nil
}
