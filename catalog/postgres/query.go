package postgres

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/portico-dev/portico/catalog"
)

// sortColumns are the order fields kept in their own lower-cased, indexed
// columns (computed at write time from the token set: the smallest value),
// so ordering and keyset paging on them use a btree. Any other field sorts
// through sortExpr, correct but computed per row.
var sortColumns = map[string]string{
	"metadata.name":  "sort_name",
	"metadata.title": "sort_title",
	"kind":           "sort_kind",
	"spec.type":      "sort_type",
	"spec.owner":     "sort_owner",
	"spec.lifecycle": "sort_lifecycle",
}

// sortKey is the value an entity sorts by for field: its smallest value
// (TokenSet values are sorted), or false when it has none.
func sortKey(ts catalog.TokenSet, field string) (string, bool) {
	vs := ts[field]
	if len(vs) == 0 {
		return "", false
	}
	return slices.Min(vs), true
}

// singleValued are sort fields that can hold only one value (typed string
// fields of the envelope), so their min column also serves descending order.
var singleValued = map[string]bool{"metadata.name": true, "metadata.title": true, "kind": true}

// orderExpr returns the SQL expression of an order field's sort value: the
// smallest value for ascending order, the largest for descending (NULL when
// the entity lacks the field).
func orderExpr(a *args, o catalog.Order) string {
	field := strings.ToLower(strings.TrimSpace(o.Field))
	if col, ok := sortColumns[field]; ok && (!o.Desc || singleValued[field]) {
		return col
	}
	agg := "min"
	if o.Desc {
		agg = "max"
	}
	k := a.add(field + sep)
	return "(SELECT " + agg + "(substr(t, length(" + k + "::text) + 1) COLLATE \"C\") FROM unnest(tokens) t WHERE starts_with(t, " + k + "::text))"
}

const recordCols = "uid::text, ref, location_id, final::text"

func scanRecord(row pgx.Row) (catalog.Record, error) {
	var r catalog.Record
	var final string
	if err := row.Scan(&r.UID, &r.Ref, &r.LocationID, &final); err != nil {
		return r, err
	}
	r.JSON = []byte(final)
	return r, nil
}

