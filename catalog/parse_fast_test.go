package catalog

import (
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// slowDecode is the yaml.v3 path of ParseDocuments for one chunk.
func slowDecode(t testing.TB, data []byte) (any, int, bool) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil || n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return nil, 0, false
	}
	root := n.Content[0]
	c := converter{maxDepth: DefaultMaxDepth, maxAlias: DefaultMaxAliasExpansion}
	v, err := c.convert(root, 0, false)
	if err != nil {
		return nil, 0, false
	}
	return v, root.Line, true
}

// checkFast asserts that whatever fastDecode accepts, yaml.v3 decodes to the
// same value and line. It reports whether the fast path took the chunk.
func checkFast(t testing.TB, name string, data []byte) bool {
	t.Helper()
	v, line, ok := fastDecode(data, DefaultMaxDepth)
	if !ok {
		return false
	}
	want, wantLine, wok := slowDecode(t, data)
	if !wok {
		t.Fatalf("%s: fast path accepted what yaml.v3 refuses:\n%s\nfast: %#v", name, data, v)
	}
	if !reflect.DeepEqual(any(v), want) || line != wantLine {
		t.Fatalf("%s: fast path differs from yaml.v3:\n%s\nfast (line %d): %#v\nyaml (line %d): %#v", name, data, line, v, wantLine, want)
	}
	return true
}

func fastSamples() map[string]string {
	return map[string]string{
		"plain":             "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: a\n  tags:\n    - x\n    - y\nspec:\n  type: service\n",
		"marker":            "---\n# c\nkind: X\nmetadata:\n  name: a # trailing\n",
		"seq same col":      "a:\n- b\n- c\nd: e\n",
		"seq of maps":       "links:\n  - url: https://x.example/a#b\n    title: 'it''s'\n  -   url: \"q: r\"\n      icon: dashboard\n",
		"nulls":             "a:\nb: ~\nc: null\nd: # nothing\ne: {}\nf: []\n",
		"bools":             "a: true\nb: False\nc: yes\nd: on\ne: no\n",
		"numbers":           "a: 1\nb: 1.5\nc: -1\nd: .inf\ne: 0x10\n",
		"timestamp":         "a: 2001-12-14\n",
		"multiline":         "a: one\n  two\nb: c\n",
		"block scalar":      "a: |\n  x\n  y\n",
		"literal":           "a: |\n  type Query {\n    x: Int # not a comment\n  }\n\n  # also content\n  y  \nb: c\n",
		"literal strip":     "a: |-\n  x\n\n\nb: |+\n  y\n\n\nc: |\n    z\n\n",
		"literal deep":      "spec:\n  definition: |\n    openapi: 3.0.0\n    info:\n      title: x\n  owner: g\nmetadata:\n  name: n\n",
		"literal lead":      "a: |\n\n  x\n",
		"literal end":       "a: |\n  x",
		"literal keep end":  "a: |+\n  x\n\n",
		"literal empty":     "a: |\nb: c\n",
		"literal bad":       "a:\n  b: |\n     x\n    y\n",
		"literal spaces":    "a: |\n  x\n     \n  y\n",
		"literal crlf":      "a: |\r\n  x \r\n  y\r\nb: c\r\n",
		"literal indicator": "a: |2\n   x\n",
		"literal item":      "a:\n  - |\n    x\n",
		"literal comment":   "a: |+\n  x\n\n# c\nb: |\n  y\n  # z\n\n# d\n",
		"literal header":    "a: | # note\n  x\nb: |-  \n  y\n",
		"literal in item":   "l:\n  - name: n\n    def: |\n      x\n        y\n    t: u\n",
		"folded":            "a: >-\n  x\n",
		"anchor":            "a: &x b\nc: *x\n",
		"merge":             "a: {b: 1}\n<<: {c: 2}\n",
		"flow":              "a: [b, c]\nd: {e: f}\n",
		"flow seq":          "a: [b, c d , e] # x\nf: [g]\nh: [ ]\n",
		"flow odd":          "a: [b, 1, true, 'c', -d, e:f, ]\n",
		"flow comma":        "a: [b,, c]\n",
		"flow colon":        "a: [resource:db, b:c:d, x:y , e: f]\nb: [c:]\nd: [e :f]\n",
		"flow colons":       "a: [resource:db, b:c:d , api:x/y]\n",
		"tag":               "a: !Ref b\n",
		"dup":               "a: 1\na: 2\n",
		"dup str":           "a: b\na: c\n",
		"int key":           "200: ok\n",
		"bool key":          "true: x\n",
		"quoted key":        "'a': b\n",
		"quoted multi":      "a: 'b\n  c'\n",
		"escape":            "a: \"b\\nc\"\n",
		"tab":               "a:\n\tb: c\n",
		"bad indent":        "a:\n    b: c\n  d: e\n",
		"deeper":            "a:\n  b:\n    c:\n      - d:\n          e: f\n        g: h\n",
		"dash dash":         "a:\n  - - b\n",
		"empty item":        "a:\n  -\n  - b\n  -\n    c: d\n",
		"colon value":       "a: b: c\n",
		"url":               "a: http://x:80/y\n",
		"hash no space":     "a: b#c\n",
		"crlf":              "a: b\r\nc:\r\n  - d\r\n",
		"spaces in key":     "a b: c d\n",
		"key space":         "a : b\n",
		"percent":           "a: 50%\n",
		"directive":         "%YAML 1.1\n---\na: b\n",
		"root seq":          "- a\n- b\n",
		"root scalar":       "a\n",
		"indented root":     "  a: b\n  c: d\n",
		"dedent":            "  a: b\nc: d\n",
		"quote tail":        "a: 'b' c\n",
		"quote comment":     "a: 'b' # c\n",
		"unicode":           "a: héllo wörld ✓\n",
		"lt":                "a: <b>\n",
		"question":          "a: ?b\n",
		"backtick":          "a: `b`\n",
		"doc end":           "a: b\n...\n",
		"empty":             "# only a comment\n",
		"only marker":       "---\n",
		"marker content":    "--- a: b\n",
	}
}

