package catalogapi

import (
	"encoding/json"
	"testing"
)

func TestProjection(t *testing.T) {
	const entity = `{"apiVersion":"v1","kind":"Component","metadata":{"name":"a","annotations":{"backstage.io/orphan":"true","x.y/z":"1"},"tags":["t1","t2"],"n":12345678901234567890},"spec":{"type":"service"}}`
	tests := []struct {
		fields []string
		want   string
	}{
		{[]string{"kind"}, `{"kind":"Component"}`},
		{[]string{"kind,metadata.name", " spec "}, `{"kind":"Component","metadata":{"name":"a"},"spec":{"type":"service"}}`},
		{[]string{"metadata.annotations.backstage.io/orphan"}, `{"metadata":{"annotations":{"backstage.io/orphan":"true"}}}`},
		{[]string{"metadata.annotations.x.y/z"}, `{"metadata":{"annotations":{"x.y/z":"1"}}}`},
		{[]string{"metadata.tags"}, `{"metadata":{"tags":["t1","t2"]}}`},
		{[]string{"metadata.n"}, `{"metadata":{"n":12345678901234567890}}`},
		{[]string{"spec.missing", "nothing.here"}, `{}`},
		{[]string{"metadata.name.deeper"}, `{}`},
	}
	for _, tt := range tests {
		p, err := parseFields(tt.fields)
		if err != nil {
			t.Fatalf("%v: %v", tt.fields, err)
		}
		got, err := p.apply(json.RawMessage(entity))
		if err != nil {
			t.Fatalf("%v: %v", tt.fields, err)
		}
		if string(got) != tt.want {
			t.Errorf("fields %v: got %s, want %s", tt.fields, got, tt.want)
		}
	}
	if _, err := parseFields([]string{"metadata.tags[0]"}); err == nil {
		t.Error("a [ in fields must be refused")
	}
	p, _ := parseFields(nil)
	if got, _ := p.apply(json.RawMessage(entity)); string(got) != entity {
		t.Error("without fields the stored bytes must be returned unchanged")
	}
}

func TestHasEscapedNUL(t *testing.T) {
	for in, want := range map[string]bool{
		`{"a":"\u0000"}`:    true,
		`{"a":"x\\u0000"}`:  false,
		`{"a":"x\\\u0000"}`: true,
		`{"a":"u0000"}`:     false,
		`{"a":"\u00001"}`:   true,
	} {
		if got := hasEscapedNUL([]byte(in)); got != want {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
}
