package host_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

var updateGolden = flag.Bool("update-golden", false, "write the outputs of new corpus cases as their golden want (never for existing ones)")

// corpusCase is one testdata/abi/v<N>/<plugin>/cases/<name>.json file.
type corpusCase struct {
	Export string          `json:"export"`
	Grant  *services.Grant `json:"grant,omitempty"`
	User   string          `json:"user,omitempty"`
	// Input holds the export-specific fields; "entity" given as a ref string
	// is replaced by that fixture entity. abi, plugin and user are added.
	Input     map[string]any  `json:"input"`
	Want      json.RawMessage `json:"want,omitempty"`
	WantError string          `json:"wantError,omitempty"`
}

type fixture struct {
	Entities []json.RawMessage `json:"entities"`
	Config   json.RawMessage   `json:"config"`
	Secrets  map[string]string `json:"secrets"`
	KV       map[string]string `json:"kv"`
}

// TestConformanceCorpus loads every frozen plugin under testdata/abi/v*/ and
// checks each of its cases against its golden output. These modules are
// never rebuilt: a failure here means the host broke a shipped ABI.
func TestConformanceCorpus(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/abi/v*/*/plugin.yaml")
	if len(dirs) == 0 {
		t.Fatal("no corpus plugins found")
	}
	for _, mf := range dirs {
		dir := filepath.Dir(mf)
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			var fx fixture
			readJSON(t, filepath.Join(filepath.Dir(dir), "fixture.json"), &fx)
			src, err := host.ReadSource(dir)
			if err != nil {
				t.Fatal(err)
			}
			cases, _ := filepath.Glob(filepath.Join(dir, "cases", "*.json"))
			if len(cases) == 0 {
				t.Fatal("corpus plugin without cases")
			}
			sort.Strings(cases)
			for _, cf := range cases {
				t.Run(strings.TrimSuffix(filepath.Base(cf), ".json"), func(t *testing.T) {
					runCorpusCase(t, src, &fx, cf)
				})
			}
		})
	}
}

func runCorpusCase(t *testing.T, src *host.Source, fx *fixture, file string) {
	var c corpusCase
	readJSON(t, file, &c)
	name := src.Manifest.Metadata.Name
	mem := services.NewMemory()
	byRef := map[string]json.RawMessage{}
	for _, e := range fx.Entities {
		if err := mem.AddEntity(e); err != nil {
			t.Fatal(err)
		}
		doc, _ := mem.Entity(context.Background(), services.Caller{}, refOf(t, e))
		byRef[refOf(t, e)] = doc
	}
	mem.SetConfig(name, fx.Config)
	for k, v := range fx.Secrets {
		mem.SetSecret(name, k, v)
	}
	for k, v := range fx.KV {
		_ = mem.KVSet(context.Background(), name, k, []byte(v))
	}
	h, err := host.New(host.Options{CacheDir: cacheDir, Services: mem.Set()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	p, err := h.LoadSource(context.Background(), src, host.LoadOptions{Grant: c.Grant})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if c.User != "" {
		ctx = services.WithCaller(ctx, services.Caller{UserRef: c.User, Claims: []string{c.User}})
	}
	if ref, ok := c.Input["entity"].(string); ok {
		c.Input["entity"] = byRef[ref]
		if byRef[ref] == nil {
			t.Fatalf("fixture has no entity %s", ref)
		}
	}
	in, err := p.Input(ctx, c.Input)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Call(ctx, c.Export, in)
	if c.WantError != "" {
		if err == nil || !strings.Contains(err.Error(), c.WantError) {
			t.Fatalf("err = %v, want it to contain %q", err, c.WantError)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.Want == nil {
		if !*updateGolden {
			t.Fatalf("case has no want; output was:\n%s\n(run with -update-golden to record it)", out)
		}
		writeWant(t, file, out)
		return
	}
	var got, want any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	_ = json.Unmarshal(c.Want, &want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("output differs from golden\n got: %s\nwant: %s", out, c.Want)
	}
}

func refOf(t *testing.T, doc json.RawMessage) string {
	var e struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name, Namespace string
		} `json:"metadata"`
	}
	if err := json.Unmarshal(doc, &e); err != nil {
		t.Fatal(err)
	}
	ns := e.Metadata.Namespace
	if ns == "" {
		ns = "default"
	}
	return strings.ToLower(e.Kind + ":" + ns + "/" + e.Metadata.Name)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeWant(t *testing.T, file string, out []byte) {
	b, _ := os.ReadFile(file)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		t.Fatal(err)
	}
	m["want"] = pretty.Bytes()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded golden output of %s", file)
}
