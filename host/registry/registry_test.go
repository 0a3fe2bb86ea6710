package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

var entity = json.RawMessage(`{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"payments","namespace":"default","description":"Takes the money"},"spec":{"type":"service","owner":"team-a","lifecycle":"production"}}`)

func testSigner(t *testing.T) *Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &Signer{key: priv}
}

func TestPublishInstallServe(t *testing.T) {
	ctx := context.Background()
	addr, _ := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	signer := testSigner(t)
	pub := publish(t, rm, pluginSpec{name: "conf", version: "1.0.0", perms: "{kv: true, catalog: read}"}, addr+"/plugins/conf", signer)
	if pub.Ref.Tag != "1.0.0" || !pub.Signed {
		t.Fatalf("published %+v", pub)
	}
	m := newManager(t, rm)
	m.Trust = Trust{Require: true, Keys: []TrustedKey{{Name: "acme", Public: signer.Public()}}}
	res, err := m.Install(ctx, Request{Ref: addr + "/plugins/conf:1.0.0", Grants: []string{"kv=true"}})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Entry
	if e.Digest != pub.Digest || e.Signer != "acme" || e.Version != "1.0.0" || e.ABI != 1 {
		t.Fatalf("entry %+v", e)
	}
	if !e.Granted.KV || e.Granted.CatalogRead() || !res.NotGranted.CatalogRead() {
		t.Fatalf("granted %+v not granted %+v", e.Granted, res.NotGranted)
	}
	// The lockfile pins the digest.
	lf, err := m.ReadLock()
	if err != nil || lf.Plugins["conf"].Digest != pub.Digest {
		t.Fatalf("lock %+v %v", lf, err)
	}

	h, err := host.New(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	live := &Live{Host: h, Manager: m}
	if err := live.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	p := h.Plugin("conf")
	if p == nil {
		t.Fatal("plugin not loaded")
	}
	if !reflect.DeepEqual(p.Grant(), services.Grant{KV: true}) {
		t.Fatalf("loaded grant %+v", p.Grant())
	}
	card, err := p.Card(ctx, "conformance", entity)
	if err != nil {
		t.Fatal(err)
	}
	if card.Title != "Conformance: payments" {
		t.Fatalf("card %+v", card)
	}

	// Remove takes it out of the lockfile and the host.
	if err := m.Remove(ctx, "conf"); err != nil {
		t.Fatal(err)
	}
	if err := live.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if h.Plugin("conf") != nil {
		t.Fatal("removed plugin still loaded")
	}
	if got := storeDirs(t, m); len(got) != 0 {
		t.Fatalf("left behind %v", got)
	}
}

func TestInstallPicksHighestCompatibleTag(t *testing.T) {
	ctx := context.Background()
	addr, _ := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	repo := addr + "/plugins/conf"
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, repo, nil)
	publish(t, rm, pluginSpec{name: "conf", version: "1.2.0"}, repo, nil)
	publish(t, rm, pluginSpec{name: "conf", version: "1.10.0", requires: ">=9.0.0"}, repo, nil)
	pushRaw(t, rm, repo+":2.0.0", pluginSpec{name: "conf", version: "2.0.0", abi: 2}.yaml(), MediaTypeWasm)
	publish(t, rm, pluginSpec{name: "conf", version: "1.1.0"}, repo+":latest", nil)

	m := newManager(t, rm)
	res, err := m.Install(ctx, Request{Ref: repo})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entry.Version != "1.2.0" || res.Entry.Tag != "1.2.0" {
		t.Fatalf("picked %s (tag %s), want 1.2.0", res.Entry.Version, res.Entry.Tag)
	}
	// A re-install without tag keeps the pinned digest even when a newer
	// compatible tag appears.
	publish(t, rm, pluginSpec{name: "conf", version: "1.3.0"}, repo, nil)
	res2, err := m.Install(ctx, Request{Ref: repo})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Entry.Digest != res.Entry.Digest {
		t.Fatalf("re-install moved to %s", res2.Entry.Version)
	}
	// Upgrade without REF takes the new highest.
	up, err := m.Upgrade(ctx, "conf", Request{})
	if err != nil || up.Entry.Version != "1.3.0" {
		t.Fatalf("upgrade %+v %v", up, err)
	}
}

