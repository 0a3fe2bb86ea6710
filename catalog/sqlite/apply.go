package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

// applyChunk is how many entities of an Apply without a stream are planned,
// stitched and written per part, which bounds the memory an apply holds at
// once.
var applyChunk = 2048 // a variable for tests

// ApplyLocation replaces what one location produced, in one transaction. The
// entities arrive part by part (Apply.Stream, or Entities cut into parts):
// each part is planned, its relation rows written, then stitched and
// written, while the stream reads the next. Groups, domains, systems and
// resources are stitched and written once at the end (see deferKinds);
// other entities stitched by an earlier part whose incoming relations a
// later part (or a delete) changed are stitched again at the end, as are
// orphans and kept bodies.
func (s *Store) ApplyLocation(ctx context.Context, a catalog.Apply) (catalog.ApplyResult, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	locs, err := s.locationNames(ctx)
	if err != nil {
		return catalog.ApplyResult{}, err
	}
	if _, ok := locs[a.LocationID]; !ok {
		return catalog.ApplyResult{}, catalog.NotFoundf("Found no location with ID %s", a.LocationID)
	}
	stored, err := s.loadLocation(ctx, s.w, a.LocationID)
	if err != nil {
		return catalog.ApplyResult{}, err
	}
	pl, err := catalog.NewPlanner(catalog.PlanInput{
		Apply: a, Stored: stored,
		LocationAlive: func(id string) bool { _, ok := locs[id]; return ok },
		Describe:      func(id string) string { return locs[id] },
	})
	if err != nil {
		return catalog.ApplyResult{}, err
	}
	var plan *catalog.Plan
	err = s.inTx(ctx, a.LocationID, func(ap *applier) error {
		end, err := consumeStream(a.StreamParts(applyChunk), func(part []catalog.Processed) error {
			if err := ap.addStored(stored, part); err != nil {
				return err
			}
			writes, err := pl.Next(part)
			if err != nil {
				return err
			}
			return ap.writePart(writes)
		})
		if err != nil {
			return err
		}
		plan = pl.Finish(end.Errors, end.KeepSources)
		if err := ap.finish(plan); err != nil {
			return err
		}
		var cur string
		if err := ap.tx.QueryRowContext(ctx, "SELECT errors FROM locations WHERE id = ?", a.LocationID).Scan(&cur); err != nil {
			return fmt.Errorf("read location errors: %w", err)
		}
		next := catalog.EncodeErrors(plan.LocationErrors)
		if next != cur {
			if _, err := ap.tx.ExecContext(ctx, "UPDATE locations SET errors = ?, refreshed_at = ? WHERE id = ?", next, nowMillis(), a.LocationID); err != nil {
				return fmt.Errorf("store location errors: %w", err)
			}
			return nil
		}
		_, err = ap.tx.ExecContext(ctx, "UPDATE locations SET refreshed_at = ? WHERE id = ?", nowMillis(), a.LocationID)
		return err
	})
	if err != nil {
		var ie *catalog.InputError
		if errors.As(err, &ie) {
			return catalog.ApplyResult{}, err // bad input, nothing written
		}
		return catalog.ApplyResult{}, fmt.Errorf("sqlite store: apply location %s: %w", a.LocationID, err)
	}
	return plan.Result(), nil
}

// errStreamAborted is what emit returns once the apply failed, so the
// stream stops producing.
var errStreamAborted = errors.New("apply aborted")

// consumeStream runs stream on its own goroutine and calls write with each
// part on this one, so the stream reads and processes the next part while
// this one is written. It returns once the stream has returned.
func consumeStream(stream catalog.EntityStream, write func([]catalog.Processed) error) (catalog.StreamEnd, error) {
	parts := make(chan []catalog.Processed, 1)
	failed := make(chan struct{})
	type result struct {
		end catalog.StreamEnd
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer close(parts)
		end, err := stream(func(part []catalog.Processed) error {
			if len(part) == 0 {
				return nil
			}
			select {
			case parts <- part:
				return nil
			case <-failed:
				return errStreamAborted
			}
		})
		done <- result{end, err}
	}()
	var werr error
	for part := range parts {
		if werr != nil {
			continue
		}
		if werr = write(part); werr != nil {
			close(failed)
		}
	}
	r := <-done
	if werr != nil {
		return catalog.StreamEnd{}, werr
	}
	if r.err != nil {
		return catalog.StreamEnd{}, fmt.Errorf("read entities: %w", r.err)
	}
	return r.end, nil
}

// locationNames maps every location id to "type:target".
func (s *Store) locationNames(ctx context.Context) (map[string]string, error) {
	rows, err := s.w.QueryContext(ctx, "SELECT id, type, target FROM locations")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: list locations: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, typ, target string
		if err := rows.Scan(&id, &typ, &target); err != nil {
			return nil, fmt.Errorf("sqlite store: list locations: %w", err)
		}
		out[id] = typ + ":" + target
	}
	return out, rows.Err()
}

