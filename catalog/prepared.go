package catalog

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"unsafe"
)

// Prepared is an entity made ready to be stitched later without its
// decoded form: its body JSON and the body's tokens, encoded in one
// pointer-free buffer. A large apply stitches the entities others point at
// (groups, systems, domains, resources) once, at its end; held decoded
// until then, a million-entity organisation's fifth was most of the heap
// the garbage collector walked, ~60 objects each, at every cycle.
type Prepared struct {
	body   []byte
	meta   int // the offset in body just after `"metadata":{`
	uid    string
	tokens []byte // the body's tokens (metadata.uid among them) and originals (appendTokens)
}

// Prepare returns e, whose BodyJSON is body, prepared to be stitched with
// uid by StitchPrepared, or false when e needs Stitch: extra metadata keys
// or an orphan annotation (encoded otherwise), or a body not in the shape
// BodyJSON writes.
func Prepare(e *Entity, body []byte, uid string) (*Prepared, bool) {
	if len(e.Metadata.Extra) > 0 || uid == "" {
		return nil, false
	}
	if _, ok := e.Metadata.Annotations[AnnotationOrphan]; ok {
		return nil, false
	}
	members, ok := topLevelMembers(body)
	if !ok || len(members) < 3 || members[0].key != "apiVersion" || members[1].key != "kind" || members[2].key != "metadata" {
		return nil, false
	}
	for _, m := range members[3:] {
		if m.key == "relations" || m.key == "status" {
			return nil, false
		}
	}
	meta := members[2].value
	if body[meta] != '{' || meta+1 >= members[2].end-1 { // metadata holds name at least
		return nil, false
	}
	c := *e
	c.Metadata.UID, c.Metadata.Etag = uid, ""
	c.Relations, c.Status = nil, nil
	ts, orig := TokensOfEntity(&c)
	return &Prepared{body: body, meta: meta + 1, uid: uid, tokens: appendTokens(make([]byte, 0, 32*len(ts)+48*len(orig)), ts, orig)}, true
}

// StitchPrepared is StitchTokens for a prepared entity (not an orphan):
// the same final JSON, etag and tokens.
func StitchPrepared(p *Prepared, ref string, rows []RelationRow, errs []ProcessingError) (final []byte, etag string, ts FlatTokens, orig Originals, err error) {
	rels := StitchRelations(ref, rows)
	var status []byte
	if len(errs) > 0 {
		if status, err = json.Marshal(&Status{Items: StatusItems(errs)}); err != nil {
			return nil, "", nil, nil, fmt.Errorf("stitch %s: %w", ref, err)
		}
	}
	out, etag := spliceBody(p.body, p.meta, p.uid, rels, status)
	bodyToks, bodyOrig := readTokens(p.tokens)
	add, addOrig := StitchedTokens(etag, rels)
	ts = mergeSorted(bodyToks, add, func(t Token) (string, string) { return t.Key, t.Value })
	orig = mergeSorted(bodyOrig, addOrig, func(o Original) (string, string) { return o.Key, o.Value })
	return out, etag, ts, orig, nil
}

// mergeSorted merges two lists sorted by key (and value) without a key
// in common: a body's tokens or originals and the stitched keys'.
func mergeSorted[T any](a, b []T, kv func(T) (string, string)) []T {
	if len(b) == 0 {
		return a
	}
	out := make([]T, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		ak, av := kv(a[0])
		bk, bv := kv(b[0])
		if ak < bk || ak == bk && av <= bv {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// Token flags in the encoded form.
const (
	tokKeyOnly = 1 << iota
	tokSameKey // the key of the token before
)

// appendTokens encodes ts and orig: a count, then each token as flags,
// key (unless the token before has it) and value, each string a length
// and its bytes; then a count and each original's three strings.
func appendTokens(dst []byte, ts FlatTokens, orig Originals) []byte {
	str := func(s string) { dst = append(binary.AppendUvarint(dst, uint64(len(s))), s...) }
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	for i, t := range ts {
		var flags byte
		if t.KeyOnly {
			flags |= tokKeyOnly
		}
		if i > 0 && ts[i-1].Key == t.Key {
			flags |= tokSameKey
		}
		dst = append(dst, flags)
		if flags&tokSameKey == 0 {
			str(t.Key)
		}
		str(t.Value)
	}
	dst = binary.AppendUvarint(dst, uint64(len(orig)))
	for _, o := range orig {
		str(o.Key)
		str(o.Value)
		str(o.Orig)
	}
	return dst
}

// readTokens decodes appendTokens's encoding. The strings share b's
// memory, so b must not change while they are in use (a Prepared's never
// does).
func readTokens(b []byte) (FlatTokens, Originals) {
	num := func() int {
		n, w := binary.Uvarint(b)
		b = b[w:]
		return int(n)
	}
	str := func() string {
		n := num()
		if n == 0 {
			return ""
		}
		s := unsafe.String(&b[0], n)
		b = b[n:]
		return s
	}
	ts := make(FlatTokens, num())
	for i := range ts {
		flags := b[0]
		b = b[1:]
		if flags&tokSameKey != 0 {
			ts[i].Key = ts[i-1].Key
		} else {
			ts[i].Key = str()
		}
		ts[i].Value = str()
		ts[i].KeyOnly = flags&tokKeyOnly != 0
	}
	var orig Originals
	if n := num(); n > 0 {
		orig = make(Originals, n)
		for i := range orig {
			orig[i] = Original{Key: str(), Value: str(), Orig: str()}
		}
	}
	return ts, orig
}
