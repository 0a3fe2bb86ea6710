package host

import (
	"context"
	"fmt"
	"net"
	"net/http/httptrace"
	"net/netip"
	"strings"
)

// netGuard enforces a plugin's HTTP grant on Extism's http_request, which
// dials with net/http's default client. The SDK checks the URL's host name
// against the grant; the guard adds what it cannot: every connection (also
// after redirects) must be to a granted host, and every address it resolves
// to must be public unless an IP literal in the grant names it. It hooks the
// call's context with an httptrace.ClientTrace: on a violation it cancels the
// call with a permission error before the dial starts (GetConn, DNSDone), with
// ConnectStart as a last check. See RATIONALE.md.
type netGuard struct {
	hosts []string            // lower-case names and *.globs
	ips   map[netip.Addr]bool // IP literals granted
}

func newNetGuard(grant []string) *netGuard {
	g := &netGuard{ips: map[netip.Addr]bool{}}
	for _, h := range grant {
		if a, err := netip.ParseAddr(h); err == nil {
			g.ips[a.Unmap()] = true
			continue
		}
		g.hosts = append(g.hosts, strings.ToLower(h))
	}
	return g
}

// hostAllowed reports whether a host name or literal is in the grant.
func (g *netGuard) hostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if a, err := netip.ParseAddr(host); err == nil {
		if g.ips[a.Unmap()] {
			return true
		}
	}
	for _, h := range g.hosts {
		if h == host {
			return true
		}
		if h == "*" || (strings.HasPrefix(h, "*.") && strings.HasSuffix(host, h[1:])) {
			return true
		}
	}
	return false
}

// addrAllowed reports whether a resolved address may be dialled, and if not
// what class it is in.
func (g *netGuard) addrAllowed(a netip.Addr) (bool, string) {
	a = a.Unmap()
	if g.ips[a] {
		return true, ""
	}
	switch {
	case a.IsLoopback():
		return false, "loopback"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return false, "link-local"
	case a.IsPrivate():
		return false, "private"
	case a.IsUnspecified():
		return false, "unspecified"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return false, "multicast"
	case cgnat.Contains(a):
		return false, "shared address space"
	}
	return true, ""
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// PermissionError is the cause of a call cancelled by the guard.
type PermissionError struct{ Msg string }

func (e *PermissionError) Error() string { return "permission_denied: " + e.Msg }

// Unwrap lets errors.Is(err, ErrPermission) match.
func (e *PermissionError) Unwrap() error { return ErrPermission }

// wrap returns ctx hooked to refuse connections outside the grant by calling
// cancel with a *PermissionError.
func (g *netGuard) wrap(ctx context.Context, cancel context.CancelCauseFunc) context.Context {
	deny := func(format string, args ...any) {
		cancel(&PermissionError{Msg: fmt.Sprintf(format, args...)})
	}
	checkAddr := func(host string, a netip.Addr) bool {
		if ok, class := g.addrAllowed(a); !ok {
			deny("http to %s (%s address %s) is not granted", host, class, a)
			return false
		}
		return true
	}
	var current string
	trace := &httptrace.ClientTrace{
		GetConn: func(hostPort string) {
			host, _, err := net.SplitHostPort(hostPort)
			if err != nil {
				host = hostPort
			}
			current = host
			if !g.hostAllowed(host) {
				deny("http to %s is not granted", host)
				return
			}
			if a, err := netip.ParseAddr(host); err == nil {
				checkAddr(host, a)
			}
		},
		DNSDone: func(info httptrace.DNSDoneInfo) {
			for _, ia := range info.Addrs {
				if a, ok := netip.AddrFromSlice(ia.IP); ok && !checkAddr(current, a) {
					return
				}
			}
		},
		ConnectStart: func(_, addr string) {
			if ap, err := netip.ParseAddrPort(addr); err == nil {
				checkAddr(current, ap.Addr())
			}
		},
	}
	return httptrace.WithClientTrace(ctx, trace)
}
