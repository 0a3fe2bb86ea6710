package catalog

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Stitching turns a stored body into the final entity the API serves: the
// body, plus every relation whose source is the entity (whoever originated
// it), plus status items from its processing errors, plus metadata.uid and
// metadata.etag. Both stores call Stitch so the served JSON is byte-identical.

// StitchInput is everything that makes up one final entity.
type StitchInput struct {
	// Entity is the body; its Relations and Status are ignored and it is not modified.
	Entity *Entity
	// Ref is the entity's canonical ref; only Relations whose Source equals it are used.
	Ref string
	// UID is the stable id kept across updates.
	UID string
	// Relations are candidate rows (any order, duplicates allowed).
	Relations []RelationRow
	// Errors become status.items.
	Errors []ProcessingError
	// Orphan adds the backstage.io/orphan: "true" annotation.
	Orphan bool
	// Body, when set, is BodyJSON(Entity): the final JSON is then spliced
	// from it (uid and etag into metadata, relations and status appended)
	// instead of encoding the entity a second time, when that gives the
	// same bytes (no orphan annotation, no extra metadata keys).
	Body []byte
}

// etagPlaceholder is written where the etag goes, hashed, then replaced by the
// hash: the etag is the hash of the final content without a second marshal.
const etagPlaceholder = "0000000000000000000000000000000000e7a9f1"

// Stitch builds the final JSON of an entity and its etag (hex SHA-1 of the
// final content with a fixed placeholder in the etag's place).
func Stitch(in StitchInput) (final []byte, etag string, err error) {
	final, etag, _, err = stitch(in)
	return final, etag, err
}

// StitchTokens is Stitch plus the final entity's tokens, equal to
// TokensWithOriginals(final) but computed without decoding final again.
func StitchTokens(in StitchInput) (final []byte, etag string, ts FlatTokens, orig Originals, err error) {
	final, etag, e, err := stitch(in)
	if err != nil {
		return nil, "", nil, nil, err
	}
	e.Metadata.Etag = etag
	ts, orig = TokensOfEntity(e)
	return final, etag, ts, orig, nil
}

func stitch(in StitchInput) (final []byte, etag string, stitched *Entity, err error) {
	if in.Entity == nil {
		return nil, "", nil, fmt.Errorf("stitch %s: no entity body", in.Ref)
	}
	e := *in.Entity
	e.Metadata.UID = in.UID
	e.Metadata.Etag = etagPlaceholder
	if in.Orphan {
		ann := make(map[string]string, len(e.Metadata.Annotations)+1)
		for k, v := range e.Metadata.Annotations {
			ann[k] = v
		}
		ann[AnnotationOrphan] = "true"
		e.Metadata.Annotations = ann
	}
	e.Relations = StitchRelations(in.Ref, in.Relations)
	e.Status = nil
	if len(in.Errors) > 0 {
		e.Status = &Status{Items: StatusItems(in.Errors)}
	}
	b, etag, ok, err := spliceFinal(in, &e)
	if err != nil {
		return nil, "", nil, fmt.Errorf("stitch %s: %w", in.Ref, err)
	}
	if ok {
		return b, etag, &e, nil
	}
	if b, err = appendEntity(nil, &e); err != nil {
		return nil, "", nil, fmt.Errorf("stitch %s: %w", in.Ref, err)
	}
	i := bytes.Index(b, []byte(`"etag":"`+etagPlaceholder+`"`))
	if i < 0 {
		return nil, "", nil, fmt.Errorf("stitch %s: etag placeholder not found", in.Ref)
	}
	return b, sealEtag(b, i+len(`"etag":"`)), &e, nil
}

// sealEtag puts the etag placeholder at b[at:], hashes b and puts the hash
// there instead (the same length), returning it: an etag is the hash of
// the final JSON with the placeholder in its place.
func sealEtag(b []byte, at int) string {
	copy(b[at:], etagPlaceholder)
	sum := sha1.Sum(b)
	etag := hex.EncodeToString(sum[:])
	copy(b[at:], etag)
	return etag
}

// spliceBody is the final JSON spliced from a body: the body up to and
// including `"metadata":{` (body[:meta]), uid and the etag, the rest of the
// body, the relations and the status (its JSON, or nil); and its etag.
func spliceBody(body []byte, meta int, uid string, rels []Relation, status []byte) ([]byte, string) {
	out := make([]byte, 0, len(body)+len(uid)+len(etagPlaceholder)+len(status)+tailSize(rels)+32)
	out = append(out, body[:meta]...)
	out = appendJSONString(append(out, `"uid":`...), uid)
	out = append(out, `,"etag":"`...)
	at := len(out)
	out = append(out, etagPlaceholder...)
	out = append(out, `",`...)
	out = appendTail(append(out, body[meta:len(body)-1]...), rels, status)
	return out, sealEtag(out, at)
}

