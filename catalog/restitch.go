package catalog

import (
	"bytes"
)

// RestitchFinal is Stitch for an entity of which only the relation rows
// changed since final (its stored final JSON, whose etag is oldEtag) was
// stitched: final's relations are replaced by those of rows whose source is
// ref and the etag is computed again; every other byte — body, uid,
// status, an orphan annotation — is kept. ok is false when final is not
// shaped as Stitch writes it (top-level members apiVersion, kind, metadata
// holding "etag":oldEtag, optionally spec, then relations and status, in
// that order and only there); the caller then stitches from the body.
//
// A large apply stitches again every entity that a later part pointed at
// (a component another depends on); decoding its final JSON for that was
// most of the cost.
func RestitchFinal(final []byte, oldEtag, ref string, rows []RelationRow) (out []byte, etag string, rels []Relation, ok bool) {
	members, ok := topLevelMembers(final)
	if !ok || len(members) < 3 || len(oldEtag) != len(etagPlaceholder) {
		return nil, "", nil, false
	}
	// The body's members, then relations and status if present; the tail
	// starts at the comma before the first of those.
	head := len(members)
	for head > 0 && (members[head-1].key == "relations" || members[head-1].key == "status") {
		head--
	}
	tail := members[head:]
	switch {
	case len(tail) == 2 && (tail[0].key != "relations" || tail[1].key != "status"), len(tail) > 2:
		return nil, "", nil, false
	}
	var meta *member
	for i := range members[:head] {
		switch members[i].key {
		case "relations", "status":
			return nil, "", nil, false
		case "metadata":
			meta = &members[i]
		}
	}
	if meta == nil || members[0].key != "apiVersion" || members[1].key != "kind" || meta != &members[2] {
		return nil, "", nil, false
	}
	needle := `"etag":"` + oldEtag + `"`
	at := bytes.Index(final[meta.value:meta.end], []byte(needle))
	if at < 0 {
		return nil, "", nil, false
	}
	at += meta.value + len(`"etag":"`)
	headEnd := len(final) - 1 // the closing brace
	var status []byte         // its JSON, kept as it is
	if len(tail) > 0 {
		headEnd = tail[0].start - 1 // the comma before it
		if final[headEnd] != ',' {
			return nil, "", nil, false
		}
		if st := tail[len(tail)-1]; st.key == "status" {
			status = final[st.value:st.end]
		}
	}
	rels = StitchRelations(ref, rows)
	out = appendTail(append(make([]byte, 0, headEnd+len(status)+tailSize(rels)), final[:headEnd]...), rels, status)
	return out, sealEtag(out, at), rels, true
}

// member is one member of a JSON object: its key (unescaped only when it
// has no escapes; RestitchFinal needs no others), where it starts (the
// key's opening quote), where its value starts and where it ends.
type member struct {
	key               string
	start, value, end int
}

// topLevelMembers lists the members of the JSON object b. ok is false if b
// is not one object, well nested, with nothing after it.
func topLevelMembers(b []byte) ([]member, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	var out []member
	if i < len(b) && b[i] == '}' {
		return out, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		m := member{start: i}
		end, ok := skipString(b, i)
		if !ok {
			return nil, false
		}
		m.key = string(b[i+1 : end-1])
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		m.value = skipSpace(b, i+1)
		if m.end, ok = skipValue(b, m.value); !ok {
			return nil, false
		}
		out = append(out, m)
		i = skipSpace(b, m.end)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return out, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the offset after the string starting at b[i] ('"').
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the offset after the JSON value starting at b[i]. It
// checks nesting and strings, not the grammar of literals: final JSON is
// the store's own encoding.
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		var stack []byte
		for ; i < len(b); i++ {
			switch c := b[i]; c {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				stack = append(stack, c)
			case '}', ']':
				open := byte('{')
				if c == ']' {
					open = '['
				}
				if len(stack) == 0 || stack[len(stack)-1] != open {
					return 0, false
				}
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
			j++
		}
		return j, j > i
	}
}

// StitchedTokens are the tokens Stitch adds to an entity's own (those of
// keys for which IsStitchedKey holds): its etag and its relations.
func StitchedTokens(etag string, rels []Relation) (FlatTokens, Originals) {
	f := flattener{flat: make(FlatTokens, 0, len(rels)+1), wantOrig: true}
	if etag != "" {
		f.add("metadata.etag", etag)
	}
	for _, r := range rels {
		if r.Type != "" && r.TargetRef != "" {
			f.add("relations."+r.Type, r.TargetRef)
		}
	}
	return sortTokens(f.flat), sortOriginals(f.orig)
}

// IsStitchedKey reports whether tokens of key come from stitching (the
// etag, relations) rather than from the body: what RestitchFinal changes.
func IsStitchedKey(key string) bool {
	return key == "metadata.etag" || len(key) > len("relations.") && key[:len("relations.")] == "relations."
}
