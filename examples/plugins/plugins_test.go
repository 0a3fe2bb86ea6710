// Package plugins_test builds the example plugins (go-hello, c-hello,
// assemblyscript-hello, rust-hello) from source with their real toolchains and
// runs their card export through the real host, so every PDK is checked
// end to end against pdk/ABI.md.
//
// A toolchain that is missing skips its plugin, except under CI (CI=true),
// where `make test` installs them first and a missing one is a failure.
package plugins_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
	"github.com/portico-dev/portico/pdk/go/plugintest"
)

// example is one example plugin and how to build it.
type example struct {
	name  string // directory under examples/plugins and metadata.name
	title string // the card title it renders
	badge string // its language badge
	// missing reports a missing toolchain ("" when everything is there).
	missing func() string
	// build writes plugin.wasm into dir (a copy of the plugin directory).
	build func(t *testing.T, root, dir string)
}

var examples = []example{
	{name: "go-hello", missing: func() string { return "" }, build: buildGo},
	{name: "c-hello", title: "Hello from C", badge: "c", missing: missingC, build: buildMake},
	{name: "assemblyscript-hello", title: "Hello from AssemblyScript", badge: "assemblyscript", missing: missingAS, build: buildMake},
	{name: "rust-hello", title: "Hello from Rust", badge: "rust", missing: missingRust, build: buildMake},
}

const entityJSON = `{"apiVersion":"backstage.io/v1alpha1","kind":"Component",
 "metadata":{"name":"payments","namespace":"default","annotations":{"example.com/x":"1"}},
 "spec":{"type":"service","lifecycle":"production","owner":"group:default/team-a"}}`

// greeting is non-ASCII on purpose: output must be UTF-8 bytes, not UTF-16 units.
const greeting = "Grüß dich"

func TestExampleCards(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		ex := ex
		t.Run(ex.name, func(t *testing.T) {
			dir := buildExample(t, root, ex)
			if ex.name == "go-hello" {
				checkGoHello(t, dir)
				return
			}
			checkHello(t, dir, ex)
		})
	}
}

// buildExample copies the plugin's manifest into a scratch directory and
// builds its module there; it skips (or fails under CI) without a toolchain.
func buildExample(t *testing.T, root string, ex example) string {
	t.Helper()
	if m := ex.missing(); m != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: toolchain missing under CI: %s (make pdk-toolchains installs it)", ex.name, m)
		}
		t.Skipf("%s: toolchain missing: %s (run `make pdk-toolchains`)", ex.name, m)
	}
	src := filepath.Join(root, "examples", "plugins", ex.name)
	if _, err := os.Stat(filepath.Join(src, host.ManifestFile)); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v", ex.name, err)
		}
		t.Skipf("%s: no manifest yet: %v", ex.name, err)
	}
	out := t.TempDir()
	dir := filepath.Join(out, ex.name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(src, host.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, host.ManifestFile), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	ex.build(t, root, dir)
	fi, err := os.Stat(filepath.Join(dir, host.DefaultModuleFile))
	if err != nil {
		t.Fatalf("%s: build left no module: %v", ex.name, err)
	}
	t.Logf("%s: plugin.wasm is %d bytes", ex.name, fi.Size())
	return dir
}

// buildMake builds with mk/pdks.mk, the same rule `make plugins` uses.
func buildMake(t *testing.T, root, dir string) {
	t.Helper()
	name := filepath.Base(dir)
	cmd := exec.Command("make", "--no-print-directory", "-s", "-f", "mk/pdks.mk",
		"PDK_OUT="+filepath.Dir(dir), "pdk-"+name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", name, err, out)
	}
}

