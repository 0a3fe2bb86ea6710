package catalog

import (
	"encoding/binary"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unsafe"
)

// TokenSet is an entity flattened for filtering: lower-cased dotted key → the
// lower-cased values it holds. A key present with no indexable value (too long,
// null, an empty object or array) maps to an empty slice, so `key` existence
// still matches.
//
// It follows Backstage's buildEntitySearch (REFERENCE.md §2.3): arrays are
// traversed, each string array item also yields `<path>.<item>` = "true",
// relations become `relations.<type>` = targetRef, metadata.name/namespace/uid/
// etag are always present, keys or values over 200 characters are not indexed.
// Both stores index exactly this, so filters mean the same on each.
type TokenSet map[string][]string

// Originals lists the value as first written in the entity for every
// lower-cased value whose spelling differs (an absent entry means the value
// is spelled in lower case), sorted by key and value. Facets report original
// values, as Backstage does. A sorted list rather than a map of maps: an
// entity has a handful, and a map per key per entity was a twentieth of
// what an ingest allocated.
type Originals []Original

// Original is one value's original spelling.
type Original struct{ Key, Value, Orig string }

// Get returns the original spelling of key's lower-cased value.
func (o Originals) Get(key, value string) (string, bool) {
	i := sort.Search(len(o), func(i int) bool {
		return o[i].Key > key || o[i].Key == key && o[i].Value >= value
	})
	if i < len(o) && o[i].Key == key && o[i].Value == value {
		return o[i].Orig, true
	}
	return "", false
}

// sortOriginals sorts o by key and value, keeping of each the first
// spelling added.
func sortOriginals(o Originals) Originals {
	if len(o) < 2 {
		return o
	}
	sort.SliceStable(o, func(i, j int) bool {
		return o[i].Key < o[j].Key || o[i].Key == o[j].Key && o[i].Value < o[j].Value
	})
	out := o[:1]
	for _, x := range o[1:] {
		if last := out[len(out)-1]; x.Key != last.Key || x.Value != last.Value {
			out = append(out, x)
		}
	}
	return out
}

// Token is one key and value of a flattened entity; KeyOnly marks a key
// present without an indexable value (Value is then "").
type Token struct {
	Key, Value string
	KeyOnly    bool
}

// FlatTokens is a TokenSet as a list sorted by key and value, without
// duplicates, a key-only token only for a key without values. The store
// tokenises every entity it stitches into this form: a map per entity
// and a slice per key were most of what tokenising cost.
type FlatTokens []Token

// Set returns the tokens as a TokenSet.
func (ft FlatTokens) Set() TokenSet {
	ts := make(TokenSet, len(ft))
	for _, t := range ft {
		if t.KeyOnly {
			ts[t.Key] = []string{}
		} else {
			ts[t.Key] = append(ts[t.Key], t.Value)
		}
	}
	return ts
}

// Flatten returns ts as FlatTokens.
func Flatten(ts TokenSet) FlatTokens {
	out := make(FlatTokens, 0, len(ts)+len(ts)/2)
	for k, vs := range ts {
		if len(vs) == 0 {
			out = append(out, Token{Key: k, KeyOnly: true})
		}
		for _, v := range vs {
			out = append(out, Token{Key: k, Value: v})
		}
	}
	return sortTokens(out)
}

// sortTokens sorts and dedups ts, dropping the key-only tokens of keys
// that have values.
func sortTokens(ts FlatTokens) FlatTokens {
	slices.SortFunc(ts, compareTokens)
	return dedupTokens(ts)
}

// compareTokens orders tokens by key, then value, a key-only token after
// the values of its key.
func compareTokens(a, b Token) int {
	if c := strings.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	if a.KeyOnly != b.KeyOnly {
		if a.KeyOnly {
			return 1 // values before the key-only token
		}
		return -1
	}
	return strings.Compare(a.Value, b.Value)
}

// dedupTokens drops from sorted ts the duplicates and the key-only tokens
// of keys that have values.
func dedupTokens(ts FlatTokens) FlatTokens {
	out := ts[:0]
	for i, t := range ts {
		if i > 0 {
			last := out[len(out)-1]
			if t.Key == last.Key && (t.KeyOnly || t.Value == last.Value) {
				continue // a duplicate, or key-only after a value
			}
		}
		out = append(out, t)
	}
	return out
}

// MaxTokenLength is the longest key or value that is indexed.
const MaxTokenLength = 200

// HasKey reports whether key is present.
func (ts TokenSet) HasKey(key string) bool { _, ok := ts[key]; return ok }

