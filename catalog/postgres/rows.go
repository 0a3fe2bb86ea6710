package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
)

// entityRow is one entities row as Apply and the delete paths write it.
type entityRow struct {
	id         int64 // 0 when not yet stored
	ref, uid   string
	kind, ns   string
	name       string
	locationID string
	parentRef  string
	sourceKey  string
	hash       string
	errors     string // catalog.EncodeErrors form
	orphan     bool
	body       []byte          // stored body; computed from entity when nil
	entity     *catalog.Entity // decoded body, when already at hand
	oldFinal   string          // the stored final, "" for new rows
	changed    bool            // columns other than final change: always write

	final     []byte
	tokens    []string
	originals map[string]string
	// ts and orig are the final JSON's tokens, for the index (stager).
	ts   catalog.FlatTokens
	orig catalog.Originals
}

// stitch computes final, tokens and originals from the body,
// the relation rows with this entity as source, errors and the orphan flag.
func (r *entityRow) stitch(rels []catalog.RelationRow) error {
	if r.body == nil && r.entity != nil {
		b, err := catalog.BodyJSON(r.entity)
		if err != nil {
			return err
		}
		r.body = b
	}
	if r.entity == nil {
		var e catalog.Entity
		if err := json.Unmarshal(r.body, &e); err != nil {
			return fmt.Errorf("decode stored body of %s: %w", r.ref, err)
		}
		r.entity = &e
	}
	errs, err := catalog.DecodeErrors(r.errors)
	if err != nil {
		return fmt.Errorf("entity %s: %w", r.ref, err)
	}
	final, _, err := catalog.Stitch(catalog.StitchInput{
		Entity: r.entity, Ref: r.ref, UID: r.uid, Relations: rels, Errors: errs, Orphan: r.orphan,
	})
	if err != nil {
		return err
	}
	r.final = final
	ts, orig := catalog.FlatTokensWithOriginals(final)
	r.ts, r.orig = ts, orig
	r.tokens = tokenArray(ts)
	r.originals = nil
	for _, o := range orig {
		if o.Orig != o.Value {
			if r.originals == nil {
				r.originals = map[string]string{}
			}
			r.originals[o.Key+sep+o.Value] = o.Orig
		}
	}
	return nil
}

// loadRows reads the stored rows of refs (missing refs are skipped).
func loadRows(ctx context.Context, tx pgx.Tx, refs []string) (map[string]*entityRow, error) {
	out := make(map[string]*entityRow, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT id, ref, uid::text, kind, namespace, name, location_id, parent_ref, source_key,
		hash, errors, orphan, body::text, final::text FROM entities WHERE ref = ANY($1::text[])`, refs)
	if err != nil {
		return nil, fmt.Errorf("load entities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r := &entityRow{}
		var body string
		if err := rows.Scan(&r.id, &r.ref, &r.uid, &r.kind, &r.ns, &r.name, &r.locationID, &r.parentRef, &r.sourceKey,
			&r.hash, &r.errors, &r.orphan, &body, &r.oldFinal); err != nil {
			return nil, fmt.Errorf("load entities: %w", err)
		}
		r.body = []byte(body)
		out[r.ref] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load entities: %w", err)
	}
	return out, nil
}

// relationsBySource reads the stored relation rows whose source is one of refs.
func relationsBySource(ctx context.Context, tx pgx.Tx, refs []string) (map[string][]catalog.RelationRow, error) {
	out := map[string][]catalog.RelationRow{}
	if len(refs) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT source_ref, type, target_ref FROM relations WHERE source_ref = ANY($1::text[])`, refs)
	if err != nil {
		return nil, fmt.Errorf("load relations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r catalog.RelationRow
		if err := rows.Scan(&r.Source, &r.Type, &r.Target); err != nil {
			return nil, fmt.Errorf("load relations: %w", err)
		}
		out[r.Source] = append(out[r.Source], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load relations: %w", err)
	}
	return out, nil
}

// deleteRelationsOf removes the rows originated by ids and returns them.
func deleteRelationsOf(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64][]catalog.RelationRow, error) {
	out := map[int64][]catalog.RelationRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `DELETE FROM relations WHERE originator_id = ANY($1::bigint[])
		RETURNING originator_id, source_ref, type, target_ref`, ids)
	if err != nil {
		return nil, fmt.Errorf("delete relations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r catalog.RelationRow
		if err := rows.Scan(&id, &r.Source, &r.Type, &r.Target); err != nil {
			return nil, fmt.Errorf("delete relations: %w", err)
		}
		out[id] = append(out[id], r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delete relations: %w", err)
	}
	return out, nil
}
