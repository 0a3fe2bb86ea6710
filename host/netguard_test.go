package host

import (
	"context"
	"errors"
	"net"
	"net/http/httptrace"
	"net/netip"
	"testing"
)

func TestNetGuardHosts(t *testing.T) {
	g := newNetGuard([]string{"api.example.com", "*.corp.example", "10.0.0.7"})
	for host, want := range map[string]bool{
		"api.example.com":      true,
		"API.example.com.":     true,
		"evil.api.example.com": false,
		"a.corp.example":       true,
		"a.b.corp.example":     true,
		"corp.example":         false,
		"10.0.0.7":             true,
		"10.0.0.8":             false,
		"example.com":          false,
	} {
		if got := g.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
	for addr, want := range map[string]string{
		"93.184.216.34": "", "10.0.0.7": "", "::ffff:10.0.0.7": "",
		"127.0.0.1": "loopback", "::1": "loopback", "169.254.169.254": "link-local",
		"fe80::1": "link-local", "10.0.0.8": "private", "192.168.1.1": "private",
		"172.16.0.1": "private", "fd00::1": "private", "100.64.0.1": "shared address space",
		"0.0.0.0": "unspecified", "239.1.1.1": "multicast", "224.0.0.1": "link-local",
	} {
		ok, class := g.addrAllowed(netip.MustParseAddr(addr))
		if ok != (want == "") || class != want {
			t.Errorf("addrAllowed(%s) = %v %q, want %q", addr, ok, class, want)
		}
	}
}

// The trace hooks cancel the call before any dial: a granted name that
// resolves to a private address (DNS rebinding) is refused at DNSDone.
func TestNetGuardTrace(t *testing.T) {
	g := newNetGuard([]string{"rebind.example"})
	ctx, cancel := context.WithCancelCause(context.Background())
	tr := httptrace.ContextClientTrace(g.wrap(ctx, cancel))
	tr.GetConn("rebind.example:443")
	if ctx.Err() != nil {
		t.Fatal("granted host refused")
	}
	tr.DNSDone(httptrace.DNSDoneInfo{Addrs: []net.IPAddr{{IP: net.ParseIP("93.184.216.34")}, {IP: net.ParseIP("169.254.169.254")}}})
	var perm *PermissionError
	if !errors.As(context.Cause(ctx), &perm) || !errors.Is(context.Cause(ctx), ErrPermission) {
		t.Fatalf("cause = %v", context.Cause(ctx))
	}

	ctx2, cancel2 := context.WithCancelCause(context.Background())
	tr = httptrace.ContextClientTrace(g.wrap(ctx2, cancel2))
	tr.GetConn("other.example:443") // e.g. a redirect target
	if !errors.Is(context.Cause(ctx2), ErrPermission) {
		t.Fatalf("redirect to an ungranted host: cause = %v", context.Cause(ctx2))
	}
}