// Tokens flattens an entity. The entity must carry its relations (stitched).
func Tokens(e *Entity) TokenSet {
	b, err := json.Marshal(e)
	if err != nil {
		return TokenSet{}
	}
	return TokensJSON(b)
}

// TokensJSON flattens an entity given as JSON. Invalid JSON gives an empty set.
func TokensJSON(b []byte) TokenSet {
	f := flattener{}
	f.run(b)
	return sortTokens(f.flat).Set()
}

// TokensWithOriginals is TokensJSON plus the original spelling of every value.
func TokensWithOriginals(b []byte) (TokenSet, Originals) {
	ft, orig := FlatTokensWithOriginals(b)
	return ft.Set(), orig
}

// FlatTokensWithOriginals is TokensWithOriginals as FlatTokens.
func FlatTokensWithOriginals(b []byte) (FlatTokens, Originals) {
	f := flattener{flat: make(FlatTokens, 0, 32), wantOrig: true}
	f.run(b)
	return sortTokens(f.flat), sortOriginals(f.orig)
}

// flattener collects an entity's tokens unsorted, as Backstage's flattening
// walks it (sortTokens orders and dedups them).
type flattener struct {
	flat     FlatTokens
	wantOrig bool
	orig     Originals // unsorted until the end
}

func (f *flattener) run(b []byte) {
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return
	}
	for k, v := range doc {
		switch k {
		case "relations", "status", "attachments":
			continue
		case "metadata":
			m, _ := v.(map[string]any)
			for mk, mv := range m {
				switch mk {
				case "name", "namespace", "uid", "etag":
					continue
				}
				f.walk("metadata."+mk, mv)
			}
			continue
		}
		f.walk(k, v)
	}
	m, _ := doc["metadata"].(map[string]any)
	for _, key := range []string{"name", "namespace", "uid", "etag"} {
		s, _ := m[key].(string)
		if key == "namespace" && s == "" {
			s = DefaultNamespace
		}
		if s != "" {
			f.add("metadata."+key, s)
		}
	}
	rels, _ := doc["relations"].([]any)
	for _, r := range rels {
		rm, _ := r.(map[string]any)
		typ, _ := rm["type"].(string)
		target, _ := rm["targetRef"].(string)
		if typ != "" && target != "" {
			f.add("relations."+typ, target)
		}
	}
}

func (f *flattener) walk(path string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			f.addKey(path)
		}
		for k, sub := range x {
			f.walk(path+"."+k, sub)
		}
	case []any:
		if len(x) == 0 {
			f.addKey(path)
		}
		for _, item := range x {
			if s, ok := item.(string); ok {
				f.add(path+"."+s, "true")
			}
			f.walk(path, item)
		}
	case string:
		f.add(path, x)
	case bool:
		f.add(path, strconv.FormatBool(x))
	case float64:
		f.add(path, strconv.FormatFloat(x, 'f', -1, 64))
	case nil:
		f.addKey(path)
	default: // a Go value JSON decoding never produces (TokensOfEntity)
		f.walkGo(path, x)
	}
}

func (f *flattener) addKey(key string) {
	if len(key) > MaxTokenLength {
		return
	}
	f.flat = append(f.flat, Token{Key: toLower(key), KeyOnly: true})
}

func (f *flattener) add(key, value string) {
	if len(key) > MaxTokenLength {
		return
	}
	key = toLower(key)
	if len(value) > MaxTokenLength {
		f.addKey(key)
		return
	}
	lv := toLower(value)
	f.flat = append(f.flat, Token{Key: key, Value: lv})
	// Most values are already lower case; only a differing spelling is kept
	// (readers fall back to the lower-cased value).
	if f.wantOrig && lv != value {
		f.orig = append(f.orig, Original{key, lv, value})
	}
}