// QueryEntities runs a filtered, ordered, keyset- or offset-paged read.
func (s *Store) QueryEntities(ctx context.Context, q catalog.Query) (catalog.Page, error) {
	var page catalog.Page
	if q.Limit < 0 || q.Offset < 0 {
		return page, catalog.Inputf("limit and offset must not be negative")
	}
	if q.After != nil && q.Before != nil {
		return page, catalog.Inputf("a query cannot page both after and before a position")
	}
	var a args
	where := []string{"(" + whereFilter(&a, q.Filter) + ")"}
	if q.FullText != nil {
		where = append(where, "("+fullTextSQL(&a, q.FullText)+")")
	}
	countWhere, countArgs := strings.Join(where, " AND "), slices.Clone(a)
	var ord *catalog.Order
	valExpr := "NULL::text"
	if len(q.Order) > 0 && strings.TrimSpace(q.Order[0].Field) != "" {
		ord = &q.Order[0]
		valExpr = orderExpr(&a, *ord)
		if q.ExcludeMissingOrder {
			where = append(where, valExpr+" IS NOT NULL")
		}
	}
	baseWhere := strings.Join(where, " AND ")
	baseArgs := slices.Clone(a)
	if q.ExcludeMissingOrder {
		countWhere, countArgs = baseWhere, baseArgs
	}

	if q.CountTotal {
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM entities WHERE "+countWhere, countArgs...).Scan(&page.TotalItems); err != nil {
			return page, fmt.Errorf("postgres: count entities: %w", err)
		}
	}

	k := keyset{val: valExpr, ord: ord}
	backward := q.Before != nil
	pageWhere := baseWhere
	switch {
	case q.After != nil:
		pageWhere += " AND " + k.beyond(&a, *q.After, true)
	case q.Before != nil:
		pageWhere += " AND " + k.beyond(&a, *q.Before, false)
	}
	sqlText := "SELECT " + recordCols + ", " + valExpr + " FROM entities WHERE " + pageWhere + " ORDER BY " + k.orderBy(backward)
	if q.Limit > 0 {
		sqlText += " LIMIT " + a.add(q.Limit+1)
	}
	if q.Offset > 0 {
		sqlText += " OFFSET " + a.add(q.Offset)
	}
	rows, err := s.pool.Query(ctx, sqlText, a...)
	if err != nil {
		return page, fmt.Errorf("postgres: query entities: %w", err)
	}
	var positions []catalog.Position
	for rows.Next() {
		var r catalog.Record
		var final string
		var val *string
		if err := rows.Scan(&r.UID, &r.Ref, &r.LocationID, &final, &val); err != nil {
			rows.Close()
			return page, fmt.Errorf("postgres: query entities: %w", err)
		}
		r.JSON = []byte(final)
		p := catalog.Position{Ref: r.Ref}
		if ord != nil {
			if val == nil {
				p.Missing = true
			} else {
				p.Value = *val
			}
		}
		page.Items = append(page.Items, r)
		positions = append(positions, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("postgres: query entities: %w", err)
	}
	extra := q.Limit > 0 && len(page.Items) > q.Limit
	if extra {
		page.Items = page.Items[:q.Limit]
		positions = positions[:q.Limit]
	}
	if backward {
		slices.Reverse(page.Items)
		slices.Reverse(positions)
	}
	if len(page.Items) == 0 {
		// Nothing here: say whether anything lies on the far side of the cursor.
		switch {
		case q.After != nil:
			page.HasPrev, err = s.exists(ctx, baseWhere, baseArgs, k, *q.After, false, true)
		case q.Before != nil:
			page.HasMore, err = s.exists(ctx, baseWhere, baseArgs, k, *q.Before, true, true)
		default:
			page.HasPrev = q.Offset > 0 && page.TotalItems > 0
		}
		return page, err
	}
	first, last := positions[0], positions[len(positions)-1]
	page.First, page.Last = &first, &last
	if backward {
		page.HasPrev = extra || q.Offset > 0
		page.HasMore, err = s.exists(ctx, baseWhere, baseArgs, k, last, true, false)
	} else {
		page.HasMore = extra
		switch {
		case q.Offset > 0:
			page.HasPrev = true
		case q.After != nil:
			page.HasPrev, err = s.exists(ctx, baseWhere, baseArgs, k, first, false, false)
		}
	}
	return page, err
}

// exists reports whether a matching entity lies after (or before) p in query
// order; inclusive also counts p's own entity.
func (s *Store) exists(ctx context.Context, where string, base args, k keyset, p catalog.Position, after, inclusive bool) (bool, error) {
	// k.val's parameters were added before base was taken, so they are valid here.
	a := slices.Clone(base)
	cond := k.beyond(&a, p, after)
	if inclusive {
		cond = "(" + cond + " OR ref = " + a.add(p.Ref) + ")"
	}
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM entities WHERE "+where+" AND "+cond+")", a...).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("postgres: query entities: page bounds: %w", err)
	}
	return ok, nil
}

// keyset is the total query order: entities having the order value first,
// by value (asc or desc), then those lacking it; the canonical ref breaks
// ties, always ascending.
type keyset struct {
	val string // SQL expression of the sort value
	ord *catalog.Order
}

func (k keyset) desc() bool { return k.ord != nil && k.ord.Desc }

func (k keyset) orderBy(reverse bool) string {
	dir := func(desc bool) string {
		if desc != reverse {
			return " DESC"
		}
		return " ASC"
	}
	if k.ord == nil {
		return "ref" + dir(false)
	}
	return "(" + k.val + ") IS NULL" + dir(false) + ", " + k.val + dir(k.desc()) + ", ref" + dir(false)
}

