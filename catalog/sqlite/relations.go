package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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
	// uniq are the distinct rows; taken[i] marks uniq[i] stored as the twin
	// of a pair. An entity has a handful of rows: they are compared one by
	// one, which cost less than the maps it took (two per entity); many
	// (a group listing its members) are found through a map.
	uniq := make([]catalog.RelationRow, 0, len(rows))
	var at map[catalog.RelationRow]int
	if len(rows) > smallRows {
		at = make(map[catalog.RelationRow]int, len(rows))
	}
	index := func(r catalog.RelationRow) int {
		if at == nil {
			return slices.Index(uniq, r)
		}
		if i, ok := at[r]; ok {
			return i
		}
		return -1
	}
	for _, r := range rows {
		if index(r) < 0 {
			if at != nil {
				at[r] = len(uniq)
			}
			uniq = append(uniq, r)
		}
	}
	taken := make([]bool, len(uniq))
	out := make([]pairRow, 0, len(uniq)/2+1)
	for i, r := range uniq {
		if r.Source != self || taken[i] {
			continue
		}
		if rev, ok := catalog.ReverseRelation(r.Type); ok {
			twin := catalog.RelationRow{Source: r.Target, Type: rev, Target: self}
			if t := index(twin); twin != r && t >= 0 && !taken[t] {
				taken[t] = true
				out = append(out, pairRow{typ: r.Type, other: r.Target, dir: dirBoth})
				continue
			}
		}
		out = append(out, pairRow{typ: r.Type, other: r.Target, dir: dirOut})
	}
	for i, r := range uniq {
		if r.Source != self && !taken[i] {
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

// scanSets reads rows of (anchor_ref, pairs) and expands the pairs that
// keepPair selects (all when nil); keep, when set, says which expanded
// rows to return.
func scanSets(rows *sql.Rows, dst []catalog.RelationRow, keepPair func(pairRow) bool, keep func(catalog.RelationRow) bool) ([]catalog.RelationRow, error) {
	defer rows.Close()
	var one [2]catalog.RelationRow
	var pairs []pairRow
	for rows.Next() {
		var anchor string
		var enc []byte
		if err := rows.Scan(&anchor, &enc); err != nil {
			return nil, err
		}
		var err error
		if pairs, err = decodePairs(pairs[:0], enc); err != nil {
			return nil, fmt.Errorf("relation rows of %s: %w", anchor, err)
		}
		for _, p := range pairs {
			if keepPair != nil && !keepPair(p) {
				continue
			}
			for _, r := range appendRows(one[:0], anchor, p.typ, p.other, p.dir) {
				if keep == nil || keep(r) {
					dst = append(dst, r)
				}
			}
		}
	}
	return dst, rows.Err()
}

// encodePairs appends pairs as the pairs column holds them: a JSON array of
// [type, other_ref, dir] arrays.
func encodePairs(dst []byte, pairs []pairRow) []byte {
	dst = append(dst, '[')
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(append(dst, '['), p.typ)
		dst = appendString(append(dst, ','), p.other)
		dst = strconv.AppendInt(append(dst, ','), int64(p.dir), 10)
		dst = append(dst, ']')
	}
	return append(dst, ']')
}

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	return append(append(append(dst, '"'), s...), '"')
}

// decodePairs appends the pairs of a pairs column (encodePairs, or SQLite's
// json_group_array of migration 0009) to dst.
func decodePairs(dst []pairRow, b []byte) ([]pairRow, error) {
	bad := func() ([]pairRow, error) { return nil, fmt.Errorf("malformed relation pairs %.60q", b) }
	i := skipJSONSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return bad()
	}
	i = skipJSONSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return dst, nil
	}
	for {
		var p pairRow
		var ok bool
		if i = skipJSONSpace(b, i); i >= len(b) || b[i] != '[' {
			return bad()
		}
		if p.typ, i, ok = readJSONString(b, skipJSONSpace(b, i+1)); !ok {
			return bad()
		}
		if i = skipJSONSpace(b, i); i >= len(b) || b[i] != ',' {
			return bad()
		}
		if p.other, i, ok = readJSONString(b, skipJSONSpace(b, i+1)); !ok {
			return bad()
		}
		if i = skipJSONSpace(b, i); i >= len(b) || b[i] != ',' {
			return bad()
		}
		i = skipJSONSpace(b, i+1)
		if i >= len(b) || b[i] < '0'+dirOut || b[i] > '0'+dirBoth {
			return bad()
		}
		p.dir = int(b[i] - '0')
		i++
		if i = skipJSONSpace(b, i); i >= len(b) || b[i] != ']' {
			return bad()
		}
		dst = append(dst, p)
		if i = skipJSONSpace(b, i+1); i >= len(b) {
			return bad()
		}
		switch b[i] {
		case ',':
			i++
		case ']':
			if skipJSONSpace(b, i+1) != len(b) {
				return bad()
			}
			return dst, nil
		default:
			return bad()
		}
	}
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// readJSONString reads the JSON string at b[i]; one with escapes goes
// through encoding/json.
func readJSONString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return string(b[i+1 : j]), j + 1, true
			}
			var s string
			if err := json.Unmarshal(b[i:j+1], &s); err != nil {
				return "", 0, false
			}
			return s, j + 1, true
		}
	}
	return "", 0, false
}

