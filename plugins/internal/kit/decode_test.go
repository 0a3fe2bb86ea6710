package kit

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

type decMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type decEmbedded struct {
	Embedded string `json:"embedded"`
}

type decDoc struct {
	decEmbedded
	Status string `json:"status"`
	Count  int    `json:"count"`
	Big    int64  `json:"big"`
	Ratio  float64
	Ok     bool              `json:"ok"`
	Opt    *string           `json:"opt"`
	OptInt *int              `json:"optInt"`
	Labels map[string]string `json:"labels"`
	Any    any               `json:"any"`
	Skip   string            `json:"-"`
	hidden string
	Items  []struct {
		Metadata decMeta `json:"metadata"`
		Alerts   []struct {
			ActiveAt string `json:"activeAt"`
		} `json:"alerts"`
		Waiting *struct {
			Reason string `json:"reason"`
		} `json:"waiting"`
	} `json:"items"`
	Empty []string `json:"empty"`
	Null  []string `json:"null"`
}

// Decode reads what encoding/json reads, for the types plugins use.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{"status":"success","count":3,"big":9007199254740993,"ratio":0.25,"ok":true,"opt":"x","optInt":7,
		  "labels":{"service":"a","severity":"critical"},"any":{"a":[1,"two",null,true,{"b":2.5}]},
		  "skip":"no","hidden":"no","embedded":"yes","unknown":{"deep":[{"x":[1,2,{"y":"z"}]}]},
		  "items":[{"metadata":{"name":"p1","namespace":"ns","extra":1},"alerts":[{"activeAt":"2026-01-01T00:00:00Z","value":"1e+00"}],"waiting":{"reason":"CrashLoopBackOff"}},
		           {"metadata":{"name":"p2"},"alerts":[],"waiting":null}],
		  "empty":[],"null":null}`,
		`{"STATUS":"upper","Count":-4,"RATIO":1e3,"opt":null,"labels":{}}`,
		`{"status":"esc \"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 \u2028 end","labels":{"k\u0041":"v"}}`,
		"  {\"status\" : \"spaces\" ,\n\t\"count\" : 0 }  ",
		`{"status":"ünïcødé ✓"}`,
	}
	for _, doc := range docs {
		var want, got decDoc
		if err := json.Unmarshal([]byte(doc), &want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if err := Decode([]byte(doc), &got); err != nil {
			t.Fatalf("Decode %s: %v", doc, err)
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("Decode %s\n got %+v\nwant %+v", doc, got, want)
		}
	}
	// Into any, and into slices and maps at the top.
	for _, doc := range []string{`[{"a":1},{"b":[true,false,null]}]`, `"s"`, `12.5`, `null`, `{"a":{"b":"c"}}`} {
		var want, got any
		_ = json.Unmarshal([]byte(doc), &want)
		if err := Decode([]byte(doc), &got); err != nil || !reflect.DeepEqual(want, got) {
			t.Errorf("Decode %s into any: %#v, %v; want %#v", doc, got, err, want)
		}
	}
	var rows []map[string]string
	if err := Decode([]byte(`[{"a":"1"},{"b":"2"}]`), &rows); err != nil || len(rows) != 2 || rows[1]["b"] != "2" {
		t.Errorf("slice of maps: %v %v", rows, err)
	}
}

// Malformed answers are errors, never panics or partial silence.
func TestDecodeRejectsMalformed(t *testing.T) {
	for _, doc := range []string{``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,2`, `{"a":"x}`, `{"a":tru}`, `{"a":1} x`,
		`{"a":"\x"}`, "{\"a\":\"\x01\"}", `{"count":"three"}`, `{"count":1.5}`, `{"labels":[1]}`, `{"items":{}}`, `{"status":5}`, `{"a":-}`} {
		var v decDoc
		err := Decode([]byte(doc), &v)
		if err == nil {
			t.Errorf("Decode %q: no error", doc)
		} else if !strings.Contains(err.Error(), "JSON") {
			t.Errorf("Decode %q: error %q does not say JSON", doc, err)
		}
	}
	if err := Decode([]byte(`{}`), decDoc{}); err == nil {
		t.Error("a non-pointer target is accepted")
	}
}

// special never misses a quote, a backslash or a control byte in any lane.
func TestSpecialLanes(t *testing.T) {
	for b := 0; b < 256; b++ {
		for lane := 0; lane < 8; lane++ {
			x := uint64(0)
			for l := 0; l < 8; l++ {
				v := uint64('a')
				if l == lane {
					v = uint64(b)
				}
				x |= v << (8 * l)
			}
			want := b == '"' || b == '\\' || b < 0x20
			if got := special(x); want && !got {
				t.Fatalf("byte %#x in lane %d not detected", b, lane)
			} else if !want && got && b < 0x80 {
				t.Fatalf("byte %#x in lane %d falsely detected", b, lane)
			}
		}
	}
}

// Skipped values (keys no field asks for) are checked too.
func TestDecodeChecksSkippedValues(t *testing.T) {
	for _, doc := range []string{`{"unknown":"\x"}`, `{"unknown":-}`, `{"unknown":[1,{"a":tru}]}`, `{"unknown":{"a":[1,2}}`, `{"unknown":"open`, `{"unknown":[1,2`} {
		var v decDoc
		if err := Decode([]byte(doc), &v); err == nil {
			t.Errorf("Decode %q: no error", doc)
		}
	}
}

// Raw keeps the value's text, whatever its type.
func TestDecodeRaw(t *testing.T) {
	var v struct {
		A Raw `json:"a"`
		B Raw `json:"b"`
		C Raw `json:"c"`
		N int `json:"n"`
	}
	if err := Decode([]byte(`{"a":{"x":[1,"}"]},"b":"s\"q","c":null,"n":2}`), &v); err != nil {
		t.Fatal(err)
	}
	if string(v.A) != `{"x":[1,"}"]}` || string(v.B) != `"s\"q"` || v.C != nil || v.N != 2 {
		t.Fatalf("raw values %q %q %q %d", v.A, v.B, v.C, v.N)
	}
}