func TestRefusals(t *testing.T) {
	ctx := context.Background()
	addr, _ := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	repo := addr + "/plugins/conf"
	pushRaw(t, rm, repo+":2.0.0", pluginSpec{name: "conf", version: "2.0.0", abi: 2}.yaml(), MediaTypeWasm)
	publish(t, rm, pluginSpec{name: "conf", version: "3.0.0", requires: ">=1.0.0 <2.0.0"}, repo, nil)
	m := newManager(t, rm)
	for _, c := range []struct{ ref, want []string }{
		{[]string{repo + ":2.0.0"}, []string{"needs ABI 2", "Portico 0.1.0-dev supports ABI 1"}},
		{[]string{repo + ":3.0.0"}, []string{"requires Portico >=1.0.0 <2.0.0", "this is Portico 0.1.0-dev"}},
		{[]string{repo + ":9.9.9"}, []string{`tag "9.9.9" not found`}},
		{[]string{addr + "/plugins/none"}, []string{"list tags"}},
		{[]string{repo}, []string{"no tag of", "needs ABI 2", "requires Portico"}},
	} {
		_, err := m.Install(ctx, Request{Ref: c.ref[0]})
		if err == nil {
			t.Fatalf("%s installed", c.ref[0])
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.ref[0], err, w)
			}
		}
	}
	// Granting what the plugin does not ask for is refused.
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0", perms: "{kv: true}"}, repo, nil)
	if _, err := m.Install(ctx, Request{Ref: repo + ":1.0.0", Grants: []string{"http=evil.example"}}); err == nil || !strings.Contains(err.Error(), "does not ask for") {
		t.Fatalf("extra grant: %v", err)
	}
	if got := storeDirs(t, m); len(got) > 1 {
		t.Fatalf("refusals left %v", got)
	}
	if lf, _ := m.ReadLock(); len(lf.Plugins) != 0 {
		t.Fatalf("refusals changed the lockfile: %+v", lf.Plugins)
	}
}

