package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/portico-dev/portico/catalog"
)

// Relation rows are stored as pairs (migration 0006). What an entity
// originates is a list of rows each of which has the entity's ref as source
// or as target, almost always in pairs of a type and its reverse (A ownedBy
// X and X ownerOf A): a pair is one stored row, anchored at the originator's
// ref; a row without its twin is one stored row too, dir saying which way
// it points.
const (
	dirOut  = 1 // anchor --type--> other
	dirIn   = 2 // other --type--> anchor
	dirBoth = 3 // anchor --type--> other and other --reverse(type)--> anchor
)

// relCols are a stored row's columns after originator_id.
const relCols = "anchor_ref, type, other_ref, dir"

// pairRow is one stored row of an originator; its anchor is the
// originator's ref.
type pairRow struct {
	typ, other string
	dir        int
}

// packRelations turns the rows an entity originates into stored rows,
// without duplicates. Every row has the entity as source or target (the
// planner refuses an apply where one does not).
func packRelations(self string, rows []catalog.RelationRow) []pairRow {
	seen := make(map[catalog.RelationRow]bool, len(rows))
	uniq := make([]catalog.RelationRow, 0, len(rows))
	for _, r := range rows {
		if !seen[r] {
			seen[r] = true
			uniq = append(uniq, r)
		}
	}
	taken := map[catalog.RelationRow]bool{} // rows stored as the twin of a pair
	out := make([]pairRow, 0, len(uniq)/2+1)
	for _, r := range uniq {
		if r.Source != self || taken[r] {
			continue
		}
		if rev, ok := catalog.ReverseRelation(r.Type); ok {
			twin := catalog.RelationRow{Source: r.Target, Type: rev, Target: self}
			if twin != r && seen[twin] && !taken[twin] {
				taken[twin] = true
				out = append(out, pairRow{typ: r.Type, other: r.Target, dir: dirBoth})
				continue
			}
		}
		out = append(out, pairRow{typ: r.Type, other: r.Target, dir: dirOut})
	}
	for _, r := range uniq {
		if r.Source != self && !taken[r] {
			out = append(out, pairRow{typ: r.Type, other: r.Source, dir: dirIn})
		}
	}
	return out
}

// appendRows appends the relation rows a stored row stands for.
func appendRows(dst []catalog.RelationRow, anchor, typ, other string, dir int) []catalog.RelationRow {
	if dir != dirIn {
		dst = append(dst, catalog.RelationRow{Source: anchor, Type: typ, Target: other})
	}
	switch dir {
	case dirIn:
		dst = append(dst, catalog.RelationRow{Source: other, Type: typ, Target: anchor})
	case dirBoth:
		if rev, ok := catalog.ReverseRelation(typ); ok {
			dst = append(dst, catalog.RelationRow{Source: other, Type: rev, Target: anchor})
		}
	}
	return dst
}

// scanRelations reads rows of relCols and expands them; keep, when set,
// says which expanded rows to return.
func scanRelations(rows *sql.Rows, dst []catalog.RelationRow, keep func(catalog.RelationRow) bool) ([]catalog.RelationRow, error) {
	defer rows.Close()
	var one [2]catalog.RelationRow
	for rows.Next() {
		var anchor, typ, other string
		var dir int
		if err := rows.Scan(&anchor, &typ, &other, &dir); err != nil {
			return nil, err
		}
		for _, r := range appendRows(one[:0], anchor, typ, other, dir) {
			if keep == nil || keep(r) {
				dst = append(dst, r)
			}
		}
	}
	return dst, rows.Err()
}

// relationStmts are the applier's prepared statements on relation_pairs.
type relationStmts struct {
	own, byOrig, del, ins, insBatch *sql.Stmt
}

// relBatch is how many stored rows one INSERT writes (5 variables each):
// one statement per row made the per-call overhead most of the cost.
const relBatch = 100

func (rs *relationStmts) prepare(ctx context.Context, tx *sql.Tx) error {
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&rs.own, "SELECT " + relCols + " FROM relation_pairs WHERE originator_id = ? AND dir != 2"},
		{&rs.byOrig, "SELECT " + relCols + " FROM relation_pairs WHERE originator_id = ?"},
		{&rs.del, "DELETE FROM relation_pairs WHERE originator_id = ?"},
		{&rs.ins, "INSERT OR IGNORE INTO relation_pairs (originator_id, " + relCols + ") VALUES (?, ?, ?, ?, ?)"},
		{&rs.insBatch, "INSERT OR IGNORE INTO relation_pairs (originator_id, " + relCols + ") VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", relBatch), ", ")},
	} {
		st, err := tx.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
		*p.dst = st
	}
	return nil
}

