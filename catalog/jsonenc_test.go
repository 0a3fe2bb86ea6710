package catalog

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"
)

// randString mixes what JSON escapes: quotes, backslashes, control and HTML
// characters, U+2028/2029, invalid UTF-8 and multi-byte runes.
func randString(rng *rand.Rand) string {
	pieces := []string{"a", "Z", "9", " ", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"<", ">", "&", "\u2028", "\u2029", "\xff", "\xe2\x82", "é", "日本", "😀", "/", "'", "-", "service"}
	n := rng.Intn(6)
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, pieces[rng.Intn(len(pieces))]...)
	}
	return string(b)
}

func randValue(rng *rand.Rand, depth int) any {
	switch r := rng.Intn(12); {
	case r == 0:
		return nil
	case r == 1:
		return rng.Intn(2) == 0
	case r == 2:
		return []float64{0, -0.0, 1, -1.5, 1e-7, 1e-6, 123456789, 1e20, 1e21, 1.5e300, -2.5e-300, 0.1, 100, 3}[rng.Intn(14)] * float64(1+rng.Intn(3))
	case r == 3:
		return rng.Intn(2000) - 1000
	case r == 4:
		return int64(rng.Int63())
	case r <= 6 && depth < 3:
		m := map[string]any{}
		if rng.Intn(8) == 0 {
			return map[string]any(nil)
		}
		for i := rng.Intn(5); i > 0; i-- {
			m[randString(rng)] = randValue(rng, depth+1)
		}
		return m
	case r <= 8 && depth < 3:
		if rng.Intn(8) == 0 {
			return []any(nil)
		}
		l := []any{}
		for i := rng.Intn(4); i > 0; i-- {
			l = append(l, randValue(rng, depth+1))
		}
		return l
	case r == 9:
		return map[string]string{randString(rng): randString(rng)}
	case r == 10:
		return []string{randString(rng), randString(rng)}
	default:
		return randString(rng)
	}
}

func randEntity(rng *rand.Rand) *Entity {
	e := &Entity{APIVersion: randString(rng), Kind: randString(rng), Metadata: Metadata{
		UID: randString(rng), Etag: randString(rng), Name: randString(rng), Namespace: randString(rng),
		Title: randString(rng), Description: randString(rng)}}
	if rng.Intn(2) == 0 {
		e.Metadata.Labels = map[string]string{}
		for i := rng.Intn(3); i > 0; i-- {
			e.Metadata.Labels[randString(rng)] = randString(rng)
		}
	}
	if rng.Intn(2) == 0 {
		e.Metadata.Annotations = map[string]string{randString(rng): randString(rng), randString(rng): randString(rng)}
	}
	if rng.Intn(2) == 0 {
		e.Metadata.Tags = []string{}
		for i := rng.Intn(3); i > 0; i-- {
			e.Metadata.Tags = append(e.Metadata.Tags, randString(rng))
		}
	}
	if rng.Intn(3) == 0 {
		e.Metadata.Links = []Link{{URL: randString(rng), Title: randString(rng), Icon: randString(rng), Type: randString(rng)}, {URL: randString(rng)}}
	}
	if rng.Intn(8) == 0 {
		e.Metadata.Extra = map[string]any{"custom" + randString(rng): randValue(rng, 1)}
	}
	if rng.Intn(6) > 0 {
		e.Spec = map[string]any{}
		for i := rng.Intn(6); i > 0; i-- {
			e.Spec[randString(rng)] = randValue(rng, 0)
		}
	}
	if rng.Intn(2) == 0 {
		e.Relations = []Relation{{Type: randString(rng), TargetRef: randString(rng)}}
	}
	if rng.Intn(4) == 0 {
		e.Status = &Status{Items: []StatusItem{{Type: "backstage.io/catalog-processing", Level: "error", Message: randString(rng)}}}
	}
	return e
}

// marshalReference is json.Marshal(e) without the hand-written encoders
// (Metadata.MarshalJSON uses appendMetadata).
func marshalReference(e *Entity) ([]byte, error) {
	meta, err := json.Marshal(metadataAlias(e.Metadata))
	if len(e.Metadata.Extra) > 0 {
		meta, err = e.Metadata.MarshalJSON() // through a map, not appendMetadata
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		APIVersion string          `json:"apiVersion"`
		Kind       string          `json:"kind"`
		Metadata   json.RawMessage `json:"metadata"`
		Spec       map[string]any  `json:"spec,omitempty"`
		Relations  []Relation      `json:"relations,omitempty"`
		Status     *Status         `json:"status,omitempty"`
	}{e.APIVersion, e.Kind, meta, e.Spec, e.Relations, e.Status})
}

// The hand-written encoders write exactly json.Marshal's bytes.
func TestJSONEncodersMatchMarshal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20000; i++ {
		e := randEntity(rng)
		want, werr := marshalReference(e)
		got, gerr := appendEntity(nil, e)
		if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("entity %d:\n got %s (%v)\nwant %s (%v)", i, got, gerr, want, werr)
		}
		rows := []RelationRow{{Source: randString(rng), Type: randString(rng), Target: randString(rng)}}
		for _, rs := range [][]RelationRow{nil, {}, rows} {
			want, _ := json.Marshal(rs)
			if got := appendRelationRows(nil, rs); !bytes.Equal(got, want) {
				t.Fatalf("relation rows %#v:\n got %s\nwant %s", rs, got, want)
			}
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1)} {
		if _, err := appendEntity(nil, &Entity{Spec: map[string]any{"x": f}}); err == nil {
			t.Fatalf("%v encoded without an error", f)
		}
	}
}

func BenchmarkBodyJSON(b *testing.B) {
	rng := rand.New(rand.NewSource(2))
	es := make([]*Entity, 256)
	for i := range es {
		es[i] = randEntity(rng)
		es[i].Metadata.Extra = nil
	}
	b.Run("appendEntity", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			appendEntity(nil, es[i%len(es)])
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			json.Marshal(es[i%len(es)])
		}
	})
}

// Strings long enough for the eight-bytes-at-a-time test, with each byte
// that needs escaping at every position of a word, quote as json.Marshal
// quotes them.
func TestAppendJSONStringWords(t *testing.T) {
	specials := []string{"\"", "\\", "<", ">", "&", "\x00", "\x1f", "\n", "\x7f", "\x80", "\xff", "é", "\u2028", "\u2029"}
	for _, sp := range specials {
		for n := 0; n < 24; n++ {
			for at := 0; at <= n; at++ {
				s := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				want, _ := json.Marshal(s)
				if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
					t.Fatalf("%q: got %s want %s", s, got, want)
				}
			}
		}
	}
	for _, s := range []string{"", "plain ascii text, longer than a word", "\x20\x21\x23\x25\x27\x3b\x3d\x3f\x5b\x5d\x7e\x7f"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %s want %s", s, got, want)
		}
	}
}
