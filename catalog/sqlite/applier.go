package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/parallel"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

// applier executes a catalog.Plan, part by part, inside a transaction with
// prepared statements (no statement binds more than a handful of variables,
// so a million-entity apply never hits SQLite's variable limit).
//
// A part's relation rows are written before its entities are stitched, so
// every entity is stitched with the rows of every originator written so far.
// Rows that change mark their source; stitching an entity clears its mark,
// so what finish finds marked is every entity whose incoming rows changed
// after it was stitched (by a later part or a delete), or that this apply
// does not write: those are stitched again. Entities of deferKinds (what
// others point at) are not stitched with their part: their relation rows
// are written with it, their stitching and entity row wait for finish, so
// they are stitched once, with every row of the apply.
type applier struct {
	ctx        context.Context
	s          *Store
	tx         *sql.Tx
	locationID string
	now        int64
	nextID     int64 // ids of new entities are assigned here, so their relation rows go first
	firstNew   int64 // the first of them: rows from here on are inserted by this apply

	rel                                                 relationStmts
	insEnt, updEnt, delEnt, entByRef, updFinal, entByID *sql.Stmt
	// updStitched and updStitchedNew write a re-stitch that changes nothing
	// but the final JSON: errors, orphan and location stay, and a row this
	// apply inserted has its updated_at already (fewer indexes to touch).
	updStitched, updStitchedNew *sql.Stmt

	pending   *stitchedPart           // stitched on other goroutines, written by the next writePart or finish
	marked    map[string]bool         // refs whose incoming rows changed since they were stitched
	deferred  []deferredWrite         // written by finish, stitched once with every row of the apply
	deferRefs map[catalog.RefKey]bool // refs of deferred (hashed: no pointers for the collector)
	keepBody  []*catalog.EntityWrite
	staged    []postings.Staged
	deleted   []uint32
	changed   refList // refs of entities whose final JSON this apply wrote or changed, for the search outbox (writeOutbox)
	rowWrites int64
}

func newApplier(ctx context.Context, s *Store, tx *sql.Tx, locationID string) (*applier, error) {
	ap := &applier{ctx: ctx, s: s, tx: tx, locationID: locationID, now: nowMillis(),
		marked: map[string]bool{}, deferRefs: map[catalog.RefKey]bool{}}
	prep := func(dst **sql.Stmt, q string) error {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		*dst = st
		return nil
	}
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&ap.insEnt, `INSERT INTO entities (id, uid, ref, kind, namespace, name, location_id, parent_ref, source_key, hash, body, final, etag, errors, orphan, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`},
		{&ap.updEnt, `UPDATE entities SET uid = ?, kind = ?, namespace = ?, name = ?, location_id = ?, parent_ref = ?, source_key = ?, hash = ?,
			body = ?, final = ?, etag = ?, errors = ?, orphan = 0, updated_at = ? WHERE id = ?`},
		{&ap.delEnt, "DELETE FROM entities WHERE id = ?"},
		{&ap.entByRef, "SELECT id, uid, body, final, errors, orphan, etag, location_id FROM entities WHERE ref = ?"},
		{&ap.updFinal, "UPDATE entities SET final = ?, etag = ?, errors = ?, orphan = ?, location_id = ?, updated_at = ? WHERE id = ?"},
		{&ap.updStitched, "UPDATE entities SET final = ?, etag = ?, updated_at = ? WHERE id = ?"},
		{&ap.updStitchedNew, "UPDATE entities SET final = ?, etag = ? WHERE id = ?"},
		{&ap.entByID, "SELECT " + storedCols + " FROM entities WHERE id = ?"},
	} {
		if err := prep(p.dst, p.q); err != nil {
			ap.close()
			return nil, err
		}
	}
	if err := ap.rel.prepare(ctx, tx); err != nil {
		ap.close()
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM entities").Scan(&ap.nextID); err != nil {
		ap.close()
		return nil, fmt.Errorf("read last entity id: %w", err)
	}
	ap.nextID++
	ap.firstNew = ap.nextID
	return ap, nil
}

