package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
)

// ApplyLocation replaces everything one location produced, in one
// transaction: plan (catalog.PlanApply), delete the relation rows of
// rewritten and deleted entities, stitch every entity whose final JSON can
// change (written, orphaned, or a peer whose incoming relations changed),
// then bulk-write rows and relations with COPY. Applies are serialised per
// schema by a transaction advisory lock, so replicas never interleave.
// An identical re-apply writes no entity row.
// analyzeAfterRows is the number of written entities from which an Apply
// refreshes the planner's statistics.
const analyzeAfterRows = 10_000

func (s *Store) ApplyLocation(ctx context.Context, a catalog.Apply) (catalog.ApplyResult, error) {
	var res catalog.ApplyResult
	start := time.Now()
	if a.Stream != nil {
		// Not yet streamed into the transaction (the SQLite store is): the
		// parts are gathered and applied as one, with the same result.
		var err error
		if a, err = gather(a); err != nil {
			return res, fmt.Errorf("postgres: apply %s: %w", a.LocationID, err)
		}
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("postgres: apply %s: begin: %w", a.LocationID, err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // no-op after commit
	st := new(*stager)
	res, changed, err := s.applyTx(ctx, tx, a, st)
	if err != nil {
		s.discard(*st)
		return catalog.ApplyResult{}, err
	}
	if changed {
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, a.LocationID); err != nil {
			s.discard(*st)
			return catalog.ApplyResult{}, fmt.Errorf("postgres: apply %s: notify: %w", a.LocationID, err)
		}
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(); err != nil {
			s.discard(*st)
			return catalog.ApplyResult{}, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		s.discard(*st)
		return catalog.ApplyResult{}, fmt.Errorf("postgres: apply %s: commit: %w", a.LocationID, err)
	}
	// This replica's readers see the apply at once; the others catch up on
	// their next read or on the change feed.
	s.publish(ctx, *st)
	// A bulk load leaves the planner without statistics until autovacuum gets
	// to the tables, and until then it scans and sorts where an index walk
	// would stop after one page. Large applies refresh them at once.
	if res.Added+res.Updated+res.Deleted >= analyzeAfterRows {
		if _, err := s.pool.Exec(ctx, `ANALYZE entities, relations`); err != nil {
			s.log.Warn("catalog apply: analyze after a large apply failed", "location", a.LocationID, "err", err)
		}
	}
	s.log.Debug("catalog apply", "location", a.LocationID, "entities", len(a.Entities), "added", res.Added,
		"updated", res.Updated, "unchanged", res.Unchanged, "orphaned", res.Orphaned, "deleted", res.Deleted,
		"conflicts", len(res.Conflicts), "duration", time.Since(start))
	return res, nil
}

// applyTx writes a's plan in tx; *st receives the stager of the rows it
// writes once it starts writing them (publish or discard it).
func (s *Store) applyTx(ctx context.Context, tx pgx.Tx, a catalog.Apply, st **stager) (catalog.ApplyResult, bool, error) {
	var res catalog.ApplyResult
	wrap := func(err error) (catalog.ApplyResult, bool, error) {
		return res, false, fmt.Errorf("postgres: apply %s: %w", a.LocationID, err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('portico.apply.' || $1))`, s.schema); err != nil {
		return wrap(fmt.Errorf("lock: %w", err))
	}
	locs, err := locationDescriptions(ctx, tx)
	if err != nil {
		return wrap(err)
	}
	if _, ok := locs[a.LocationID]; !ok && a.LocationID != "" {
		return res, false, catalog.NotFoundf("Found no location with ID %s", a.LocationID)
	}
	stored, err := s.plannedStored(ctx, tx, a)
	if err != nil {
		return wrap(err)
	}
	plan, err := catalog.PlanApply(catalog.PlanInput{
		Apply:         a,
		Stored:        stored,
		LocationAlive: func(id string) bool { _, ok := locs[id]; return ok },
		Describe: func(id string) string {
			if d, ok := locs[id]; ok {
				return d
			}
			return id
		},
	})
	if err != nil {
		return res, false, err // an InputError from planning: nothing written
	}
	res = plan.Result()

	locChanged, err := setLocationErrors(ctx, tx, a.LocationID, plan.LocationErrors)
	if err != nil {
		return wrap(err)
	}
	if len(plan.Writes) == 0 && len(plan.Orphan) == 0 && len(plan.Delete) == 0 {
		return res, locChanged, nil
	}
	version, err := bumpVersion(ctx, tx)
	if err != nil {
		return wrap(err)
	}
	*st = s.newStager(ctx, version)

	// Relation rows of rewritten entities go; their new rows come back below.
	var replaced []int64
	for _, w := range plan.Writes {
		if w.Prev != nil && !w.KeepBody {
			replaced = append(replaced, w.Prev.ID)
		}
	}
	oldRels, err := deleteRelationsOf(ctx, tx, replaced)
	if err != nil {
		return wrap(err)
	}
	var deleted []int64
	deletedRef := map[string]bool{}
	for _, d := range plan.Delete {
		deleted = append(deleted, d.ID)
		deletedRef[d.Ref] = true
	}
	delRels, err := deleteRelationsOf(ctx, tx, deleted)
	if err != nil {
		return wrap(err)
	}
	if len(deleted) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM entities WHERE id = ANY($1::bigint[])`, deleted); err != nil {
			return wrap(fmt.Errorf("delete entities: %w", err))
		}
	}
	for _, id := range deleted {
		(*st).deleted = append((*st).deleted, uint32(id))
	}

	// Everything whose final JSON may change.
	rows := map[string]*entityRow{}
	newRels := map[string][]catalog.RelationRow{} // by originator ref
	affected := map[string]bool{}
	var load []string
	for i := range plan.Writes {
		w := &plan.Writes[i]
		affected[w.Ref] = true
		if w.KeepBody {
			load = append(load, w.Ref)
			continue
		}
		r := &entityRow{ref: w.Ref, uid: w.UID, kind: w.Kind, ns: w.Namespace, name: w.Name,
			locationID: a.LocationID, parentRef: w.ParentRef, sourceKey: w.SourceKey, hash: w.Hash,
			errors: w.Errors, entity: w.Processed.Entity, changed: true}
		if w.Prev != nil {
			r.id = w.Prev.ID
			for _, src := range catalog.ChangedRelationSources(oldRels[w.Prev.ID], w.Relations) {
				affected[src] = true
			}
		} else {
			for _, src := range catalog.ChangedRelationSources(nil, w.Relations) {
				affected[src] = true
			}
		}
		rows[w.Ref] = r
		if len(w.Relations) > 0 {
			newRels[w.Ref] = w.Relations
		}
	}
	for _, o := range plan.Orphan {
		affected[o.Ref] = true
	}
	for _, rs := range delRels {
		for _, r := range rs {
			affected[r.Source] = true
		}
	}
	for ref := range affected {
		if deletedRef[ref] {
			delete(affected, ref)
			continue
		}
		if rows[ref] == nil {
			load = append(load, ref)
		}
	}
	loaded, err := loadRows(ctx, tx, load)
	if err != nil {
		return wrap(err)
	}
	for ref, r := range loaded {
		rows[ref] = r
	}
	for i := range plan.Writes {
		w := &plan.Writes[i]
		if w.KeepBody {
			r := rows[w.Ref]
			if r == nil {
				return wrap(fmt.Errorf("entity %s vanished during apply", w.Ref))
			}
			r.errors, r.orphan, r.changed = w.Errors, false, true
		}
	}
	for _, o := range plan.Orphan {
		if r := rows[o.Ref]; r != nil {
			r.orphan, r.changed = true, true
		}
	}

	// Stitch with the stored rows (already without replaced and deleted
	// originators) plus the new rows of this apply.
	refs := make([]string, 0, len(rows))
	for ref := range rows {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	rels, err := relationsBySource(ctx, tx, refs)
	if err != nil {
		return wrap(err)
	}
	for _, rs := range newRels {
		for _, r := range rs {
			if rows[r.Source] != nil {
				rels[r.Source] = append(rels[r.Source], r)
			}
		}
	}
	ordered := make([]*entityRow, 0, len(refs))
	for _, ref := range refs {
		ordered = append(ordered, rows[ref])
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	if err := writeRows(ctx, tx, ordered, rels, *st); err != nil {
		return wrap(err)
	}
	if err := insertRelations(ctx, tx, newRels, rows); err != nil {
		return wrap(err)
	}
	return res, true, nil
}

// plannedStored reads what PlanApply needs: every entity of the location and
// every entity whose ref the apply produces.
func (s *Store) plannedStored(ctx context.Context, tx pgx.Tx, a catalog.Apply) (map[string]*catalog.StoredEntity, error) {
	refs := make([]string, 0, len(a.Entities))
	for _, p := range a.Entities {
		if p.Entity != nil {
			refs = append(refs, p.Entity.Ref().String())
		}
	}
	rows, err := tx.Query(ctx, `SELECT id, uid::text, ref, location_id, source_key, parent_ref, hash, errors, orphan
		FROM entities WHERE location_id = $1 OR ref = ANY($2::text[])`, a.LocationID, refs)
	if err != nil {
		return nil, fmt.Errorf("read stored entities: %w", err)
	}
	defer rows.Close()
	out := make(map[string]*catalog.StoredEntity, len(refs))
	for rows.Next() {
		e := &catalog.StoredEntity{}
		if err := rows.Scan(&e.ID, &e.UID, &e.Ref, &e.LocationID, &e.SourceKey, &e.ParentRef, &e.Hash, &e.Errors, &e.Orphan); err != nil {
			return nil, fmt.Errorf("read stored entities: %w", err)
		}
		out[e.Ref] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stored entities: %w", err)
	}
	return out, nil
}

// locationDescriptions maps every registered location id to "type:target".
func locationDescriptions(ctx context.Context, tx pgx.Tx) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT id, type || ':' || target FROM locations`)
	if err != nil {
		return nil, fmt.Errorf("read locations: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, d string
		if err := rows.Scan(&id, &d); err != nil {
			return nil, fmt.Errorf("read locations: %w", err)
		}
		out[id] = d
	}
	return out, rows.Err()
}

// setLocationErrors records the refresh time and stores the location's
// processing errors; it reports whether the errors changed.
func setLocationErrors(ctx context.Context, tx pgx.Tx, id string, errs []catalog.ProcessingError) (bool, error) {
	if errs == nil {
		errs = []catalog.ProcessingError{}
	}
	b, err := json.Marshal(errs)
	if err != nil {
		return false, fmt.Errorf("encode location errors: %w", err)
	}
	var same bool
	if err := tx.QueryRow(ctx, `SELECT errors = $2::jsonb FROM locations WHERE id = $1`, id, string(b)).Scan(&same); err != nil {
		if isNoRows(err) {
			return false, nil
		}
		return false, fmt.Errorf("read location errors: %w", err)
	}
	if same {
		_, err = tx.Exec(ctx, `UPDATE locations SET refreshed_at = now() WHERE id = $1`, id)
	} else {
		_, err = tx.Exec(ctx, `UPDATE locations SET errors = $2::jsonb, refreshed_at = now() WHERE id = $1`, id, string(b))
	}
	if err != nil {
		return false, fmt.Errorf("store location errors: %w", err)
	}
	return !same, nil
}

// gather turns a streamed Apply into one with Entities.
func gather(a catalog.Apply) (catalog.Apply, error) {
	var all []catalog.Processed
	end, err := a.Stream(func(part []catalog.Processed) error {
		all = append(all, part...)
		return nil
	})
	if err != nil {
		return a, err
	}
	a.Stream, a.Entities, a.Errors, a.KeepSources = nil, all, end.Errors, end.KeepSources
	return a, nil
}
