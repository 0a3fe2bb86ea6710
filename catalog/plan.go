package catalog

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// Planning is the backend-independent half of ApplyLocation: given what a
// location produced and what the store holds, decide which entities to write,
// keep, orphan or delete, and which refs conflict. Stores execute the plan in
// one transaction and then re-stitch every entity whose incoming relations
// changed (see ChangedRelationSources).

// StoredEntity is what planning needs to know about one stored entity.
type StoredEntity struct {
	ID         int64 // the store's own key
	UID        string
	Ref        string
	LocationID string
	SourceKey  string
	ParentRef  string
	Hash       string
	Errors     string // EncodeErrors form
	Orphan     bool
	Etag       string // of the final JSON; set by stores that need it
}

// PlanInput is the input of PlanApply.
type PlanInput struct {
	Apply Apply
	// Stored holds, by canonical ref, every stored entity of Apply.LocationID
	// and every stored entity whose ref Apply.Entities produces.
	Stored map[string]*StoredEntity
	// LocationAlive reports whether a location is still registered.
	LocationAlive func(id string) bool
	// Describe names a location in conflict messages (e.g. "url:https://…"); nil uses the id.
	Describe func(id string) string
}

// EntityWrite is one entity the plan writes.
type EntityWrite struct {
	Ref  string
	Prev *StoredEntity // nil for a new entity
	// Processed is the incoming entity. With KeepBody set its Entity and
	// Relations are ignored: the stored body and relations stay.
	Processed *Processed
	KeepBody  bool
	UID       string // Prev's uid, or a new one
	Kind      string // lower-cased
	Namespace string // lower-cased
	Name      string // lower-cased
	SourceKey string
	ParentRef string
	Hash      string
	Errors    string // EncodeErrors form
	// Relations are the incoming rows, canonicalised (lower-cased, deduplicated); nil with KeepBody.
	Relations []RelationRow
}

// Plan is what one Apply does.
type Plan struct {
	Writes    []EntityWrite
	Unchanged int
	Orphan    []*StoredEntity // previously produced, now missing: flag as orphans
	Delete    []*StoredEntity // previously produced, now missing: delete
	Conflicts []ProcessingError
	// LocationErrors is Apply.Errors plus the conflicts, stored on the location.
	LocationErrors []ProcessingError

	// added and updated count the writes a Planner returned part by part.
	added, updated int
}

// Result summarises the plan as an ApplyResult.
func (p *Plan) Result() ApplyResult {
	r := ApplyResult{Unchanged: p.Unchanged, Orphaned: len(p.Orphan), Deleted: len(p.Delete), Conflicts: p.Conflicts,
		Added: p.added, Updated: p.updated}
	if p.added+p.updated > 0 {
		return r
	}
	for _, w := range p.Writes {
		if w.Prev == nil {
			r.Added++
		} else {
			r.Updated++
		}
	}
	return r
}

// SourceKeyOf returns the managed-by-location annotation of an entity.
func SourceKeyOf(e *Entity) string {
	if e == nil {
		return ""
	}
	return e.Metadata.Annotations[AnnotationManagedByLocation]
}

// HashProcessed hashes what an entity's stored state derives from: its body,
// relations and parent. Used when Processed.Hash is empty.
func HashProcessed(p *Processed) (string, error) {
	body, err := BodyJSON(p.Entity)
	if err != nil {
		return "", err
	}
	return hashBody(p, body)
}

// HashBody sets p.Body and p.Hash.
func HashBody(p *Processed) error {
	body, err := BodyJSON(p.Entity)
	if err != nil {
		return err
	}
	hash, err := hashBody(p, body)
	if err != nil {
		return err
	}
	p.Body, p.Hash = body, hash
	return nil
}