const storedCols = "id, uid, ref, location_id, source_key, parent_ref, hash, errors, orphan, etag"

func scanStored(sc scanner) (*catalog.StoredEntity, error) {
	var e catalog.StoredEntity
	var orphan int
	err := sc.Scan(&e.ID, &e.UID, &e.Ref, &e.LocationID, &e.SourceKey, &e.ParentRef, &e.Hash, &e.Errors, &orphan, &e.Etag)
	e.Orphan = orphan != 0
	return &e, err
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// loadLocation returns the stored entities of a location by ref.
func (s *Store) loadLocation(ctx context.Context, db querier, locationID string) (map[string]*catalog.StoredEntity, error) {
	out := map[string]*catalog.StoredEntity{}
	rows, err := db.QueryContext(ctx, "SELECT "+storedCols+" FROM entities WHERE location_id = ?", locationID)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: load location entities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanStored(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite store: load location entities: %w", err)
		}
		out[e.Ref] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: load location entities: %w", err)
	}
	return out, nil
}

// addStored adds to stored the stored entities (of other locations) whose
// refs part produces, found through the index's ref map.
func (ap *applier) addStored(stored map[string]*catalog.StoredEntity, part []catalog.Processed) error {
	var others []uint32
	ap.s.ix.RLock()
	for _, p := range part {
		if p.Entity == nil {
			continue
		}
		r := p.Entity.Ref().String()
		if _, ok := stored[r]; ok {
			continue
		}
		if id, ok := ap.s.ix.Lookup(r); ok {
			others = append(others, id)
		}
	}
	ap.s.ix.RUnlock()
	for _, id := range others {
		e, err := scanStored(ap.entByID.QueryRowContext(ap.ctx, int64(id)))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load entity %d: %w", id, err)
		}
		stored[e.Ref] = e
	}
	return nil
}

// DeleteEntityByUID removes one entity and its relations; peers are re-stitched.
func (s *Store) DeleteEntityByUID(ctx context.Context, uid string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	e, err := scanStored(s.w.QueryRowContext(ctx, "SELECT "+storedCols+" FROM entities WHERE uid = ?", uid))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.NotFoundf("No entity with uid %s", uid)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: delete entity %s: %w", uid, err)
	}
	if err := s.runPlan(ctx, &catalog.Plan{Delete: []*catalog.StoredEntity{e}}, e.LocationID, nil); err != nil {
		return fmt.Errorf("sqlite store: delete entity %s: %w", uid, err)
	}
	return nil
}

// DeleteLocation removes a location, its generated Location entity, and
// orphans or deletes the rest of what it produced.
func (s *Store) DeleteLocation(ctx context.Context, id string, strategy catalog.OrphanStrategy) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var entityRef string
	err := s.w.QueryRowContext(ctx, "SELECT entity_ref FROM locations WHERE id = ?", id).Scan(&entityRef)
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.NotFoundf("Found no location with ID %s", id)
	}
	if err != nil {
		return fmt.Errorf("sqlite store: delete location %s: %w", id, err)
	}
	stored, err := s.loadLocation(ctx, s.w, id)
	if err != nil {
		return err
	}
	plan := &catalog.Plan{}
	refs := make([]string, 0, len(stored))
	for r := range stored {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	for _, r := range refs {
		e := stored[r]
		switch {
		case r == entityRef || strategy == catalog.OrphanDelete:
			plan.Delete = append(plan.Delete, e)
		case !e.Orphan:
			plan.Orphan = append(plan.Orphan, e)
		}
	}
	err = s.runPlan(ctx, plan, id, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM locations WHERE id = ?", id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite store: delete location %s: %w", id, err)
	}
	return nil
}

// runPlan executes a plan in one transaction, then publishes the index
// changes. extra runs inside the transaction after the entity writes.
func (s *Store) runPlan(ctx context.Context, plan *catalog.Plan, locationID string, extra func(context.Context, *sql.Tx) error) error {
	return s.inTx(ctx, locationID, func(ap *applier) error {
		if err := ap.writePart(plan.Writes); err != nil {
			return err
		}
		if err := ap.finish(plan); err != nil {
			return err
		}
		if extra != nil {
			return extra(ctx, ap.tx)
		}
		return nil
	})
}

// inTx runs fn with an applier in one transaction, then publishes the index
// changes it staged; on failure nothing is written or published.
func (s *Store) inTx(ctx context.Context, locationID string, fn func(*applier) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	ap, err := newApplier(ctx, s, tx, locationID)
	if err != nil {
		tx.Rollback()
		return err
	}
	s.in.mu.Lock()
	s.in.begin()
	s.in.mu.Unlock()
	err = fn(ap)
	if err == nil {
		err = ap.writeOutbox()
	}
	if err != nil {
		ap.drain()
		ap.close()
		tx.Rollback()
		s.ix.Abort(ap.staged)
		s.in.mu.Lock()
		s.in.rollback()
		s.in.mu.Unlock()
		return err
	}
	ap.close()
	// The index publishes the write while SQLite commits it; if the commit
	// fails, the index is rebuilt from what SQLite holds.
	rebuild := func() (*postings.Index, error) {
		fresh := postings.New()
		_, err := s.rebuildIndex(ctx, fresh)
		return fresh, err
	}
	err = s.ix.CommitWith(ap.staged, ap.deleted, tx.Commit, rebuild)
	s.in.mu.Lock()
	if err != nil {
		s.in.rollback()
	} else {
		s.in.commit()
	}
	s.in.mu.Unlock()
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.compactIncoming(ctx)
	s.writes.Add(ap.rowWrites)
	s.wakeCheckpointer()
	return nil
}

