package host_test

import (
	"context"
	"testing"

	"github.com/portico-dev/portico/host"
	"github.com/portico-dev/portico/host/services"
)

// A reload of the same module under the same binding shares the compiled
// plugin; closing the replaced plugin leaves the new one serving; a
// different binding compiles its own; the last user closes it.
func TestCompiledPluginShared(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := manifest("share", host.Limits{Instances: 1}, services.Grant{})
	src, err := host.SourceFromBytes("share", m, hostileWasm)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := e.h.LoadSource(ctx, src, host.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.h.LoadSource(ctx, src, host.LoadOptions{Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := host.CompiledHeld(e.h); n != 1 {
		t.Fatalf("compiled plugins held after reload = %d, want 1 (shared)", n)
	}
	if _, err := p1.Call(ctx, "noop", nil); err == nil {
		t.Fatal("replaced plugin still serves calls")
	}
	if _, err := p2.Call(ctx, "noop", nil); err != nil {
		t.Fatalf("reloaded plugin after the old one closed: %v", err)
	}

	// Another grant binds other host functions: its own compiled plugin.
	kv := services.Grant{KV: true}
	p3, err := e.h.LoadSource(ctx, src, host.LoadOptions{Grant: &kv, Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := host.CompiledHeld(e.h); n != 1 {
		t.Fatalf("compiled plugins held after a grant change = %d, want 1 (old one closed)", n)
	}
	if out, err := p3.Call(ctx, "kv", nil); err != nil || string(out) != "" {
		t.Fatalf("kv with the new grant: %q, %v", out, err)
	}
	if err := e.h.Unload(ctx, "share"); err != nil {
		t.Fatal(err)
	}
	if n := host.CompiledHeld(e.h); n != 0 {
		t.Fatalf("compiled plugins held after unload = %d, want 0", n)
	}
}
