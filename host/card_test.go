package host

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCardValidate(t *testing.T) {
	good := Card{Title: "t", Status: &CardStatus{Level: "ok"}, Links: []CardLink{{Title: "x", URL: "https://x.example/"}},
		Badges: []CardBadge{{Label: "b", Tone: "warning"}}, Fields: []CardField{{Label: "l", Value: "v", URL: "http://a.example"}}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Card{
		"no title":          {},
		"bad level":         {Title: "t", Status: &CardStatus{Level: "green"}},
		"javascript link":   {Title: "t", Links: []CardLink{{Title: "x", URL: "javascript:alert(1)"}}},
		"data url in field": {Title: "t", Fields: []CardField{{Label: "l", Value: "v", URL: "data:text/html,<script>"}}},
		"bad tone":          {Title: "t", Badges: []CardBadge{{Label: "b", Tone: "red"}}},
		"wide table":        {Title: "t", Tables: []CardTable{{Columns: []string{"a"}, Rows: [][]string{make([]string, 21)}}}},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCardMatches(t *testing.T) {
	m, err := ParseManifest([]byte(strings.Replace(goodManifest, "when: {annotation: pagerduty.com/service-id}",
		"when: {annotation: pagerduty.com/service-id, kind: component, type: service}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	p := &Plugin{src: &Source{Manifest: m}}
	ent := func(kind, typ string, ann map[string]string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"kind": kind, "metadata": map[string]any{"name": "x", "annotations": ann}, "spec": map[string]any{"type": typ}})
		return b
	}
	ann := map[string]string{"pagerduty.com/service-id": "P1"}
	if got := p.CardsFor(ent("Component", "Service", ann)); len(got) != 1 || got[0].ID != "oncall" {
		t.Fatalf("matching entity: %v", got)
	}
	for name, e := range map[string]json.RawMessage{
		"no annotation": ent("Component", "service", nil),
		"other kind":    ent("API", "service", ann),
		"other type":    ent("Component", "website", ann),
		"not json":      json.RawMessage("{"),
	} {
		if got := p.CardsFor(e); len(got) != 0 {
			t.Errorf("%s: %v", name, got)
		}
	}
}