func hashBody(p *Processed, body []byte) (string, error) {
	h := sha1.New()
	h.Write(body)
	buf := relationJSON.Get().(*[]byte)
	*buf = appendRelationRows((*buf)[:0], p.Relations) // json.Marshal's bytes
	h.Write(*buf)
	relationJSON.Put(buf)
	h.Write([]byte(p.Parent))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// relationJSON holds the buffers hashBody encodes relation rows into (a
// group's run to tens of kilobytes; every entity of an ingest is hashed).
var relationJSON = sync.Pool{New: func() any { return new([]byte) }}

// PlanApply decides what an Apply does. It validates the input first and
// returns an InputError, before anything is written, when an entity has no
// usable identity. It is a Planner fed with Apply.Entities in one part.
func PlanApply(in PlanInput) (*Plan, error) {
	pl, err := NewPlanner(in)
	if err != nil {
		return nil, err
	}
	writes, err := pl.Next(in.Apply.Entities)
	if err != nil {
		return nil, err
	}
	p := pl.Finish(in.Apply.Errors, in.Apply.KeepSources)
	p.Writes = writes
	return p, nil
}

// Planner plans an Apply part by part (a streamed Apply, see EntityStream):
// Next decides the writes of each part as it arrives, Finish what the
// location no longer produces. Only the refs seen so far are held, never the
// entities, so a million-entity location is planned in bounded memory.
type Planner struct {
	in       PlanInput
	describe func(string) string
	seen     map[RefKey]struct{} // refs produced so far, hashed: a map the collector does not walk
	added    int
	updated  int
	p        Plan
}

// NewPlanner starts planning in.Apply (whose Entities, KeepSources and Errors
// are ignored: they come through Next and Finish). in.Stored must hold every
// stored entity of the location before the first Next; callers add the
// stored entities of each part's refs before passing it to Next.
func NewPlanner(in PlanInput) (*Planner, error) {
	if in.Apply.LocationID == "" {
		return nil, inputErrorf("apply: no location id")
	}
	d := in.Describe
	if d == nil {
		d = func(id string) string { return id }
	}
	return &Planner{in: in, describe: d, seen: make(map[RefKey]struct{}, len(in.Stored))}, nil
}

// RefKey is a ref hashed twice, independently, for sets and maps of refs
// held in memory (in this process only: the seeds are random): two refs
// share one with a chance of 2^-128, and a map keyed by them holds no
// pointers (a million refs as strings were a million pointers the
// collector followed at every cycle of an apply).
type RefKey [2]uint64

var refKeySeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// KeyOfRef returns ref's RefKey.
func KeyOfRef(ref string) RefKey {
	return RefKey{maphash.String(refKeySeeds[0], ref), maphash.String(refKeySeeds[1], ref)}
}

// Next plans one part of the location's entities, in order; a ref produced
// again in a later part is a conflict exactly as within one part.
func (pl *Planner) Next(part []Processed) ([]EntityWrite, error) {
	a := &pl.in.Apply
	writes := make([]EntityWrite, 0, len(part))
	refs := make([]string, len(part))
	for i := range part {
		pr := &part[i]
		if pr.Entity == nil {
			return nil, inputErrorf("apply %s: entity %d has no body", a.LocationID, i)
		}
		if pr.Entity.Kind == "" || pr.Entity.Metadata.Name == "" {
			return nil, inputErrorf("apply %s: entity %d has no kind or name", a.LocationID, i)
		}
		self := pr.Entity.Ref().String()
		refs[i] = self
		for _, rel := range pr.Relations {
			if !strings.EqualFold(rel.Source, self) && !strings.EqualFold(rel.Target, self) { // refs are lower-cased below
				return nil, inputErrorf("apply %s: relation %s %s %s of entity %s has the entity as neither source nor target",
					a.LocationID, rel.Source, rel.Type, rel.Target, self)
			}
		}
	}
	for i := range part {
		pr := &part[i]
		r := pr.Entity.Ref()
		ref := refs[i]
		src := SourceKeyOf(pr.Entity)
		key := KeyOfRef(ref)
		if _, dup := pl.seen[key]; dup {
			c := ProcessingError{Source: src, Doc: -1, Entity: ref, Name: "ConflictError",
				Message: fmt.Sprintf("Entity %s is produced more than once by location %s; the first one is kept", ref, pl.describe(a.LocationID))}
			pl.p.Conflicts = append(pl.p.Conflicts, c)
			continue
		}
		pl.seen[key] = struct{}{}
		prev := pl.in.Stored[ref]
		if prev != nil && prev.LocationID != a.LocationID && prev.LocationID != "" && pl.in.LocationAlive != nil && pl.in.LocationAlive(prev.LocationID) {
			c := ProcessingError{Source: src, Doc: -1, Entity: ref, Name: "ConflictError",
				Message: fmt.Sprintf("Entity %s is already provided by location %s; location %s cannot also provide it",
					ref, pl.describe(prev.LocationID), pl.describe(a.LocationID))}
			pl.p.Conflicts = append(pl.p.Conflicts, c)
			continue
		}
		errs := EncodeErrors(pr.Errors)
		if pr.KeepPrevious {
			if prev == nil {
				continue // nothing stored: the errors are the location's
			}
			if prev.LocationID == a.LocationID && prev.Errors == errs && !prev.Orphan {
				pl.p.Unchanged++
				continue
			}
			pl.updated++
			writes = append(writes, EntityWrite{
				Ref: ref, Prev: prev, Processed: pr, KeepBody: true, UID: prev.UID,
				Kind: toLower(r.Kind), Namespace: toLower(r.Namespace), Name: toLower(r.Name),
				SourceKey: prev.SourceKey, ParentRef: prev.ParentRef, Hash: prev.Hash, Errors: errs,
			})
			continue
		}
		hash := pr.Hash
		if hash == "" {
			var err error
			if hash, err = HashProcessed(pr); err != nil {
				return nil, err
			}
		}
		parent := toLower(pr.Parent)
		if prev != nil && prev.LocationID == a.LocationID && prev.Hash == hash && prev.Errors == errs &&
			!prev.Orphan && prev.ParentRef == parent && prev.SourceKey == src {
			pl.p.Unchanged++
			continue
		}
		uid := ""
		if prev != nil {
			uid = prev.UID
			pl.updated++
		} else {
			uid = newUID()
			pl.added++
		}
		writes = append(writes, EntityWrite{
			Ref: ref, Prev: prev, Processed: pr, UID: uid,
			Kind: toLower(r.Kind), Namespace: toLower(r.Namespace), Name: toLower(r.Name),
			SourceKey: src, ParentRef: parent, Hash: hash, Errors: errs,
			Relations: CanonicalRelations(pr.Relations),
		})
	}
	return writes, nil
}

// Finish completes the plan once every part went through Next: the
// entities the location produced before and not now (kept when their source
// is in keep) and the location's errors. The returned Plan has no Writes
// (they were returned by Next); Result counts them all the same.
func (pl *Planner) Finish(errs []ProcessingError, keepSources []string) *Plan {
	a := &pl.in.Apply
	keep := make(map[string]bool, len(keepSources))
	for _, s := range keepSources {
		keep[s] = true
	}
	p := &pl.p
	var gone []*StoredEntity
	for ref, s := range pl.in.Stored {
		if _, seen := pl.seen[KeyOfRef(ref)]; s.LocationID != a.LocationID || seen {
			continue
		}
		if s.SourceKey != "" && keep[s.SourceKey] {
			continue
		}
		gone = append(gone, s)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].Ref < gone[j].Ref })
	for _, s := range gone {
		if a.OrphanStrategy == OrphanDelete {
			p.Delete = append(p.Delete, s)
		} else if !s.Orphan {
			p.Orphan = append(p.Orphan, s)
		}
	}
	p.LocationErrors = append(append([]ProcessingError(nil), errs...), p.Conflicts...)
	p.added, p.updated = pl.added, pl.updated
	return p
}