// stitchJob is one entity being (re)stitched.
type stitchJob struct {
	id      int64
	ref     string
	entity  *catalog.Entity
	body    []byte
	uid     string
	own     []catalog.RelationRow // rows the entity originates with itself as source, until readyToStitch
	rels    []catalog.RelationRow
	errs    []catalog.ProcessingError
	orphan  bool
	final   []byte
	etag    string
	tokens  catalog.FlatTokens
	orig    catalog.Originals
	err     error
	oldEtag string
	patched bool // final patched by restitch: tokens and orig are the stitched keys' only
	// deferred marks a job of deferKinds whose stitching waits for the end
	// of the apply: run prepares it (prep; nil if it cannot be prepared, and
	// entity and body are kept instead).
	deferred bool
	prep     *catalog.Prepared
}

func (j *stitchJob) run(withBody bool) {
	if j.deferred {
		if j.body == nil {
			if j.body, j.err = catalog.BodyJSON(j.entity); j.err != nil {
				return
			}
		}
		j.prep, _ = catalog.Prepare(j.entity, j.body, j.uid)
		return
	}
	if j.prep != nil {
		j.final, j.etag, j.tokens, j.orig, j.err = catalog.StitchPrepared(j.prep, j.ref, j.rels, j.errs)
		j.prep = nil
		return
	}
	var body []byte // BodyJSON(j.entity), which the final JSON is spliced from
	if withBody {
		if j.body == nil {
			if j.body, j.err = catalog.BodyJSON(j.entity); j.err != nil {
				return
			}
		}
		body = j.body
	}
	j.final, j.etag, j.tokens, j.orig, j.err = catalog.StitchTokens(catalog.StitchInput{Entity: j.entity, Ref: j.ref, UID: j.uid, Relations: j.rels, Errors: j.errs, Orphan: j.orphan, Body: body})
}

// restitch patches final, the stored final JSON of an entity whose relation
// rows alone changed, with j.rels: no decoding, stitching or tokenising of
// the body. False if final is not shaped for it.
func (j *stitchJob) restitch(final []byte) bool {
	out, etag, rels, ok := catalog.RestitchFinal(final, j.oldEtag, j.ref, j.rels)
	if !ok {
		return false
	}
	j.final, j.etag, j.patched = out, etag, true
	j.tokens, j.orig = catalog.StitchedTokens(etag, rels)
	return true
}

// The body column holds an entity's body only when it cannot be derived
// from its final JSON: the final JSON is the body plus uid, etag,
// relations, status and (for an orphan) the orphan annotation, so the body
// is those taken away again — unless the body itself carries the orphan
// annotation, which the stitch would overwrite. Storing the entity once
// instead of twice cut what a large apply writes by about a quarter (491 →
// 379 MiB at 100,000 entities; with both, a row took most of a 4 KiB page).

// bodyColumn is what the body column of j's row holds: "" when the body
// can be derived from the final JSON. j ran with its body (run(true)).
func (j *stitchJob) bodyColumn() string {
	if j.entity == nil { // prepared: catalog.Prepare refuses a body with the annotation
		return ""
	}
	if _, ok := j.entity.Metadata.Annotations[catalog.AnnotationOrphan]; ok {
		return string(j.body)
	}
	return ""
}

// storedBody decodes a stored entity's body: the body column when set,
// else the final JSON without what stitching added.
func storedBody(body, final []byte, orphan bool) (*catalog.Entity, error) {
	var e catalog.Entity
	if len(body) > 0 {
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, fmt.Errorf("decode stored body: %w", err)
		}
		return &e, nil
	}
	if err := json.Unmarshal(final, &e); err != nil {
		return nil, fmt.Errorf("decode stored entity: %w", err)
	}
	e.Relations, e.Status = nil, nil
	e.Metadata.UID, e.Metadata.Etag = "", ""
	if orphan {
		delete(e.Metadata.Annotations, catalog.AnnotationOrphan)
		if len(e.Metadata.Annotations) == 0 {
			e.Metadata.Annotations = nil
		}
	}
	return &e, nil
}

func toDoc(j *stitchJob) postings.Doc {
	return postings.Doc{ID: uint32(j.id), Ref: j.ref, Tokens: j.tokens, Orig: j.orig}
}