func (ap *applier) close() {
	if ap.pending != nil {
		// Its goroutines only compute; wait so none outlives the apply, and
		// hand what they staged to the caller's Abort.
		<-ap.pending.done
		ap.staged = append(ap.staged, ap.pending.staged...)
		ap.pending = nil
	}
	ap.rel.close()
	for _, st := range []*sql.Stmt{ap.insEnt, ap.updEnt, ap.delEnt, ap.entByRef, ap.updFinal, ap.entByID, ap.updStitched, ap.updStitchedNew} {
		if st != nil {
			st.Close()
		}
	}
}

// mark records that rows with these sources changed.
func (ap *applier) mark(sources []string, self string) {
	for _, src := range sources {
		if src != self { // self is stitched in this part, after its rows
			ap.marked[src] = true
		}
	}
}

// writePart writes one part of a plan's writes: relation rows first, then
// the entities stitched with every row that now has them as source.
func (ap *applier) writePart(writes []catalog.EntityWrite) error {
	full := make([]*catalog.EntityWrite, 0, len(writes))
	for i := range writes {
		w := &writes[i]
		if w.KeepBody {
			ap.keepBody = append(ap.keepBody, w)
			continue
		}
		full = append(full, w)
	}
	if len(full) == 0 {
		return nil
	}
	jobs := make([]*stitchJob, len(full))
	nrels := 0
	for _, w := range full {
		nrels += len(w.Relations)/2 + 1 // most rows pair up with their reverse
	}
	rels := make([]storedRelation, 0, nrels)
	for i, w := range full {
		j := &stitchJob{ref: w.Ref, entity: w.Processed.Entity, uid: w.UID, body: w.Processed.Body}
		if w.Prev != nil {
			j.id = w.Prev.ID
			old, err := ap.originated(w.Prev.ID)
			if err != nil {
				return err
			}
			ap.mark(catalog.ChangedRelationSources(old, w.Relations), w.Ref)
			if len(old) > 0 {
				if err := ap.deleteRelations(w.Prev.ID, w.Ref); err != nil {
					return err
				}
			}
		} else {
			j.id = ap.nextID
			ap.nextID++
			for _, r := range w.Relations {
				// A deferred entity is stitched with every row anyway.
				if r.Source != w.Ref && !ap.isDeferred(r.Source) {
					ap.marked[r.Source] = true
				}
			}
		}
		for _, p := range packRelations(w.Ref, w.Relations) {
			rels = append(rels, storedRelation{j.id, w.Ref, p})
		}
		for _, r := range w.Relations {
			if r.Source == w.Ref {
				j.own = append(j.own, r)
			}
		}
		jobs[i] = j
	}
	if err := ap.insertRelations(rels); err != nil {
		return err
	}
	ap.deferTargets(full, jobs)
	for i, w := range full {
		if jobs[i].deferred {
			continue // its rows are not all written yet
		}
		if err := ap.readyToStitch(jobs[i], w); err != nil {
			return err
		}
	}
	return ap.pipeline(full, jobs)
}

// pipeline stitches and stages jobs (JSON and tokens) on the other cores
// while this goroutine writes the pending part's entity rows (SQLite has one
// writer); full and jobs become the pending part.
func (ap *applier) pipeline(full []*catalog.EntityWrite, jobs []*stitchJob) error {
	next := &stitchedPart{full: full, jobs: jobs, done: make(chan struct{})}
	go func() {
		defer close(next.done)
		parallel.Do(len(jobs), func(i int) { jobs[i].run(true) })
		next.staged = ap.stage(jobs)
	}()
	err := ap.flush()
	ap.pending = next
	return err
}

// deferKinds are the kinds whose entities are stitched once, at the end of
// an apply, instead of as their part is written. They are what other
// entities point at (owner, memberOf, system, domain, dependsOn, partOf):
// an organisation's files usually define them before what refers to them,
// so stitched with their part they were stitched a second time once a later
// part added rows with them as source (26,796 of a generated 100,000-entity
// organisation's entities; 9,422 components, depended on by later ones, still
// are, by patching their stored final JSON). Held until then are these
// kinds' entities (a fifth of that organisation) prepared — body JSON and
// encoded tokens, no pointers (catalog.Prepare) — not the parts they came in.
var deferKinds = map[string]bool{"group": true, "domain": true, "system": true, "resource": true}

