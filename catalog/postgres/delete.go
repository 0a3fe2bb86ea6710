package postgres

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
)

// DeleteEntityByUID removes one entity and the relations it originated, and
// re-stitches the entities those relations pointed from. It comes back on the
// next refresh of its location.
func (s *Store) DeleteEntityByUID(ctx context.Context, uid string) error {
	if _, err := uuid.Parse(uid); err != nil {
		return catalog.NotFoundf("No entity with uid %s", uid)
	}
	return s.inApplyTx(ctx, func(tx pgx.Tx) (string, error) {
		var id int64
		var ref, loc string
		err := tx.QueryRow(ctx, `SELECT id, ref, location_id FROM entities WHERE uid = $1::uuid`, uid).Scan(&id, &ref, &loc)
		if isNoRows(err) {
			return "", catalog.NotFoundf("No entity with uid %s", uid)
		}
		if err != nil {
			return "", fmt.Errorf("find entity: %w", err)
		}
		if err := deleteAndRestitch(ctx, tx, []int64{id}, map[string]bool{ref: true}, nil); err != nil {
			return "", err
		}
		return loc, nil
	})
}

// DeleteLocation removes a location and its generated Location entity; the
// other entities it produced are deleted (OrphanDelete) or flagged as
// orphans (any other strategy), in one transaction.
func (s *Store) DeleteLocation(ctx context.Context, id string, strategy catalog.OrphanStrategy) error {
	return s.inApplyTx(ctx, func(tx pgx.Tx) (string, error) {
		var entityRef string
		err := tx.QueryRow(ctx, `DELETE FROM locations WHERE id = $1 RETURNING entity_ref`, id).Scan(&entityRef)
		if isNoRows(err) {
			return "", catalog.NotFoundf("Found no location with ID %s", id)
		}
		if err != nil {
			return "", fmt.Errorf("delete location: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT id, ref, orphan FROM entities WHERE location_id = $1 OR ref = $2`, id, entityRef)
		if err != nil {
			return "", fmt.Errorf("entities of location: %w", err)
		}
		var del []int64
		delRefs := map[string]bool{}
		var orphan []string
		for rows.Next() {
			var eid int64
			var ref string
			var isOrphan bool
			if err := rows.Scan(&eid, &ref, &isOrphan); err != nil {
				rows.Close()
				return "", fmt.Errorf("entities of location: %w", err)
			}
			switch {
			case ref == entityRef || strategy == catalog.OrphanDelete:
				del = append(del, eid)
				delRefs[ref] = true
			case !isOrphan:
				orphan = append(orphan, ref)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("entities of location: %w", err)
		}
		return id, deleteAndRestitch(ctx, tx, del, delRefs, orphan)
	})
}

// inApplyTx runs fn in a transaction serialised with every Apply, and
// notifies the change feed with the location id fn returns.
func (s *Store) inApplyTx(ctx context.Context, fn func(tx pgx.Tx) (string, error)) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('portico.apply.' || $1))`, s.schema); err != nil {
		return fmt.Errorf("postgres: lock: %w", err)
	}
	if _, err := bumpVersion(ctx, tx); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	loc, err := fn(tx)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.channel, loc); err != nil {
		return fmt.Errorf("postgres: notify: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	if err := s.syncIndex(ctx); err != nil {
		s.log.Warn("catalog write: index catch-up failed (the next read retries)", "err", err)
	}
	return nil
}

// deleteAndRestitch deletes entities (and the relations they originated),
// flags orphans, and re-stitches everything whose final JSON changes.
func deleteAndRestitch(ctx context.Context, tx pgx.Tx, ids []int64, deleted map[string]bool, orphans []string) error {
	rels, err := deleteRelationsOf(ctx, tx, ids)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM entities WHERE id = ANY($1::bigint[])`, ids); err != nil {
			return fmt.Errorf("delete entities: %w", err)
		}
	}
	affected := map[string]bool{}
	for _, rs := range rels {
		for _, r := range rs {
			if !deleted[r.Source] {
				affected[r.Source] = true
			}
		}
	}
	isOrphan := map[string]bool{}
	for _, o := range orphans {
		affected[o] = true
		isOrphan[o] = true
	}
	refs := make([]string, 0, len(affected))
	for r := range affected {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	return restitch(ctx, tx, refs, func(r *entityRow) {
		if isOrphan[r.ref] {
			r.orphan, r.changed = true, true
		}
	})
}

// restitch re-reads, re-stitches and rewrites the stored entities refs
// (absent ones are skipped), after mutate adjusts each row.
func restitch(ctx context.Context, tx pgx.Tx, refs []string, mutate func(*entityRow)) error {
	if len(refs) == 0 {
		return nil
	}
	rows, err := loadRows(ctx, tx, refs)
	if err != nil {
		return err
	}
	rels, err := relationsBySource(ctx, tx, refs)
	if err != nil {
		return err
	}
	ordered := make([]*entityRow, 0, len(rows))
	for _, ref := range refs {
		if r := rows[ref]; r != nil {
			mutate(r)
			ordered = append(ordered, r)
		}
	}
	return writeRows(ctx, tx, ordered, rels, nil) // the index catches up after the commit
}