// appendTail appends what stitching puts after the body: the relations,
// the status (its JSON, or nil) and the closing brace.
func appendTail(dst []byte, rels []Relation, status []byte) []byte {
	if len(rels) > 0 {
		dst = appendRelations(append(dst, `,"relations":`...), rels)
	}
	if status != nil {
		dst = append(append(dst, `,"status":`...), status...)
	}
	return append(dst, '}')
}

// tailSize is about what appendTail adds for rels.
func tailSize(rels []Relation) int {
	n := 16
	for _, r := range rels {
		n += 32 + len(r.Type) + len(r.TargetRef)
	}
	return n
}

// spliceFinal builds json.Marshal(e), etag sealed, from in.Body when it
// can: e is in.Entity with uid, the etag placeholder, relations and status
// set, whose encoding differs from the body's only by "uid" and "etag"
// first in metadata and "relations" and "status" last. With an orphan
// annotation or extra metadata keys (encoded through a map, keys sorted)
// it reports false.
func spliceFinal(in StitchInput, e *Entity) ([]byte, string, bool, error) {
	body := in.Body
	if body == nil || in.Orphan || len(e.Metadata.Extra) > 0 || e.Metadata.UID == "" || len(body) < 2 || body[len(body)-1] != '}' {
		return nil, "", false, nil
	}
	// The body starts with {"apiVersion":A,"kind":K,"metadata":{ and then
	// the metadata's fields after uid and etag (empty in a body).
	prefix := appendJSONString(append(make([]byte, 0, 128), `{"apiVersion":`...), e.APIVersion)
	prefix = appendJSONString(append(prefix, `,"kind":`...), e.Kind)
	prefix = append(prefix, `,"metadata":{`...)
	if !bytes.HasPrefix(body, prefix) {
		return nil, "", false, nil
	}
	var status []byte
	if e.Status != nil {
		var err error
		if status, err = json.Marshal(e.Status); err != nil {
			return nil, "", false, err
		}
	}
	out, etag := spliceBody(body, len(prefix), e.Metadata.UID, e.Relations, status)
	return out, etag, true, nil
}

// StitchRelations returns the relations of the entity ref: the rows whose
// Source is ref, sorted by type then target, without duplicates.
func StitchRelations(ref string, rows []RelationRow) []Relation {
	n := 0
	for _, r := range rows {
		if r.Source == ref {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Relation, 0, n)
	for _, r := range rows {
		if r.Source == ref {
			out = append(out, Relation{Type: r.Type, TargetRef: r.Target})
		}
	}
	cmp := func(a, b Relation) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.TargetRef, b.TargetRef)
	}
	if !slices.IsSortedFunc(out, cmp) {
		slices.SortFunc(out, cmp)
	}
	dedup := out[:1]
	for _, r := range out[1:] {
		if r != dedup[len(dedup)-1] {
			dedup = append(dedup, r)
		}
	}
	return dedup
}

// StatusItems turns processing errors into status items, as Backstage does:
// type backstage.io/catalog-processing, level error, message "<Name>: <Message>".
func StatusItems(errs []ProcessingError) []StatusItem {
	items := make([]StatusItem, 0, len(errs))
	for _, pe := range errs {
		name := pe.Name
		if name == "" {
			name = "Error"
		}
		items = append(items, StatusItem{
			Type:    StatusTypeProcessing,
			Level:   "error",
			Message: name + ": " + pe.Message,
			Error:   &ErrorDetail{Name: name, Message: pe.Message},
		})
	}
	return items
}

// BodyJSON is the stored body of an entity: the entity without relations,
// status, uid and etag (those are the stitcher's).
func BodyJSON(e *Entity) ([]byte, error) {
	c := *e
	c.Relations = nil
	c.Status = nil
	c.Metadata.UID = ""
	c.Metadata.Etag = ""
	buf := bodyBufs.Get().(*[]byte)
	b, err := appendEntity((*buf)[:0], &c)
	if err != nil {
		return nil, fmt.Errorf("encode body of %s: %w", e.Ref(), err)
	}
	out := bytes.Clone(b) // the body is kept: exactly its size, not a grown buffer's
	if cap(b) <= 1<<20 {
		*buf = b[:0]
		bodyBufs.Put(buf)
	}
	return out, nil
}

// bodyBufs are BodyJSON's scratch buffers.
var bodyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// EncodeErrors is the stored form of processing errors: "" for none, so an
// unchanged empty list compares equal without decoding.
func EncodeErrors(errs []ProcessingError) string {
	if len(errs) == 0 {
		return ""
	}
	b, err := json.Marshal(errs)
	if err != nil { // ProcessingError has only strings and ints
		panic(fmt.Sprintf("catalog: processing errors do not marshal: %v", err))
	}
	return string(b)
}

// DecodeErrors reverses EncodeErrors.
func DecodeErrors(s string) ([]ProcessingError, error) {
	if s == "" {
		return nil, nil
	}
	var errs []ProcessingError
	if err := json.Unmarshal([]byte(s), &errs); err != nil {
		return nil, fmt.Errorf("decode processing errors: %w", err)
	}
	return errs, nil
}