// isDeferred reports whether ref's entity is deferred by this apply (only
// a ref of deferKinds can be: the others skip hashing it).
func (ap *applier) isDeferred(ref string) bool {
	i := strings.IndexByte(ref, ':')
	return i > 0 && deferKinds[ref[:i]] && ap.deferRefs[catalog.KeyOfRef(ref)]
}

// deferredWrite is an entity write whose relation rows are written and
// whose stitching and row wait for finish.
type deferredWrite struct {
	w catalog.EntityWrite
	p *catalog.Processed // when j could not be prepared (j.prep nil)
	j *stitchJob
}

// deferTargets marks the jobs of full whose entities are of deferKinds:
// the pipeline prepares them (catalog.Prepare) instead of stitching them,
// and writeRows moves them to ap.deferred instead of writing them.
func (ap *applier) deferTargets(full []*catalog.EntityWrite, jobs []*stitchJob) {
	for i, w := range full {
		if !deferKinds[w.Kind] {
			continue
		}
		if key := catalog.KeyOfRef(w.Ref); !ap.deferRefs[key] {
			jobs[i].deferred = true
			ap.deferRefs[key] = true
		}
	}
}

// deferWrite moves a prepared job and its write to ap.deferred, keeping only
// what finish needs, not the part they came in: the prepared body and
// tokens, or (if the entity could not be prepared) its decoded form.
func (ap *applier) deferWrite(w *catalog.EntityWrite, j *stitchJob) {
	d := deferredWrite{w: *w, j: j}
	d.w.Relations = nil // written already
	if j.prep != nil {
		ap.s.prepared.Add(1)
		d.w.Processed = nil
		j.entity, j.body = nil, nil
	} else {
		p := *w.Processed
		p.Relations = nil
		d.p = &p
	}
	j.deferred = false // stitched and written by writeDeferred
	ap.deferred = append(ap.deferred, d)
}

// writeDeferred stitches and writes the deferred entities, each with every
// relation row of the apply, once. Their relation rows are all written, so
// a chunk's incoming rows are read while the previous one is stitched.
func (ap *applier) writeDeferred() error {
	var written []deferredWrite // the chunk whose rows the last flush wrote
	for start := 0; start < len(ap.deferred); start += applyChunk {
		part := ap.deferred[start:min(start+applyChunk, len(ap.deferred))]
		full := make([]*catalog.EntityWrite, len(part))
		jobs := make([]*stitchJob, len(part))
		for i := range part {
			d := &part[i]
			if d.j.prep == nil {
				d.w.Processed = d.p
			}
			full[i], jobs[i] = &d.w, d.j
			if err := ap.readyToStitch(d.j, &d.w); err != nil {
				return err
			}
		}
		if err := ap.pipeline(full, jobs); err != nil {
			return err
		}
		clear(written) // written: let the entities go
		written = part
	}
	if err := ap.flush(); err != nil {
		return err
	}
	ap.deferred = nil
	return nil
}

// readyToStitch gives j the incoming rows and errors of w's entity; w counts
// as stitched with every row written so far, so its mark goes.
func (ap *applier) readyToStitch(j *stitchJob, w *catalog.EntityWrite) error {
	// An entity's own rows are in hand when it is written; the rows others
	// originated towards it come from the store's links.
	j.rels = ap.s.in.towards(j.own, w.Ref)
	j.own = nil
	var err error
	if j.errs, err = catalog.DecodeErrors(w.Errors); err != nil {
		return err
	}
	delete(ap.marked, w.Ref)
	return nil
}

// override is what a re-stitch at the end of an apply changes besides the
// relations: processing errors, the orphan mark, the location.
type override struct {
	errs     *string
	orphan   *bool
	location string
}

// none reports whether only the relation rows changed.
func (o override) none() bool { return o.errs == nil && o.orphan == nil && o.location == "" }

// stitchedPart is a part whose entities are being stitched.
type stitchedPart struct {
	full   []*catalog.EntityWrite
	jobs   []*stitchJob
	staged []postings.Staged // the jobs' docs, staged in the index (nil if a job failed)
	done   chan struct{}
}