func buildGo(t *testing.T, root, dir string) {
	t.Helper()
	wasm, err := plugintest.BuildWasm(filepath.Join(root, "examples", "plugins", "go-hello"))
	if err != nil {
		t.Fatalf("build go-hello: %v", err)
	}
	b, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, host.DefaultModuleFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func lookPath(names ...string) string {
	var miss []string
	for _, n := range names {
		if strings.HasPrefix(n, "/") {
			if _, err := os.Stat(n); err != nil {
				miss = append(miss, n)
			}
		} else if _, err := exec.LookPath(n); err != nil {
			miss = append(miss, n)
		}
	}
	return strings.Join(miss, ", ")
}

func missingC() string { return lookPath("make", "clang", "wasm-ld", "/usr/lib/wasm32-wasi/libc.a") }

func missingRust() string {
	return lookPath("make", "/usr/bin/cargo", "/usr/bin/rustc", "/usr/lib/rustlib/wasm32-unknown-unknown")
}

func missingAS() string { return lookPath("make", "npm", "node") }

// newHost loads the plugin at dir into a fresh host backed by in-memory services.
func newHost(t *testing.T, dir string, grant *services.Grant) (*host.Plugin, *services.Memory) {
	t.Helper()
	mem := services.NewMemory()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := host.New(host.Options{Services: mem.Set(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	p, err := h.Load(context.Background(), dir, host.LoadOptions{Grant: grant})
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	if p.Source().SectionABI != 1 {
		t.Errorf("%s: portico_abi section says %d, want 1", p.Name(), p.Source().SectionABI)
	}
	return p, mem
}

func callerCtx() context.Context {
	return services.WithCaller(context.Background(), services.Caller{
		UserRef: "user:default/jane",
		Claims:  []string{"user:default/jane", "group:default/team-a"},
	})
}

// checkHello asserts the card of c-hello, assemblyscript-hello and rust-hello:
// fields read from the entity, the greeting from config, a KV counter, and
// the error paths (kv not granted, bad input).
func checkHello(t *testing.T, dir string, ex example) {
	ctx := callerCtx()

	p, mem := newHost(t, dir, nil)
	mem.SetConfig(ex.name, json.RawMessage(`{"greeting":"`+greeting+`"}`))
	for want := 1; want <= 2; want++ {
		card, err := p.Card(ctx, "hello", json.RawMessage(entityJSON))
		if err != nil {
			t.Fatalf("card call %d: %v", want, err)
		}
		wantViews := []string{"1", "2"}[want-1]
		assertHelloCard(t, card, ex, greeting, wantViews)
	}
	v, ok, err := mem.KVGet(ctx, ex.name, "views/default/payments")
	if err != nil || !ok || string(v) != "2" {
		t.Errorf("kv views/default/payments = %q, %v, %v; want \"2\"", v, ok, err)
	}

	t.Run("no leak across calls", func(t *testing.T) {
		// Instances are reused: 1000 calls with a 32 KiB input (32 MiB in
		// all) must fit the manifest's 16 MiB memory limit, so the PDK frees
		// (or collects) what each call allocates.
		big := strings.Replace(entityJSON, `"namespace":"default",`,
			`"namespace":"default","description":"`+strings.Repeat("x", 32<<10)+`",`, 1)
		p, _ := newHost(t, dir, nil)
		for i := 0; i < 1000; i++ {
			if _, err := p.Card(ctx, "hello", json.RawMessage(big)); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	})

	t.Run("kv not granted", func(t *testing.T) {
		p, _ := newHost(t, dir, &services.Grant{})
		card, err := p.Card(ctx, "hello", json.RawMessage(entityJSON))
		if err != nil {
			t.Fatal(err)
		}
		// No config set: the default greeting; the KV refusal is shown, not fatal.
		assertHelloCard(t, card, ex, "Hello", "unavailable")
	})

	t.Run("escaped strings", func(t *testing.T) {
		// Escapes, \u sequences (with a surrogate pair), nesting and
		// whitespace before the fields the plugin reads: the PDK's JSON reader
		// must decode them and its writer re-encode them.
		const tricky = `{ "kind" : "Component", "metadata": {"labels": {"x": [1, {"y": "}]"}]},
		  "name": "pay\u006dents", "namespace": "default"},
		  "spec": {"lifecycle": "tab\there \"quoted\" \\ back", "owner": "\u00e9quipe \ud83d\ude00 ☃"}}`
		card, err := p.Card(ctx, "hello", json.RawMessage(tricky))
		if err != nil {
			t.Fatal(err)
		}
		want := []host.CardField{
			{Label: "Kind", Value: "Component"},
			{Label: "Owner", Value: "équipe 😀 ☃"},
			{Label: "Lifecycle", Value: "tab\there \"quoted\" \\ back"},
			{Label: "Views", Value: "3"},
		}
		if !equalJSON(card.Fields, want) {
			t.Errorf("fields = %+v\nwant %+v", card.Fields, want)
		}
	})

	t.Run("entity without name", func(t *testing.T) {
		_, err := p.Card(ctx, "hello", json.RawMessage(`{"kind":"Component","metadata":{}}`))
		if !errors.Is(err, host.ErrPluginFailed) || !strings.Contains(err.Error(), "entity.metadata.name") {
			t.Fatalf("err = %v, want ErrPluginFailed naming entity.metadata.name", err)
		}
	})
}

func assertHelloCard(t *testing.T, c *host.Card, ex example, greet, views string) {
	t.Helper()
	if c.Title != ex.title {
		t.Errorf("title = %q, want %q", c.Title, ex.title)
	}
	if c.Status == nil || c.Status.Level != "ok" || c.Status.Text != "plugin answered" {
		t.Errorf("status = %+v", c.Status)
	}
	if want := greet + ", payments!"; c.Summary != want {
		t.Errorf("summary = %q, want %q", c.Summary, want)
	}
	wantFields := []host.CardField{
		{Label: "Kind", Value: "Component"},
		{Label: "Owner", Value: "group:default/team-a"},
		{Label: "Lifecycle", Value: "production"},
		{Label: "Views", Value: views},
	}
	if !equalJSON(c.Fields, wantFields) {
		t.Errorf("fields = %+v\nwant %+v", c.Fields, wantFields)
	}
	if want := []host.CardBadge{{Label: ex.badge, Tone: "info"}}; !equalJSON(c.Badges, want) {
		t.Errorf("badges = %+v, want %+v", c.Badges, want)
	}
	if want := []host.CardLink{{Title: "Portico plugin ABI", URL: "https://portico.dev/docs/abi/v1"}}; !equalJSON(c.Links, want) {
		t.Errorf("links = %+v, want %+v", c.Links, want)
	}
}

// checkGoHello asserts what every example card shares; go-hello's own test
// (pdk/go) pins its exact content.
func checkGoHello(t *testing.T, dir string) {
	p, _ := newHost(t, dir, nil)
	card, err := p.Card(callerCtx(), firstCardID(t, p), json.RawMessage(entityJSON))
	if err != nil {
		t.Fatal(err)
	}
	if card.Title == "" {
		t.Error("card has no title")
	}
	b, _ := json.Marshal(card)
	if !strings.Contains(string(b), "payments") {
		t.Errorf("card does not mention the entity it read: %s", b)
	}
}

func firstCardID(t *testing.T, p *host.Plugin) string {
	for _, pr := range p.Manifest().Spec.Provides {
		if pr.Card != nil {
			return pr.Card.ID
		}
	}
	t.Fatalf("%s provides no card", p.Name())
	return ""
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