// TokensOfEntity is TokensWithOriginals(json.Marshal(e)) computed from the
// struct, without the JSON round trip (the store tokenises every entity it
// stitches; encoding and decoding the final JSON again was a third of that),
// as FlatTokens. Values of types JSON decoding never produces go through
// that round trip.
func TokensOfEntity(e *Entity) (FlatTokens, Originals) {
	m := &e.Metadata
	n := 12 + len(m.Labels) + len(m.Annotations) + 2*len(m.Tags) + 2*len(e.Spec) + len(e.Relations)
	for _, v := range e.Spec {
		if items, ok := v.([]any); ok {
			n += 2 * len(items) // each string item is a key of its own too (walk)
		}
	}
	f := flattener{flat: make(FlatTokens, 0, n), wantOrig: true}
	// The keys are added in their sorted order, group by group, so that
	// only the groups from maps (and runs of one key's values) need
	// sorting: sorting ~40 tokens whole was a third of tokenising.
	var groups [16]int
	g := groups[:0]
	mark := func() { g = append(g, len(f.flat)) }
	f.add("apiversion", e.APIVersion)
	f.add("kind", e.Kind)
	mark()
	for k, v := range m.Annotations {
		f.add("metadata.annotations."+k, v)
	}
	mark()
	if m.Description != "" {
		f.add("metadata.description", m.Description)
	}
	if m.Etag != "" {
		f.add("metadata.etag", m.Etag)
	}
	for k, v := range m.Extra { // anywhere among metadata's keys: the check below sorts them in
		if !metadataKnown[k] {
			f.walkGo("metadata."+k, v)
		}
	}
	mark()
	for k, v := range m.Labels {
		f.add("metadata.labels."+k, v)
	}
	mark()
	for _, l := range m.Links {
		f.add("metadata.links.url", l.URL)
		if l.Title != "" {
			f.add("metadata.links.title", l.Title)
		}
		if l.Icon != "" {
			f.add("metadata.links.icon", l.Icon)
		}
		if l.Type != "" {
			f.add("metadata.links.type", l.Type)
		}
	}
	mark()
	f.add("metadata.name", m.Name)
	ns := m.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	f.add("metadata.namespace", ns)
	mark()
	for _, t := range m.Tags {
		f.add("metadata.tags", t)
	}
	mark()
	for _, t := range m.Tags {
		f.add("metadata.tags."+t, "true")
	}
	mark()
	if m.Title != "" {
		f.add("metadata.title", m.Title)
	}
	if m.UID != "" {
		f.add("metadata.uid", m.UID)
	}
	mark()
	for _, r := range e.Relations {
		if r.Type != "" && r.TargetRef != "" {
			f.add("relations."+r.Type, r.TargetRef)
		}
	}
	mark()
	if len(e.Spec) > 0 {
		f.walkGo("spec", e.Spec)
	}
	mark()
	return sortTokenGroups(f.flat, g), sortOriginals(f.orig)
}

// sortTokenGroups is sortTokens for tokens added group by group, each
// group's keys sorting after the group before: each group is sorted on
// its own, and the whole only if that leaves it unsorted. ends lists where
// each group ends.
func sortTokenGroups(ts FlatTokens, ends []int) FlatTokens {
	start := 0
	for _, end := range ends {
		if end-start > 1 {
			slices.SortFunc(ts[start:end], compareTokens)
		}
		start = end
	}
	if !slices.IsSortedFunc(ts, compareTokens) {
		slices.SortFunc(ts, compareTokens)
	}
	return dedupTokens(ts)
}

// walkGo is walk over Go values as YAML or JSON decoding produce them;
// anything else is normalised through JSON first.
func (f *flattener) walkGo(path string, v any) {
	switch x := v.(type) {
	case map[string]any, []any, string, bool, float64, nil:
		f.walk(path, x)
	case json.Number:
		if n, err := x.Float64(); err == nil {
			f.walk(path, n)
		}
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return
		}
		var norm any
		if json.Unmarshal(b, &norm) == nil {
			f.walk(path, norm)
		}
	}
}

// toLower is strings.ToLower, with a faster test for the common case of a
// key or value already in lower-case ASCII (returned as is): eight bytes
// at a time instead of one. Tokenising lower-cases every key and value.
func toLower(s string) string {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if w := word8(s[i:]); w&swarHigh|upperASCII(w) != 0 { // not ASCII, or upper case
			return lowerCopy(s)
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || 'A' <= c && c <= 'Z' {
			return lowerCopy(s)
		}
	}
	return s
}

// lowerCopy is strings.ToLower for a string that needs a copy: an ASCII
// one (a description, a title) is lower-cased eight bytes at a time.
func lowerCopy(s string) string {
	n := len(s)
	i := 0
	for ; i+8 <= n; i += 8 {
		if word8(s[i:])&swarHigh != 0 {
			return strings.ToLower(s)
		}
	}
	for ; i < n; i++ {
		if s[i] >= 0x80 {
			return strings.ToLower(s)
		}
	}
	b := make([]byte, n)
	for i = 0; i+8 <= n; i += 8 {
		w := word8(s[i:])
		binary.LittleEndian.PutUint64(b[i:], w|upperASCII(w)>>2) // 'A'..'Z' +0x20
	}
	for ; i < n; i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(unsafe.SliceData(b), n)
}