// flush writes the entity rows of the pending part once it is stitched.
func (ap *applier) flush() error {
	p := ap.pending
	if p == nil {
		return nil
	}
	<-p.done
	ap.pending = nil
	ap.staged = append(ap.staged, p.staged...)
	return ap.writeRows(p.full, p.jobs)
}

// drain waits for the pending part of a failed apply, so that what it
// staged is aborted with the rest.
func (ap *applier) drain() {
	if p := ap.pending; p != nil {
		<-p.done
		ap.pending = nil
		ap.staged = append(ap.staged, p.staged...)
	}
}

// stage stages the docs of stitched jobs in the index, unless one failed
// (writeRows then returns its error).
func (ap *applier) stage(jobs []*stitchJob) []postings.Staged {
	docs := make([]postings.Doc, 0, len(jobs))
	for _, j := range jobs {
		if j.err != nil {
			return nil
		}
		if !j.deferred { // prepared only: staged once stitched
			docs = append(docs, toDoc(j))
		}
	}
	// Stage holds the index's write lock; in small batches the writer's
	// look-ups (addStored) and the API's reads wait milliseconds for it,
	// not the ~80 ms a 2,048-entity part takes at a million entities.
	out := make([]postings.Staged, 0, len(docs))
	for len(docs) > 0 {
		n := min(len(docs), stageBatch)
		out = append(out, ap.s.ix.Stage(docs[:n])...)
		docs = docs[n:]
	}
	return out
}

// stageBatch is how many docs one index lock stages.
const stageBatch = 128

// writeRows writes the entity rows of stitched, staged writes.
func (ap *applier) writeRows(full []*catalog.EntityWrite, jobs []*stitchJob) error {
	for i, w := range full {
		j := jobs[i]
		if j.err != nil {
			return j.err
		}
		if j.deferred {
			ap.deferWrite(w, j)
			continue
		}
		if w.Prev != nil {
			if _, err := ap.updEnt.ExecContext(ap.ctx, w.UID, w.Kind, w.Namespace, w.Name, ap.locationID, w.ParentRef, w.SourceKey, w.Hash,
				j.bodyColumn(), textOf(j.final), j.etag, w.Errors, ap.now, w.Prev.ID); err != nil {
				return fmt.Errorf("update %s: %w", w.Ref, err)
			}
			if j.etag != w.Prev.Etag {
				ap.changed.add(w.Ref)
			}
		} else {
			if _, err := ap.insEnt.ExecContext(ap.ctx, j.id, w.UID, w.Ref, w.Kind, w.Namespace, w.Name, ap.locationID, w.ParentRef, w.SourceKey, w.Hash,
				j.bodyColumn(), textOf(j.final), j.etag, w.Errors, ap.now); err != nil {
				return fmt.Errorf("insert %s: %w", w.Ref, err)
			}
			ap.changed.add(w.Ref)
		}
		ap.rowWrites++
		jobs[i] = nil // its tokens live on in the staged doc only
	}
	return nil
}