// beyond is the condition "strictly after p" (after=true) or "strictly
// before p" in query order.
func (k keyset) beyond(a *args, p catalog.Position, after bool) string {
	refOp, valOp := ">", ">"
	if !after {
		refOp = "<"
	}
	if k.desc() == after {
		valOp = "<"
	}
	if k.ord == nil {
		return "ref " + refOp + " " + a.add(p.Ref)
	}
	r := a.add(p.Ref)
	if p.Missing {
		if after {
			return "(" + k.val + " IS NULL AND ref " + refOp + " " + r + ")"
		}
		return "(" + k.val + " IS NOT NULL OR ref " + refOp + " " + r + ")"
	}
	v := a.add(p.Value)
	cmp := "(" + k.val + " " + valOp + " " + v + "::text COLLATE \"C\" OR (" + k.val + " = " + v + "::text AND ref " + refOp + " " + r + "))"
	if after {
		return "(" + k.val + " IS NULL OR " + cmp + ")"
	}
	return "(" + k.val + " IS NOT NULL AND " + cmp + ")"
}

// Facets counts, for each key, the entities matching f per lower-cased
// value, reported in an original spelling (the smallest, byte-wise), sorted by
// count desc then value. Keys are matched case-insensitively and the result
// is keyed by the key as given; every key is present.
func (s *Store) Facets(ctx context.Context, f catalog.Filter, keys []string) (map[string][]catalog.FacetCount, error) {
	out := make(map[string][]catalog.FacetCount, len(keys))
	for _, key := range keys {
		var a args
		where := whereFilter(&a, f)
		kp := a.add(strings.ToLower(strings.TrimSpace(key)) + sep)
		q := `SELECT substr(t, length(` + kp + `::text) + 1),
				min(coalesce(e.originals->>t, substr(t, length(` + kp + `::text) + 1)) COLLATE "C"), count(*)
			FROM entities e, unnest(e.tokens) t
			WHERE (` + where + `) AND starts_with(t, ` + kp + `::text)
			GROUP BY t`
		if col, ok := sortColumns[strings.ToLower(strings.TrimSpace(key))]; ok {
			// Entities whose sort keys are single-valued hold the value in
			// the column: group by it; only the others unnest their tokens.
			orig := "orig_" + strings.TrimPrefix(col, "sort_")
			q = `SELECT v, min(o COLLATE "C"), sum(n)::bigint FROM (
				SELECT ` + col + ` AS v, min(coalesce(` + orig + `, ` + col + `) COLLATE "C") AS o, count(*) AS n
				FROM entities WHERE (` + where + `) AND ` + col + ` IS NOT NULL AND NOT sort_multi GROUP BY 1
				UNION ALL
				SELECT substr(t, length(` + kp + `::text) + 1) COLLATE "C", min(coalesce(e.originals->>t, substr(t, length(` + kp + `::text) + 1)) COLLATE "C"), count(*)
				FROM entities e, unnest(e.tokens) t
				WHERE e.sort_multi AND (` + where + `) AND starts_with(t, ` + kp + `::text) GROUP BY t
			) f GROUP BY v`
		}
		rows, err := s.pool.Query(ctx, q, a...)
		if err != nil {
			return nil, fmt.Errorf("postgres: facets %s: %w", key, err)
		}
		type facet struct {
			lower string
			catalog.FacetCount
		}
		var fs []facet
		for rows.Next() {
			var fc facet
			if err := rows.Scan(&fc.lower, &fc.Value, &fc.Count); err != nil {
				rows.Close()
				return nil, fmt.Errorf("postgres: facets %s: %w", key, err)
			}
			fs = append(fs, fc)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgres: facets %s: %w", key, err)
		}
		sort.Slice(fs, func(i, j int) bool {
			if fs[i].Count != fs[j].Count {
				return fs[i].Count > fs[j].Count
			}
			return fs[i].lower < fs[j].lower
		})
		counts := make([]catalog.FacetCount, len(fs))
		for i, fc := range fs {
			counts[i] = fc.FacetCount
		}
		out[key] = counts
	}
	return out, nil
}