// CanonicalRelations lower-cases refs and types' targets and drops duplicates,
// keeping the input order otherwise.
func CanonicalRelations(rows []RelationRow) []RelationRow {
	if len(rows) == 0 {
		return nil
	}
	out := make([]RelationRow, 0, len(rows))
	var seen map[RelationRow]bool // for many rows; a few are compared one by one
	if len(rows) > smallRows {
		seen = make(map[RelationRow]bool, len(rows))
	}
	for _, r := range rows {
		r.Source = toLower(r.Source)
		r.Target = toLower(r.Target)
		if r.Source == "" || r.Target == "" || r.Type == "" {
			continue
		}
		if seen != nil {
			if seen[r] {
				continue
			}
			seen[r] = true
		} else if slices.Contains(out, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// smallRows is up to how many rows a set of relation rows is deduplicated
// by comparing each with the others rather than through a map: an entity
// has a handful, and the map was most of what canonicalising them cost.
const smallRows = 32

// ChangedRelationSources returns the sources of rows present in exactly one of
// old and new, without duplicates and sorted: the entities whose stitched
// relations change when an originator's rows go from old to new.
func ChangedRelationSources(old, new []RelationRow) []string {
	if len(old) == 0 && len(new) == 0 {
		return nil
	}
	in := make(map[RelationRow]int, len(old)+len(new))
	for _, r := range old {
		in[r] |= 1
	}
	for _, r := range new {
		in[r] |= 2
	}
	set := map[string]bool{}
	for r, m := range in {
		if m != 3 {
			set[r.Source] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// GeneratedLocationRef is the ref of the Location entity generated for a
// registered location: location:default/generated-<sha1 hex of "type:target">.
func GeneratedLocationRef(typ, target string) string {
	sum := sha1.Sum([]byte(typ + ":" + target))
	return "location:default/generated-" + hex.EncodeToString(sum[:])
}

// newUID returns a time-ordered UUID (v7): unique like Backstage's v4 uids,
// but new entities append to a store's uid index instead of landing on a
// random page of it, which keeps million-entity ingests fast.
func newUID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// EntityStream produces a location's entities in parts, for an Apply too
// large to hold at once. The store calls it once, inside the apply's
// transaction, and writes each part as emit receives it while the stream
// produces the next. It returns what is known only at the end: the
// location's errors and kept sources (Apply.Errors, Apply.KeepSources). An
// error from the stream (or from emit, which stops the stream) aborts the
// apply with nothing written.
type EntityStream func(emit func(part []Processed) error) (StreamEnd, error)

// StreamEnd is what an EntityStream knows once every part is emitted.
type StreamEnd struct {
	Errors      []ProcessingError
	KeepSources []string
}

// StreamParts returns the parts of a: the stream's, or Entities as one part
// per chunk entities. With a stream, end returns the stream's result; without
// one, Apply's own Errors and KeepSources.
func (a *Apply) StreamParts(chunk int) EntityStream {
	if a.Stream != nil {
		return a.Stream
	}
	return func(emit func([]Processed) error) (StreamEnd, error) {
		for start := 0; start < len(a.Entities); start += chunk {
			if err := emit(a.Entities[start:min(start+chunk, len(a.Entities))]); err != nil {
				return StreamEnd{}, err
			}
		}
		return StreamEnd{Errors: a.Errors, KeepSources: a.KeepSources}, nil
	}
}