// textOf is b as a string without copying it: the driver copies a bound
// string into SQLite's memory anyway, and binding b as []byte would store
// a BLOB, which SQLite's JSON functions read as JSONB. b must not change
// while the string is in use.
func textOf(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// refList holds refs in one pointer-free buffer: the refs of a million
// inserted entities, held until the end of the apply, were a million
// strings the collector followed at every cycle.
type refList struct {
	buf  []byte
	ends []int
}

func (l *refList) add(ref string) {
	l.buf = append(l.buf, ref...)
	l.ends = append(l.ends, len(l.buf))
}

func (l *refList) len() int { return len(l.ends) }

func (l *refList) at(i int) string {
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	return textOf(l.buf[start:l.ends[i]])
}

// sorted returns the refs in ascending order; they share l's buffer,
// which must not change while they are in use.
func (l *refList) sorted() []string {
	out := make([]string, l.len())
	for i := range out {
		out[i] = l.at(i)
	}
	sort.Strings(out)
	return out
}

// outboxBatch is how many refs one outbox DELETE and INSERT take.
const outboxBatch = 100

// writeOutbox records the entities whose final JSON the apply wrote or
// changed in the search outbox (migrations 0005 and 0010; the trigger of
// migration 0003 records deletes): one pending row per ref, replacing an
// older one with a new, larger seq. Sorted refs keep the outbox's ref
// index writes in order.
func (ap *applier) writeOutbox() error {
	if ap.changed.len() == 0 {
		return nil
	}
	refs := slices.Compact(ap.changed.sorted())
	// REPLACE deletes the pending row of a ref (a delete not yet synced)
	// and inserts the new one with a new seq, as the DELETE and INSERT of
	// the triggers do, probing the ref index once.
	args := make([]any, outboxBatch)
	var full *sql.Stmt // for batches of outboxBatch
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(refs) > 0 {
		n := min(len(refs), outboxBatch)
		for i, r := range refs[:n] {
			args[i] = r
		}
		q := "REPLACE INTO search_outbox (ref, deleted) VALUES " + strings.TrimSuffix(strings.Repeat("(?, 0), ", n), ", ")
		var err error
		if n < outboxBatch {
			_, err = ap.tx.ExecContext(ap.ctx, q, args[:n]...)
		} else {
			if full == nil {
				full, err = ap.tx.PrepareContext(ap.ctx, q)
			}
			if err == nil {
				_, err = full.ExecContext(ap.ctx, args...)
			}
		}
		if err != nil {
			return fmt.Errorf("search outbox: %w", err)
		}
		refs = refs[n:]
	}
	ap.changed = refList{}
	return nil
}

// finish executes the rest of a plan once every part is written: deletes,
// then every entity whose final JSON changes without being written (peers
// whose incoming relations changed after they were stitched, kept bodies
// with new errors, orphans).
func (ap *applier) finish(plan *catalog.Plan) error {
	if err := ap.flush(); err != nil {
		return err
	}
	deletedRefs := map[string]bool{}
	for _, d := range plan.Delete {
		old, err := ap.originated(d.ID)
		if err != nil {
			return err
		}
		ap.mark(catalog.ChangedRelationSources(old, nil), d.Ref)
		if err := ap.deleteRelations(d.ID, d.Ref); err != nil {
			return err
		}
		if _, err := ap.delEnt.ExecContext(ap.ctx, d.ID); err != nil {
			return fmt.Errorf("delete %s: %w", d.Ref, err)
		}
		ap.rowWrites++
		ap.deleted = append(ap.deleted, uint32(d.ID))
		deletedRefs[d.Ref] = true
	}
	if err := ap.writeDeferred(); err != nil {
		return err
	}
	restitch := map[string]override{}
	for p := range ap.marked {
		if !deletedRefs[p] {
			restitch[p] = override{}
		}
	}
	t, f := true, false
	for _, w := range ap.keepBody {
		e := w.Errors
		restitch[w.Ref] = override{errs: &e, orphan: &f, location: ap.locationID}
	}
	for _, o := range plan.Orphan {
		ov := restitch[o.Ref]
		ov.orphan = &t
		restitch[o.Ref] = ov
	}
	refs := make([]string, 0, len(restitch))
	for r := range restitch {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	// What this apply staged, by entity id: a re-stitch that only patches
	// the relations is staged from it (postings.Index.Restage). Nothing
	// appended to ap.staged from here on is looked up (refs are distinct).
	var staged []postings.Staged
	var stagedAt map[uint32]int
	if len(refs) > 0 {
		staged = ap.staged
		stagedAt = make(map[uint32]int, len(staged))
		for i := range staged {
			stagedAt[staged[i].ID] = i // the last staging of an id is its doc
		}
	}
	// Each chunk is read here while the previous one is decoded, stitched
	// and staged on the other cores; its rows are updated once that is done.
	type restitched struct {
		jobs       []*stitchJob
		extra      []override
		locs       []string
		staged     []postings.Staged
		superseded []int // indexes in ap.staged of docs staged again in staged
		done       chan struct{}
	}
	var pending *restitched
	update := func() error {
		p := pending
		if p == nil {
			return nil
		}
		pending = nil
		<-p.done
		for _, at := range p.superseded {
			ap.staged[at].Supersede()
		}
		ap.staged = append(ap.staged, p.staged...) // published with the commit, or aborted
		for i, j := range p.jobs {
			if j.err != nil {
				return j.err
			}
			if j.etag == j.oldEtag && p.extra[i].errs == nil && p.extra[i].location == "" {
				continue
			}
			orphan := 0
			if j.orphan {
				orphan = 1
			}
			var err error
			switch ov := p.extra[i]; {
			case !ov.none():
				_, err = ap.updFinal.ExecContext(ap.ctx, textOf(j.final), j.etag, catalog.EncodeErrors(j.errs), orphan, p.locs[i], ap.now, j.id)
			case j.id >= ap.firstNew:
				_, err = ap.updStitchedNew.ExecContext(ap.ctx, textOf(j.final), j.etag, j.id)
			default:
				_, err = ap.updStitched.ExecContext(ap.ctx, textOf(j.final), j.etag, ap.now, j.id)
			}
			if err != nil {
				return fmt.Errorf("re-stitch %s: %w", j.ref, err)
			}
			if j.etag != j.oldEtag {
				ap.changed.add(j.ref)
			}
			ap.rowWrites++
		}
		return nil
	}
	defer func() { // on an early return, what is being staged must be aborted too
		if pending != nil {
			<-pending.done
			ap.staged = append(ap.staged, pending.staged...)
		}
	}()
	for start := 0; start < len(refs); start += applyChunk {
		part := refs[start:min(start+applyChunk, len(refs))]
		next := &restitched{done: make(chan struct{})}
		type stored struct {
			body, final []byte
			orphan      bool
			patch       bool // only the relation rows changed: patch final (catalog.RestitchFinal)
		}
		raws := make([]stored, 0, len(part)) // decoded with the stitching, off this goroutine
		for _, r := range part {
			ov := restitch[r]
			j := &stitchJob{ref: r}
			var body, final []byte
			var errs string
			var orphan int
			var loc string
			err := ap.entByRef.QueryRowContext(ap.ctx, r).Scan(&j.id, &j.uid, &body, &final, &errs, &orphan, &j.oldEtag, &loc)
			if errors.Is(err, sql.ErrNoRows) {
				continue // a dangling relation target
			}
			if err != nil {
				return fmt.Errorf("load %s: %w", r, err)
			}
			if ov.errs != nil {
				errs = *ov.errs
			}
			j.orphan = orphan != 0
			if ov.orphan != nil {
				j.orphan = *ov.orphan
			}
			if ov.location != "" {
				loc = ov.location
			}
			if j.errs, err = catalog.DecodeErrors(errs); err != nil {
				return fmt.Errorf("load %s: %w", r, err)
			}
			if j.rels, err = ap.incoming(j.id, r); err != nil {
				return err
			}
			next.jobs = append(next.jobs, j)
			next.extra = append(next.extra, ov)
			next.locs = append(next.locs, loc)
			raws = append(raws, stored{body, final, orphan != 0, ov.none()})
		}
		go func() {
			defer close(next.done)
			jobs := next.jobs
			parallel.Do(len(jobs), func(i int) {
				j, raw := jobs[i], raws[i]
				if raw.patch && j.restitch(raw.final) {
					ap.s.patched.Add(1)
					return
				}
				if j.entity, j.err = storedBody(raw.body, raw.final, raw.orphan); j.err != nil {
					j.err = fmt.Errorf("load %s: %w", j.ref, j.err)
					return
				}
				j.run(false)
			})
			var changed []*stitchJob // the index changes with the final JSON only
			for _, j := range jobs {
				if j.err != nil || j.etag == j.oldEtag {
					continue
				}
				if j.patched {
					var prev *postings.Staged
					at, inApply := stagedAt[uint32(j.id)]
					if inApply {
						prev = &staged[at]
					}
					if st, ok := ap.s.ix.Restage(uint32(j.id), j.ref, prev, catalog.IsStitchedKey, j.tokens, j.orig); ok {
						next.staged = append(next.staged, st)
						if inApply {
							next.superseded = append(next.superseded, at)
						}
						continue
					}
					// Not in the index (it cannot happen: every stored
					// entity is, and so is every entity this apply wrote).
					j.tokens, j.orig = catalog.FlatTokensWithOriginals(j.final)
				}
				changed = append(changed, j)
			}
			next.staged = append(next.staged, ap.stage(changed)...)
		}()
		if err := update(); err != nil {
			return err
		}
		pending = next
	}
	if err := update(); err != nil {
		return err
	}
	return nil
}