func TestFastDecodeMatchesYAML(t *testing.T) {
	for name, src := range fastSamples() {
		checkFast(t, name, []byte(src))
	}
	// The common shapes must take the fast path (else it saves nothing).
	for _, name := range []string{"plain", "marker", "seq same col", "seq of maps", "nulls", "deeper", "crlf", "unicode", "flow seq", "flow colons",
		"block scalar", "literal", "literal strip", "literal deep", "literal lead", "literal crlf"} {
		if !checkFast(t, name, []byte(fastSamples()[name])) {
			t.Errorf("%s: fast path refused a common shape", name)
		}
	}
}

// Every fixture document the fast path takes decodes as with yaml.v3.
func TestFastDecodeFixtures(t *testing.T) {
	roots := []string{"testdata", "ingest/testdata", "../examples/catalog"}
	taken, total := 0, 0
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for i, ch := range splitDocuments(data) {
				total++
				if checkFast(t, path+"#"+strconv.Itoa(i), ch.data) {
					taken++
				}
			}
			return nil
		})
	}
	if total == 0 {
		t.Fatal("no fixture documents found")
	}
	t.Logf("fast path took %d of %d fixture documents", taken, total)
}

func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSamples() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // ParseDocuments refuses it before decoding
		}
		checkFast(t, "fuzz", []byte(s))
	})
}

// The eight-bytes-at-a-time scans over a document (printable, depthScan)
// answer as the byte-by-byte ones do, whatever byte sits at whatever
// position of a word.
func TestScansByWordMatchByByte(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	alphabet := []byte("ab :-[]{}\n\r\t\\\x7f\x00\x1f ")
	alphabet = append(alphabet, 0xc3, 0xa9, 0xff, 0xe2, 0x80, 0xa8)
	for i := 0; i < 30000; i++ {
		b := make([]byte, rng.Intn(64))
		for j := range b {
			if rng.Intn(3) == 0 {
				b[j] = alphabet[rng.Intn(len(alphabet))]
			} else {
				b[j] = 'a' + byte(rng.Intn(26))
			}
		}
		if got, want := printable(b, true), printable(b, false); got != want {
			t.Fatalf("printable(%q) = %v by words, %v by bytes", b, got, want)
		}
		for _, limit := range []int{2, 4, 8} {
			got, want := depthScan(b, limit, true), depthScan(b, limit, false)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("depthScan(%q, %d) = %v by words, %v by bytes", b, limit, got, want)
			}
		}
	}
}