// relationStmts are the applier's prepared statements on relation_sets.
type relationStmts struct {
	byOrig, del, ins, insBatch *sql.Stmt
}

// smallRows is up to how many rows packRelations compares one by one.
const smallRows = 32

// relBatch is how many originators' rows one INSERT writes (3 variables
// each): one statement per row made the per-call overhead most of the cost.
const relBatch = 100

func (rs *relationStmts) prepare(ctx context.Context, tx *sql.Tx) error {
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&rs.byOrig, "SELECT anchor_ref, pairs FROM relation_sets WHERE originator_id = ?"},
		{&rs.del, "DELETE FROM relation_sets WHERE originator_id = ?"},
		{&rs.ins, "INSERT INTO relation_sets (originator_id, anchor_ref, pairs) VALUES (?, ?, ?)"},
		{&rs.insBatch, "INSERT INTO relation_sets (originator_id, anchor_ref, pairs) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", relBatch), ", ")},
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
	for _, st := range []*sql.Stmt{rs.byOrig, rs.del, rs.ins, rs.insBatch} {
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
		if out, err = scanSets(rows, nil, nil, nil); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("relations of entity %d: %w", id, err)
}

// incoming returns the stored rows whose source is ref (entity id): its
// own outgoing rows and the rows others originated towards it (towards).
func (ap *applier) incoming(id int64, ref string) ([]catalog.RelationRow, error) {
	rows, err := ap.rel.byOrig.QueryContext(ap.ctx, id)
	if err != nil {
		return nil, fmt.Errorf("relations of %s: %w", ref, err)
	}
	out, err := scanSets(rows, nil, func(p pairRow) bool { return p.dir != dirIn }, func(r catalog.RelationRow) bool { return r.Source == ref })
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

// insertRelations writes rels, each originator's (consecutive in rels) as
// one row, relBatch originators a statement and the rest one by one.
func (ap *applier) insertRelations(rels []storedRelation) error {
	type set struct {
		id     int64
		anchor string
		pairs  []pairRow
	}
	var sets []set
	for i := 0; i < len(rels); {
		j := i + 1
		for j < len(rels) && rels[j].id == rels[i].id {
			j++
		}
		s := set{id: rels[i].id, anchor: rels[i].anchor, pairs: make([]pairRow, j-i)}
		for k := i; k < j; k++ {
			s.pairs[k-i] = rels[k].pairRow
		}
		sets = append(sets, s)
		i = j
	}
	args := make([]any, 0, 3*min(len(sets), relBatch))
	var buf []byte
	for len(sets) > 0 {
		n, st := relBatch, ap.rel.insBatch
		if len(sets) < relBatch {
			n, st = 1, ap.rel.ins
		}
		args, buf = args[:0], buf[:0]
		ends := make([]int, n)
		for i, s := range sets[:n] {
			buf = encodePairs(buf, s.pairs)
			ends[i] = len(buf)
		}
		start := 0
		for i, s := range sets[:n] {
			args = append(args, s.id, s.anchor, textOf(buf[start:ends[i]]))
			start = ends[i]
		}
		ap.s.in.mu.Lock()
		for _, s := range sets[:n] {
			for _, p := range s.pairs {
				ap.s.in.add(s.id, s.anchor, p.typ, p.other, p.dir)
			}
		}
		ap.s.in.mu.Unlock()
		if _, err := st.ExecContext(ap.ctx, args...); err != nil {
			return fmt.Errorf("insert relations of %s: %w", sets[0].anchor, err)
		}
		for _, s := range sets[:n] {
			ap.rowWrites += int64(len(s.pairs))
		}
		sets = sets[n:]
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
		rows, err := s.r.QueryContext(ctx, `SELECT anchor_ref, pairs FROM relation_sets WHERE originator_id = (SELECT id FROM entities WHERE ref = ?)`, canon)
		if err == nil {
			out, err = scanSets(rows, out, nil, keep)
		}
		// The rows others originated naming it, by their originators.
		for origs := s.in.originators(canon); err == nil && len(origs) > 0; {
			n := min(len(origs), relationsBatch)
			args := make([]any, 0, n)
			for _, id := range origs[:n] {
				args = append(args, id)
			}
			rows, err = s.r.QueryContext(ctx, `SELECT anchor_ref, pairs FROM relation_sets WHERE originator_id IN (?`+strings.Repeat(", ?", n-1)+`)`, args...)
			if err == nil {
				out, err = scanSets(rows, out, func(p pairRow) bool { return p.other == canon }, keep)
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
