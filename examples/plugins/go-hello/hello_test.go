package main

import (
	"testing"

	"github.com/portico-dev/portico/pdk/go/plugintest"
)

// The plugin runs in a real in-process host: built for wasip1, loaded with
// this directory's plugin.yaml, its host functions backed by the harness.
func TestHelloCard(t *testing.T) {
	h := plugintest.New(t, ".")
	h.Services.SetConfig("go-hello", []byte(`{"greeting":"Hi"}`))
	h.AddEntity(t, `{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"team-a","title":"Team A"},"spec":{"type":"team"}}`)
	svc := `{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"payments"},"spec":{"owner":"team-a"}}`

	for want := 1; want <= 2; want++ {
		c, err := h.Card(t, "hello", svc, "user:default/jane")
		if err != nil {
			t.Fatal(err)
		}
		if c.Title != "Hi, payments!" || c.Status.Level != "ok" {
			t.Fatalf("card %+v", c)
		}
		got := map[string]string{}
		for _, f := range c.Fields {
			got[f.Label] = f.Value
		}
		if got["Owner"] != "Team A" || got["Views"] != string(rune('0'+want)) || got["Viewer"] != "user:default/jane" {
			t.Fatalf("fields %v", got)
		}
	}

	orphan := `{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"ledger"},"spec":{"owner":"team-gone"}}`
	c, err := h.Card(t, "hello", orphan, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Status.Level != "warning" {
		t.Fatalf("orphan card status %+v", c.Status)
	}
}
