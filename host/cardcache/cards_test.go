package cardcache

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/host"
)

func TestReason(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&host.CallError{Plugin: "p", Export: "card", Kind: host.ErrTimeout, Detail: "after 2s"}, "did not answer within 2s"},
		{&host.CallError{Plugin: "p", Export: "card", Kind: host.ErrPluginFailed, Detail: "unavailable: Grafana answered 502 Bad Gateway for alert rules"}, "Grafana answered 502"},
		{&host.CallError{Plugin: "p", Export: "card", Kind: host.ErrTrap, Detail: "Get \"http://x\": dial tcp 10.0.0.1:443: connect: connection refused (recovered by wazero)\nwasm stack trace:\n\tf()"}, "could not be reached: Get"},
		{errors.New("plain"), "plain"},
	} {
		got := Reason(c.err, 2*time.Second)
		if !strings.Contains(got, c.want) || strings.Contains(got, "wazero") || strings.Contains(got, "stack") || strings.HasPrefix(got, "unavailable:") {
			t.Errorf("Reason(%v) = %q, want it to contain %q", c.err, got, c.want)
		}
	}
}

func TestStaleCardKeepsOriginal(t *testing.T) {
	orig := &host.Card{Title: "T", Summary: "s", Badges: []host.CardBadge{{Label: "b"}}}
	since := time.Date(2026, 11, 25, 12, 3, 4, 0, time.UTC)
	st := StaleCard(orig, since, errors.New("unavailable: x answered 429"))
	if st.Badges[0].Label != "stale since 12:03:04 UTC" || st.Badges[0].Tone != "warning" || len(st.Badges) != 2 {
		t.Fatalf("badges %+v", st.Badges)
	}
	if !strings.Contains(st.Summary, "429") || len(orig.Badges) != 1 || orig.Summary != "s" {
		t.Fatalf("stale %+v, original changed: %+v", st, orig)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
}
