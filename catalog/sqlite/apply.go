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

// applyChunk is how many entities are stitched and written per batch, which
// bounds the memory a million-entity apply holds at once.
const applyChunk = 2048

// ApplyLocation replaces what one location produced, in one transaction.
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
	stored, err := s.loadStored(ctx, a)
	if err != nil {
		return catalog.ApplyResult{}, err
	}
	plan, err := catalog.PlanApply(catalog.PlanInput{
		Apply: a, Stored: stored,
		LocationAlive: func(id string) bool { _, ok := locs[id]; return ok },
		Describe:      func(id string) string { return locs[id] },
	})
	if err != nil {
		return catalog.ApplyResult{}, err
	}
	err = s.runPlan(ctx, plan, a.LocationID, func(ctx context.Context, tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, "SELECT errors FROM locations WHERE id = ?", a.LocationID).Scan(&cur); err != nil {
			return fmt.Errorf("read location errors: %w", err)
		}
		next := catalog.EncodeErrors(plan.LocationErrors)
		if next != cur {
			if _, err := tx.ExecContext(ctx, "UPDATE locations SET errors = ?, refreshed_at = ? WHERE id = ?", next, nowMillis(), a.LocationID); err != nil {
				return fmt.Errorf("store location errors: %w", err)
			}
			return nil
		}
		_, err := tx.ExecContext(ctx, "UPDATE locations SET refreshed_at = ? WHERE id = ?", nowMillis(), a.LocationID)
		return err
	})
	if err != nil {
		return catalog.ApplyResult{}, fmt.Errorf("sqlite store: apply location %s: %w", a.LocationID, err)
	}
	return plan.Result(), nil
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

const storedCols = "id, uid, ref, location_id, source_key, parent_ref, hash, errors, orphan"

func scanStored(sc scanner) (*catalog.StoredEntity, error) {
	var e catalog.StoredEntity
	var orphan int
	err := sc.Scan(&e.ID, &e.UID, &e.Ref, &e.LocationID, &e.SourceKey, &e.ParentRef, &e.Hash, &e.Errors, &orphan)
	e.Orphan = orphan != 0
	return &e, err
}

// loadStored returns the entities of the location plus the stored entities
// of every incoming ref (found through the index's ref map).
func (s *Store) loadStored(ctx context.Context, a catalog.Apply) (map[string]*catalog.StoredEntity, error) {
	out := map[string]*catalog.StoredEntity{}
	rows, err := s.w.QueryContext(ctx, "SELECT "+storedCols+" FROM entities WHERE location_id = ?", a.LocationID)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: load location entities: %w", err)
	}
	for rows.Next() {
		e, err := scanStored(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite store: load location entities: %w", err)
		}
		out[e.Ref] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: load location entities: %w", err)
	}
	var others []uint32
	s.ix.RLock()
	for _, p := range a.Entities {
		if p.Entity == nil {
			continue
		}
		r := p.Entity.Ref().String()
		if _, ok := out[r]; ok {
			continue
		}
		if id, ok := s.ix.Lookup(r); ok {
			others = append(others, id)
		}
	}
	s.ix.RUnlock()
	if len(others) == 0 {
		return out, nil
	}
	stmt, err := s.w.PrepareContext(ctx, "SELECT "+storedCols+" FROM entities WHERE id = ?")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: load entities: %w", err)
	}
	defer stmt.Close()
	for _, id := range others {
		e, err := scanStored(stmt.QueryRowContext(ctx, int64(id)))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite store: load entity %d: %w", id, err)
		}
		out[e.Ref] = e
	}
	return out, nil
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
	stored, err := s.loadStored(ctx, catalog.Apply{LocationID: id})
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
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	ap, err := newApplier(ctx, s, tx, locationID)
	if err != nil {
		tx.Rollback()
		return err
	}
	fail := func(err error) error {
		ap.close()
		tx.Rollback()
		s.ix.Abort(ap.staged)
		return err
	}
	if err := ap.run(plan); err != nil {
		return fail(err)
	}
	if extra != nil {
		if err := extra(ctx, tx); err != nil {
			return fail(err)
		}
	}
	ap.close()
	if err := tx.Commit(); err != nil {
		s.ix.Abort(ap.staged)
		return fmt.Errorf("commit: %w", err)
	}
	s.writes.Add(ap.rowWrites)
	s.ix.Commit(ap.staged, ap.deleted)
	return nil
}

// stitchJob is one entity being (re)stitched.
type stitchJob struct {
	id      int64
	ref     string
	entity  *catalog.Entity
	body    []byte
	uid     string
	rels    []catalog.RelationRow
	errs    []catalog.ProcessingError
	orphan  bool
	final   []byte
	etag    string
	tokens  catalog.TokenSet
	orig    catalog.Originals
	err     error
	oldEtag string
}

func (j *stitchJob) run(withBody bool) {
	if withBody {
		if j.body, j.err = catalog.BodyJSON(j.entity); j.err != nil {
			return
		}
	}
	j.final, j.etag, j.err = catalog.Stitch(catalog.StitchInput{Entity: j.entity, Ref: j.ref, UID: j.uid, Relations: j.rels, Errors: j.errs, Orphan: j.orphan})
	if j.err == nil && j.etag != j.oldEtag {
		j.tokens, j.orig = catalog.TokensWithOriginals(j.final)
	}
}

func decodeBody(b []byte) (*catalog.Entity, error) {
	var e catalog.Entity
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("decode stored body: %w", err)
	}
	return &e, nil
}

func toDoc(j *stitchJob) postings.Doc {
	return postings.Doc{ID: uint32(j.id), Ref: j.ref, Tokens: j.tokens, Orig: j.orig}
}