func (rs *relationStmts) close() {
	for _, st := range []*sql.Stmt{rs.own, rs.byOrig, rs.del, rs.ins, rs.insBatch} {
		if st != nil {
			st.Close()
		}
	}
}

// originated returns the rows entity id originated.
func (ap *applier) originated(id int64) ([]catalog.RelationRow, error) {
	rows, err := ap.rel.byOrig.QueryContext(ap.ctx, id)
	if err == nil {
		var out []catalog.RelationRow
		if out, err = scanRelations(rows, nil, nil); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("relations of entity %d: %w", id, err)
}

// incoming returns the stored rows whose source is ref (entity id): its
// own outgoing rows and the rows others originated towards it (towards).
func (ap *applier) incoming(id int64, ref string) ([]catalog.RelationRow, error) {
	rows, err := ap.rel.own.QueryContext(ap.ctx, id)
	if err != nil {
		return nil, fmt.Errorf("relations of %s: %w", ref, err)
	}
	out, err := scanRelations(rows, nil, func(r catalog.RelationRow) bool { return r.Source == ref })
	if err != nil {
		return nil, fmt.Errorf("relations of %s: %w", ref, err)
	}
	return ap.s.in.towards(out, ref), nil
}

// storedRelation is one row to insert: an originator's id and ref and a
// packed row.
type storedRelation struct {
	id     int64
	anchor string
	pairRow
}

// insertRelations writes rows, relBatch a statement and the rest one by one.
func (ap *applier) insertRelations(rels []storedRelation) error {
	args := make([]any, 0, 5*min(len(rels), relBatch))
	for len(rels) > 0 {
		n, st := relBatch, ap.rel.insBatch
		if len(rels) < relBatch {
			n, st = 1, ap.rel.ins
		}
		args = args[:0]
		for _, r := range rels[:n] {
			args = append(args, r.id, r.anchor, r.typ, r.other, r.dir)
		}
		ap.s.in.mu.Lock()
		for _, r := range rels[:n] {
			ap.s.in.add(r.id, r.anchor, r.typ, r.other, r.dir)
		}
		ap.s.in.mu.Unlock()
		if _, err := st.ExecContext(ap.ctx, args...); err != nil {
			return fmt.Errorf("insert relations of %s: %w", rels[0].anchor, err)
		}
		rels = rels[n:]
		ap.rowWrites += int64(n)
	}
	return nil
}

// deleteRelations removes every row entity id originated; their links
// (incoming) die with them.
func (ap *applier) deleteRelations(id int64, ref string) error {
	if _, err := ap.rel.del.ExecContext(ap.ctx, id); err != nil {
		return fmt.Errorf("delete relations of %s: %w", ref, err)
	}
	ap.s.in.mu.Lock()
	ap.s.in.kill(id)
	ap.s.in.mu.Unlock()
	return nil
}

// Relations returns the rows whose source or target is one of refs: the
// rows each ref's entity originated and the rows others originated towards
// it.
func (s *Store) Relations(ctx context.Context, refs []string) ([]catalog.RelationRow, error) {
	var out []catalog.RelationRow
	seen := map[catalog.RelationRow]bool{}
	keep := func(row catalog.RelationRow) bool {
		if seen[row] {
			return false
		}
		seen[row] = true
		return true
	}
	for _, r := range refs {
		canon := strings.ToLower(r)
		rows, err := s.r.QueryContext(ctx, `SELECT `+relCols+` FROM relation_pairs WHERE originator_id = (SELECT id FROM entities WHERE ref = ?)`, canon)
		if err == nil {
			out, err = scanRelations(rows, out, keep)
		}
		// The rows others originated naming it, by their originators.
		for origs := s.in.originators(canon); err == nil && len(origs) > 0; {
			n := min(len(origs), relationsBatch)
			args := make([]any, 0, n+1)
			args = append(args, canon)
			for _, id := range origs[:n] {
				args = append(args, id)
			}
			rows, err = s.r.QueryContext(ctx, `SELECT `+relCols+` FROM relation_pairs WHERE other_ref = ? AND originator_id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
			if err == nil {
				out, err = scanRelations(rows, out, keep)
			}
			origs = origs[n:]
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite store: relations of %s: %w", canon, err)
		}
	}
	return out, nil
}

// relationsBatch is how many originators one Relations query reads.
const relationsBatch = 500
