package host_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// abiSchemas compiles pdk/schemas (the JSON Schemas next to ABI.md) by $id.
func abiSchemas(t *testing.T) func(name string) *jsonschema.Schema {
	t.Helper()
	files, _ := filepath.Glob("../pdk/schemas/*.json")
	if len(files) == 0 {
		t.Fatal("no schemas in pdk/schemas")
	}
	c := jsonschema.NewCompiler()
	ids := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if id == "" {
			t.Fatalf("%s has no $id", f)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		ids[filepath.Base(f)] = id
	}
	schemas := map[string]*jsonschema.Schema{}
	for name, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		schemas[name] = s
	}
	return func(name string) *jsonschema.Schema { return schemas[name] }
}

func validate(t *testing.T, s *jsonschema.Schema, doc []byte, what string) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match its schema: %v\n%s", what, err, doc)
	}
}

// TestCorpusMatchesSchemas checks the schemas against real documents: every
// corpus case's input and golden output of a standard export validates.
func TestCorpusMatchesSchemas(t *testing.T) {
	schema := abiSchemas(t)
	var fx fixture
	readJSON(t, "testdata/abi/v1/fixture.json", &fx)
	cases, _ := filepath.Glob("testdata/abi/v1/go-conformance/cases/*.json")
	sort.Strings(cases)
	src, err := host.ReadSource("testdata/abi/v1/go-conformance")
	if err != nil {
		t.Fatal(err)
	}
	mem := services.NewMemory()
	for _, e := range fx.Entities {
		_ = mem.AddEntity(e)
	}
	h, err := host.New(host.Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	p, err := h.LoadSource(context.Background(), src, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, cf := range cases {
		var c corpusCase
		readJSON(t, cf, &c)
		in := schema(c.Export + ".input.json")
		if in == nil {
			continue // not a standard export
		}
		n++
		if ref, ok := c.Input["entity"].(string); ok {
			c.Input["entity"], _ = mem.Entity(context.Background(), services.Caller{}, ref)
		}
		ctx := context.Background()
		if c.User != "" {
			ctx = services.WithCaller(ctx, services.Caller{UserRef: c.User, Claims: []string{c.User}})
		}
		doc, err := p.Input(ctx, c.Input)
		if err != nil {
			t.Fatal(err)
		}
		validate(t, in, doc, filepath.Base(cf)+" input")
		if c.Want != nil {
			validate(t, schema(c.Export+".output.json"), c.Want, filepath.Base(cf)+" want")
		}
	}
	if n < 5 {
		t.Fatalf("only %d standard-export cases", n)
	}
	// Host function error documents and a few responses.
	validate(t, schema("error.json"), []byte(`{"abi":1,"error":{"code":"permission_denied","message":"x"}}`), "error doc")
	validate(t, schema("host.portico_kv_get_v1.response.json"), []byte(`{"abi":1,"found":true,"value":"v"}`), "kv_get response")
	validate(t, schema("host.portico_kv_get_v1.response.json"), []byte(`{"abi":1,"error":{"code":"not_found","message":"x"}}`), "kv_get error response")
	bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"abi":1,"card":{"status":{"level":"green"}}}`))
	if schema("card.output.json").Validate(bad) == nil {
		t.Error("card.output.json accepts a card without title and with a bad level")
	}
}
