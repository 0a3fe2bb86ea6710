package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

// applier executes one catalog.Plan inside a transaction with prepared
// statements (no statement binds more than a handful of variables, so a
// million-entity apply never hits SQLite's variable limit).
type applier struct {
	ctx        context.Context
	s          *Store
	tx         *sql.Tx
	locationID string
	now        int64

	relsBySource, relsByOrig, delRels, insRel  *sql.Stmt
	insEnt, updEnt, delEnt, entByRef, updFinal *sql.Stmt

	hasRelations bool // false: the table was empty, no stored incoming rows to look up

	staged    []postings.Staged
	deleted   []uint32
	rowWrites int64
}

func newApplier(ctx context.Context, s *Store, tx *sql.Tx, locationID string) (*applier, error) {
	ap := &applier{ctx: ctx, s: s, tx: tx, locationID: locationID, now: nowMillis()}
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
		{&ap.relsBySource, "SELECT type, target_ref, originator_id FROM relations WHERE source_ref = ?"},
		{&ap.relsByOrig, "SELECT source_ref, type, target_ref FROM relations WHERE originator_id = ?"},
		{&ap.delRels, "DELETE FROM relations WHERE originator_id = ?"},
		{&ap.insRel, "INSERT OR IGNORE INTO relations (originator_id, source_ref, type, target_ref) VALUES (?, ?, ?, ?)"},
		{&ap.insEnt, `INSERT INTO entities (uid, ref, kind, namespace, name, location_id, parent_ref, source_key, hash, body, final, etag, errors, orphan, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`},
		{&ap.updEnt, `UPDATE entities SET uid = ?, kind = ?, namespace = ?, name = ?, location_id = ?, parent_ref = ?, source_key = ?, hash = ?,
			body = ?, final = ?, etag = ?, errors = ?, orphan = 0, updated_at = ? WHERE id = ?`},
		{&ap.delEnt, "DELETE FROM entities WHERE id = ?"},
		{&ap.entByRef, "SELECT id, uid, body, errors, orphan, etag, location_id FROM entities WHERE ref = ?"},
		{&ap.updFinal, "UPDATE entities SET final = ?, etag = ?, errors = ?, orphan = ?, location_id = ?, updated_at = ? WHERE id = ?"},
	} {
		if err := prep(p.dst, p.q); err != nil {
			ap.close()
			return nil, err
		}
	}
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM relations LIMIT 1").Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		ap.close()
		return nil, fmt.Errorf("probe relations: %w", err)
	}
	ap.hasRelations = err == nil
	return ap, nil
}

func (ap *applier) close() {
	for _, st := range []*sql.Stmt{ap.relsBySource, ap.relsByOrig, ap.delRels, ap.insRel, ap.insEnt, ap.updEnt, ap.delEnt, ap.entByRef, ap.updFinal} {
		if st != nil {
			st.Close()
		}
	}
}