func TestUpgradeNeedsNewGrant(t *testing.T) {
	ctx := context.Background()
	addr, _ := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	repo := addr + "/plugins/conf"
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0", perms: "{kv: true}"}, repo, nil)
	publish(t, rm, pluginSpec{name: "conf", version: "1.1.0", perms: "{kv: true, secrets: [token]}"}, repo, nil)
	m := newManager(t, rm)
	if _, err := m.Install(ctx, Request{Ref: repo + ":1.0.0", All: true}); err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	live := &Live{Host: h, Manager: m}
	if err := live.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}

	res, err := m.Upgrade(ctx, "conf", Request{Ref: repo + ":1.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending == nil || res.Entry.Version != "1.0.0" || !reflect.DeepEqual(res.NotGranted.Secrets, []string{"token"}) {
		t.Fatalf("upgrade result %+v", res)
	}
	if err := live.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if v := h.Plugin("conf").Manifest().Metadata.Version; v != "1.0.0" {
		t.Fatalf("running %s before the grant", v)
	}
	// The grant activates the pending upgrade, keeping kv.
	res, err = m.Grant(ctx, "conf", Request{Grants: []string{"secret=token"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending != nil || res.Entry.Version != "1.1.0" {
		t.Fatalf("grant result %+v", res)
	}
	if err := live.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	p := h.Plugin("conf")
	if v := p.Manifest().Metadata.Version; v != "1.1.0" {
		t.Fatalf("running %s after the grant", v)
	}
	if g := p.Grant(); !g.KV || !g.HasSecret("token") {
		t.Fatalf("grant %+v", g)
	}
	if got := storeDirs(t, m); len(got) != 1 {
		t.Fatalf("store %v, want only the running version", got)
	}
}

func TestTamperedBlobRefused(t *testing.T) {
	ctx := context.Background()
	addr, proxy := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	pub := publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, addr+"/plugins/conf", nil)
	m := newManager(t, rm)
	wasm, _ := os.ReadFile(corpusWasm)
	proxy.set(descriptor(MediaTypeWasm, wasm).Digest.String(), "")
	_, err := m.Install(ctx, Request{Ref: pub.Ref.String()})
	if err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("tampered blob: %v", err)
	}
	t.Log(err)
	if got := storeDirs(t, m); len(got) != 0 {
		t.Fatalf("tampered install left %v", got)
	}
	if _, err := os.Stat(m.lockPath()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lockfile written: %v", err)
	}
}

func TestRegistryGoesAwayMidPull(t *testing.T) {
	ctx := context.Background()
	addr, proxy := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	repo := addr + "/plugins/conf"
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, repo, nil)
	m := newManager(t, rm)
	if _, err := m.Install(ctx, Request{Ref: repo + ":1.0.0"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(m.lockPath())
	dirs := storeDirs(t, m)
	// 1.1.0 ships a different module (an older-media-type copy would share
	// the blob), so cut the wasm blob: push the new version with a
	// distinct module by appending a custom section.
	dir := pluginDir(t, pluginSpec{name: "conf", version: "1.1.0"})
	wasm, _ := os.ReadFile(filepath.Join(dir, "plugin.wasm"))
	wasm = append(wasm, 0x00, 0x05, 0x04, 'p', 'a', 'd', 0x00) // custom section "pad"
	if err := os.WriteFile(filepath.Join(dir, "plugin.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := ParseRef(repo)
	if _, err := Publish(ctx, rm, dir, r, nil); err != nil {
		t.Fatal(err)
	}
	proxy.set("", descriptor(MediaTypeWasm, wasm).Digest.String())
	_, err := m.Upgrade(ctx, "conf", Request{Ref: repo + ":1.1.0"})
	if err == nil {
		t.Fatal("upgrade through a dying registry succeeded")
	}
	t.Log(err)
	after, _ := os.ReadFile(m.lockPath())
	if string(before) != string(after) {
		t.Fatalf("lockfile changed:\n%s\n%s", before, after)
	}
	if got := storeDirs(t, m); !reflect.DeepEqual(got, dirs) {
		t.Fatalf("store %v, want %v", got, dirs)
	}
	// And once the registry is back, the upgrade goes through.
	proxy.set("", "")
	if res, err := m.Upgrade(ctx, "conf", Request{Ref: repo + ":1.1.0"}); err != nil || res.Entry.Version != "1.1.0" {
		t.Fatalf("upgrade %+v %v", res, err)
	}
}

func TestSignatures(t *testing.T) {
	ctx := context.Background()
	addr, _ := startRegistry(t)
	rm := Remote{PlainHTTP: true}
	good, other := testSigner(t), testSigner(t)
	trusted := []TrustedKey{{Name: "acme", Public: good.Public()}}
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, addr+"/p/unsigned", nil)
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, addr+"/p/other", other)
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, addr+"/p/good", good)

	m := newManager(t, rm)
	m.Trust = Trust{Require: true, Keys: trusted}
	for _, repo := range []string{"unsigned", "other"} {
		_, err := m.Install(ctx, Request{Ref: addr + "/p/" + repo + ":1.0.0"})
		if !errors.Is(err, ErrUntrusted) {
			t.Fatalf("%s: %v", repo, err)
		}
	}
	if res, err := m.Install(ctx, Request{Ref: addr + "/p/good:1.0.0"}); err != nil || res.Entry.Signer != "acme" {
		t.Fatalf("good: %+v %v", res, err)
	}

	// A signature claiming the trusted key that does not verify is refused
	// even when signatures are optional: sign another digest with it.
	forged := &Signer{key: other.key}
	pub := publish(t, rm, pluginSpec{name: "conf", version: "1.0.0", perms: "{kv: true}"}, addr+"/p/forged", nil)
	r, _ := ParseRef(addr + "/p/forged")
	tg, _ := rm.open(r, false)
	desc, err := tg.Resolve(ctx, pub.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := pushSignature(ctx, tg, desc, &claimingSigner{Signer: forged, claim: good.KeyID()}); err != nil {
		t.Fatal(err)
	}
	m2 := newManager(t, rm)
	m2.Trust = Trust{Keys: trusted}
	if _, err := m2.Install(ctx, Request{Ref: addr + "/p/forged:1.0.0"}); !errors.Is(err, ErrUntrusted) || !strings.Contains(err.Error(), "acme") {
		t.Fatalf("forged: %v", err)
	}
	// Unsigned is fine when signatures are not required.
	if _, err := m2.Install(ctx, Request{Ref: addr + "/p/unsigned:1.0.0"}); err != nil {
		t.Fatal(err)
	}
}

func TestOCILayoutAndOlderMediaType(t *testing.T) {
	ctx := context.Background()
	layout := filepath.Join(t.TempDir(), "bundle")
	rm := Remote{}
	publish(t, rm, pluginSpec{name: "conf", version: "1.0.0"}, "oci:"+layout, nil)
	pushRaw(t, rm, "oci:"+layout+":1.1.0", pluginSpec{name: "conf", version: "1.1.0"}.yaml(), MediaTypeModuleWasmLegacy)
	pushRaw(t, rm, "oci:"+layout+":1.2.0", pluginSpec{name: "conf", version: "1.2.0"}.yaml(), MediaTypeWasmLegacy)
	m := newManager(t, rm)
	res, err := m.Install(ctx, Request{Ref: "oci:" + layout})
	if err != nil {
		t.Fatal(err)
	}
	if res.Entry.Version != "1.2.0" || !res.Entry.Layout {
		t.Fatalf("entry %+v", res.Entry)
	}
	if res, err := m.Upgrade(ctx, "conf", Request{Ref: "oci:" + layout + ":1.1.0"}); err != nil || res.Entry.Version != "1.1.0" {
		t.Fatalf("to 1.1.0: %+v %v", res, err)
	}
	// Restore re-fetches a lost store directory by its pinned digest.
	lf, _ := m.ReadLock()
	e := lf.Plugins["conf"]
	if err := os.RemoveAll(m.Dir(e)); err != nil {
		t.Fatal(err)
	}
	got, err := m.Restore(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("restore %v %v", got, err)
	}
	src, err := host.ReadSource(m.Dir(e))
	if err != nil || "sha256:"+src.SHA256 != e.ModuleDigest {
		t.Fatalf("restored %v %v", src, err)
	}
	if _, err := m.Install(ctx, Request{Ref: "oci:" + filepath.Join(t.TempDir(), "missing") + ":1.0.0"}); err == nil {
		t.Fatal("missing layout accepted")
	}
}

func TestLiveWatchFollowsLockfile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	layout := "oci:" + filepath.Join(t.TempDir(), "bundle")
	publish(t, Remote{}, pluginSpec{name: "conf", version: "1.0.0"}, layout, nil)
	m := newManager(t, Remote{})
	h, err := host.New(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	live := &Live{Host: h, Manager: m}
	done := make(chan struct{})
	go func() { defer close(done); live.Watch(ctx, 5*time.Millisecond) }()

	// Another process (the CLI) installs: the watcher loads it.
	other := &Manager{Data: m.Data, Compat: m.Compat}
	if _, err := other.Install(context.Background(), Request{Ref: layout}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.Plugin("conf") != nil })
	if err := other.Remove(context.Background(), "conf"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return h.Plugin("conf") == nil })
	cancel()
	<-done
}

// waitFor polls cond until it holds; a test that never sees it fails at the
// test timeout with the goroutine dump.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(5 * time.Millisecond)
	}
}
