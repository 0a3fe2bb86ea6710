package search

import (
	"testing"

	"github.com/portico-dev/portico/catalog"
)

func TestTranslate(t *testing.T) {
	c, err := Translate(catalog.AllOf(catalog.Eq("kind", "component"), catalog.NotOf(catalog.Exists("spec.lifecycle")), catalog.Eq("owner", "team-a")))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != "all(kind in [component], not(lifecycle exists), any(owner in [team-a], ownedby in [team-a]))" {
		t.Fatalf("Translate = %s", got)
	}
	for _, f := range []catalog.Filter{catalog.Prefix("kind", "c"), catalog.Eq("metadata.annotations.x", "y"), catalog.AnyOf(catalog.Eq("kind", "a"), catalog.Prefix("kind", "b"))} {
		if _, err := Translate(f); err == nil {
			t.Errorf("Translate(%+v) accepted an unsupported condition", f)
		}
	}
	if c, _ := Translate(catalog.AnyOf()); !c.None {
		t.Errorf("AnyOf() must match nothing, got %s", c)
	}
	if got := Simplify(Cond{Any: []Cond{{Field: "kind", Op: CondIn, Values: []string{"a"}}, {}}}); !got.IsAll() {
		t.Errorf("any(x, all) = %s, want all", got)
	}
	if got := Simplify(Cond{Not: &Cond{All: []Cond{{None: true}}}}); !got.IsAll() {
		t.Errorf("not(all(none)) = %s, want all", got)
	}
}

func TestTextRules(t *testing.T) {
	for _, c := range []struct {
		q, w   string
		prefix bool
		want   int
	}{
		{"pagrduty", "pagerduty", false, 1}, {"pagerdtuy", "pagerduty", false, 1}, {"kubernets", "kubernetes", false, 1},
		{"grx", "grafana", false, -1}, {"gra", "grafana", true, 0}, {"grafna", "grafana", false, 1}, {"paym", "payments", false, -1},
		{"pagrdu", "pagerduty", true, 1}, {"kbernetes", "kubernetes", false, 1}, {"cat", "car", false, -1},
	} {
		if got := WordMatches(c.q, c.w, c.prefix); got != c.want {
			t.Errorf("WordMatches(%q, %q, %v) = %d, want %d", c.q, c.w, c.prefix, got, c.want)
		}
	}
	if hl, ok := Highlight("pagrduty bri", "The PagerDuty-Bridge (v2)"); !ok || hl != "The <mark>PagerDuty</mark>-<mark>Bridge</mark> (v2)" {
		t.Errorf("Highlight = %q", hl)
	}
	if _, ok := Highlight("zzz", "nothing here"); ok {
		t.Errorf("Highlight matched nothing but reported a match")
	}
}