func (ap *applier) originated(id int64) ([]catalog.RelationRow, error) {
	rows, err := ap.relsByOrig.QueryContext(ap.ctx, id)
	if err != nil {
		return nil, fmt.Errorf("relations of entity %d: %w", id, err)
	}
	defer rows.Close()
	var out []catalog.RelationRow
	for rows.Next() {
		var r catalog.RelationRow
		if err := rows.Scan(&r.Source, &r.Type, &r.Target); err != nil {
			return nil, fmt.Errorf("relations of entity %d: %w", id, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// incoming returns the stored rows whose source is ref, skipping rows of
// originators in skip (they are being rewritten).
func (ap *applier) incoming(ref string, skip map[int64]bool) ([]catalog.RelationRow, error) {
	rows, err := ap.relsBySource.QueryContext(ap.ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("relations to %s: %w", ref, err)
	}
	defer rows.Close()
	var out []catalog.RelationRow
	for rows.Next() {
		r := catalog.RelationRow{Source: ref}
		var orig int64
		if err := rows.Scan(&r.Type, &r.Target, &orig); err != nil {
			return nil, fmt.Errorf("relations to %s: %w", ref, err)
		}
		if !skip[orig] {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

func (ap *applier) run(plan *catalog.Plan) error {
	// Originators whose rows are replaced or removed, and the peers that changes.
	rewritten := map[int64]bool{}
	peers := map[string]bool{}
	for _, d := range plan.Delete {
		old, err := ap.originated(d.ID)
		if err != nil {
			return err
		}
		rewritten[d.ID] = true
		for _, src := range catalog.ChangedRelationSources(old, nil) {
			peers[src] = true
		}
	}
	newBySource := map[string][]catalog.RelationRow{}
	for i := range plan.Writes {
		w := &plan.Writes[i]
		if w.KeepBody {
			continue
		}
		for _, r := range w.Relations {
			if r.Source != w.Ref { // own rows come from w.Relations itself
				newBySource[r.Source] = append(newBySource[r.Source], r)
			}
		}
		if w.Prev == nil {
			for _, r := range w.Relations {
				if r.Source != w.Ref {
					peers[r.Source] = true
				}
			}
			continue
		}
		old, err := ap.originated(w.Prev.ID)
		if err != nil {
			return err
		}
		rewritten[w.Prev.ID] = true
		for _, src := range catalog.ChangedRelationSources(old, w.Relations) {
			peers[src] = true
		}
	}
	// Deletes first: their refs are free afterwards.
	deletedRefs := map[string]bool{}
	for _, d := range plan.Delete {
		if _, err := ap.delRels.ExecContext(ap.ctx, d.ID); err != nil {
			return fmt.Errorf("delete relations of %s: %w", d.Ref, err)
		}
		if _, err := ap.delEnt.ExecContext(ap.ctx, d.ID); err != nil {
			return fmt.Errorf("delete %s: %w", d.Ref, err)
		}
		ap.rowWrites++
		ap.deleted = append(ap.deleted, uint32(d.ID))
		deletedRefs[d.Ref] = true
	}
	// Written entities, stitched with their incoming rows, in chunks.
	stitched := map[string]bool{}
	var full []*catalog.EntityWrite
	for i := range plan.Writes {
		if !plan.Writes[i].KeepBody {
			full = append(full, &plan.Writes[i])
		}
	}
	// Pipelined: while chunk k is stitched on the worker goroutines, this
	// goroutine writes chunk k-1 (SQLite has one writer; JSON work scales).
	var pending *chunkWork
	flush := func() error {
		if pending == nil {
			return nil
		}
		<-pending.done
		err := ap.writeJobs(pending)
		pending = nil
		return err
	}
	for start := 0; start < len(full); start += applyChunk {
		part := full[start:min(start+applyChunk, len(full))]
		cw, err := ap.prepareChunk(part, newBySource, rewritten)
		if err != nil {
			if pending != nil {
				<-pending.done
			}
			return err
		}
		go func() {
			parallel(len(cw.jobs), func(i int) { cw.jobs[i].run(true) })
			close(cw.done)
		}()
		if err := flush(); err != nil {
			<-cw.done
			return err
		}
		pending = cw
		for _, w := range part {
			stitched[w.Ref] = true
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// Everything else whose final changes: peers, kept bodies, orphans.
	type override struct {
		errs     *string
		orphan   *bool
		location string
	}
	restitch := map[string]override{}
	for p := range peers {
		if !stitched[p] && !deletedRefs[p] {
			restitch[p] = override{}
		}
	}
	t, f := true, false
	for i := range plan.Writes {
		w := &plan.Writes[i]
		if w.KeepBody {
			e := w.Errors
			restitch[w.Ref] = override{errs: &e, orphan: &f, location: ap.locationID}
		}
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
	for start := 0; start < len(refs); start += applyChunk {
		part := refs[start:min(start+applyChunk, len(refs))]
		jobs := make([]*stitchJob, 0, len(part))
		extra := make([]override, 0, len(part))
		locs := make([]string, 0, len(part))
		for _, r := range part {
			ov := restitch[r]
			j := &stitchJob{ref: r}
			var body []byte
			var errs string
			var orphan int
			var loc string
			err := ap.entByRef.QueryRowContext(ap.ctx, r).Scan(&j.id, &j.uid, &body, &errs, &orphan, &j.oldEtag, &loc)
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
			if j.entity, err = decodeBody(body); err != nil {
				return fmt.Errorf("load %s: %w", r, err)
			}
			if j.rels, err = ap.incoming(r, nil); err != nil {
				return err
			}
			jobs = append(jobs, j)
			extra = append(extra, ov)
			locs = append(locs, loc)
		}
		parallel(len(jobs), func(i int) { jobs[i].run(false) })
		var docs []postings.Doc
		for i, j := range jobs {
			if j.err != nil {
				return j.err
			}
			if j.etag == j.oldEtag && extra[i].errs == nil && extra[i].location == "" {
				continue
			}
			orphan := 0
			if j.orphan {
				orphan = 1
			}
			if _, err := ap.updFinal.ExecContext(ap.ctx, string(j.final), j.etag, catalog.EncodeErrors(j.errs), orphan, locs[i], ap.now, j.id); err != nil {
				return fmt.Errorf("re-stitch %s: %w", j.ref, err)
			}
			ap.rowWrites++
			if j.etag != j.oldEtag {
				docs = append(docs, toDoc(j))
			}
		}
		ap.staged = append(ap.staged, ap.s.ix.Stage(docs)...)
	}
	return nil
}

// chunkWork is one batch of full writes on its way through the pipeline.
type chunkWork struct {
	part []*catalog.EntityWrite
	jobs []*stitchJob
	done chan struct{}
}

// prepareChunk gathers what a batch needs to be stitched: its rows from this
// apply and the stored rows other originators point at it (dedup in Stitch
// makes overlap harmless).
func (ap *applier) prepareChunk(part []*catalog.EntityWrite, newBySource map[string][]catalog.RelationRow, rewritten map[int64]bool) (*chunkWork, error) {
	cw := &chunkWork{part: part, jobs: make([]*stitchJob, len(part)), done: make(chan struct{})}
	for i, w := range part {
		j := &stitchJob{ref: w.Ref, entity: w.Processed.Entity, uid: w.UID, rels: w.Relations}
		if w.Prev != nil {
			j.id = w.Prev.ID
		}
		if others := newBySource[w.Ref]; len(others) > 0 {
			j.rels = append(append([]catalog.RelationRow(nil), j.rels...), others...)
		}
		if ap.hasRelations {
			ext, err := ap.incoming(w.Ref, rewritten)
			if err != nil {
				return nil, err
			}
			j.rels = append(append([]catalog.RelationRow(nil), j.rels...), ext...)
		}
		var err error
		if j.errs, err = catalog.DecodeErrors(w.Errors); err != nil {
			return nil, err
		}
		cw.jobs[i] = j
	}
	return cw, nil
}

// writeJobs writes a stitched batch and stages its index changes.
func (ap *applier) writeJobs(cw *chunkWork) error {
	docs := make([]postings.Doc, 0, len(cw.jobs))
	for i, w := range cw.part {
		j := cw.jobs[i]
		if j.err != nil {
			return j.err
		}
		if w.Prev != nil {
			if _, err := ap.delRels.ExecContext(ap.ctx, w.Prev.ID); err != nil {
				return fmt.Errorf("replace relations of %s: %w", w.Ref, err)
			}
			if _, err := ap.updEnt.ExecContext(ap.ctx, w.UID, w.Kind, w.Namespace, w.Name, ap.locationID, w.ParentRef, w.SourceKey, w.Hash,
				string(j.body), string(j.final), j.etag, w.Errors, ap.now, w.Prev.ID); err != nil {
				return fmt.Errorf("update %s: %w", w.Ref, err)
			}
		} else {
			res, err := ap.insEnt.ExecContext(ap.ctx, w.UID, w.Ref, w.Kind, w.Namespace, w.Name, ap.locationID, w.ParentRef, w.SourceKey, w.Hash,
				string(j.body), string(j.final), j.etag, w.Errors, ap.now)
			if err != nil {
				return fmt.Errorf("insert %s: %w", w.Ref, err)
			}
			if j.id, err = res.LastInsertId(); err != nil {
				return fmt.Errorf("insert %s: %w", w.Ref, err)
			}
		}
		ap.rowWrites++
		for _, r := range w.Relations {
			if _, err := ap.insRel.ExecContext(ap.ctx, j.id, r.Source, r.Type, r.Target); err != nil {
				return fmt.Errorf("insert relation of %s: %w", w.Ref, err)
			}
			ap.rowWrites++
		}
		docs = append(docs, toDoc(j))
	}
	ap.staged = append(ap.staged, ap.s.ix.Stage(docs)...)
	return nil
}
