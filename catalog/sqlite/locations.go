package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-dev/portico/catalog"
)

const locationCols = "id, type, target, entity_ref, origin, rules, errors, refreshed_at, next_refresh"

type scanner interface{ Scan(...any) error }

func scanLocation(sc scanner) (catalog.Location, error) {
	var l catalog.Location
	var rules, errs string
	var refreshed, next int64
	if err := sc.Scan(&l.ID, &l.Type, &l.Target, &l.EntityRef, &l.Origin, &rules, &errs, &refreshed, &next); err != nil {
		return l, err
	}
	if rules != "" {
		l.Rules = strings.Split(rules, ",")
	}
	var err error
	if l.Errors, err = catalog.DecodeErrors(errs); err != nil {
		return l, err
	}
	if refreshed != 0 {
		l.RefreshedAt = time.UnixMilli(refreshed).UTC()
	}
	if next != 0 {
		l.NextRefresh = time.UnixMilli(next).UTC()
	}
	return l, nil
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// AddLocation registers a location; ConflictError if type+target exists.
func (s *Store) AddLocation(ctx context.Context, l catalog.Location) (catalog.Location, error) {
	if l.Type == "" || l.Target == "" {
		return l, catalog.Inputf("a location needs a type and a target")
	}
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	l.EntityRef = catalog.GeneratedLocationRef(l.Type, l.Target)
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var exists int
	err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM locations WHERE (type = ? AND target = ?) OR id = ?", l.Type, l.Target, l.ID).Scan(&exists)
	if err != nil {
		return l, fmt.Errorf("sqlite store: add location: %w", err)
	}
	if exists > 0 {
		return l, catalog.Conflictf("Location %s:%s already exists", l.Type, l.Target)
	}
	_, err = s.w.ExecContext(ctx, "INSERT INTO locations ("+locationCols+") VALUES (?,?,?,?,?,?,?,?,?)",
		l.ID, l.Type, l.Target, l.EntityRef, l.Origin, strings.Join(l.Rules, ","), catalog.EncodeErrors(l.Errors), millis(l.RefreshedAt), millis(l.NextRefresh))
	if err != nil {
		return l, fmt.Errorf("sqlite store: add location %s:%s: %w", l.Type, l.Target, err)
	}
	return l, nil
}

// Location returns one location.
func (s *Store) Location(ctx context.Context, id string) (catalog.Location, error) {
	l, err := scanLocation(s.r.QueryRowContext(ctx, "SELECT "+locationCols+" FROM locations WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, catalog.NotFoundf("Found no location with ID %s", id)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite store: location %s: %w", id, err)
	}
	return l, nil
}

func (s *Store) queryLocations(ctx context.Context, db *sql.DB, q string, args ...any) ([]catalog.Location, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: locations: %w", err)
	}
	defer rows.Close()
	out := []catalog.Location{}
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite store: locations: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite store: locations: %w", err)
	}
	return out, nil
}

// Locations lists every location by type and target.
func (s *Store) Locations(ctx context.Context) ([]catalog.Location, error) {
	return s.queryLocations(ctx, s.r, "SELECT "+locationCols+" FROM locations ORDER BY type, target")
}

// UpdateLocation changes a location's type, target, origin and rules.
func (s *Store) UpdateLocation(ctx context.Context, l catalog.Location) (catalog.Location, error) {
	if l.Type == "" || l.Target == "" {
		return l, catalog.Inputf("a location needs a type and a target")
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	cur, err := scanLocation(s.w.QueryRowContext(ctx, "SELECT "+locationCols+" FROM locations WHERE id = ?", l.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return l, catalog.NotFoundf("Found no location with ID %s", l.ID)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite store: update location %s: %w", l.ID, err)
	}
	var clash int
	if err := s.w.QueryRowContext(ctx, "SELECT count(*) FROM locations WHERE type = ? AND target = ? AND id != ?", l.Type, l.Target, l.ID).Scan(&clash); err != nil {
		return l, fmt.Errorf("sqlite store: update location %s: %w", l.ID, err)
	}
	if clash > 0 {
		return l, catalog.Conflictf("Location %s:%s already exists", l.Type, l.Target)
	}
	cur.Type, cur.Target, cur.EntityRef = l.Type, l.Target, catalog.GeneratedLocationRef(l.Type, l.Target)
	if l.Origin != "" {
		cur.Origin = l.Origin
	}
	if l.Rules != nil {
		cur.Rules = l.Rules
	}
	_, err = s.w.ExecContext(ctx, "UPDATE locations SET type = ?, target = ?, entity_ref = ?, origin = ?, rules = ? WHERE id = ?",
		cur.Type, cur.Target, cur.EntityRef, cur.Origin, strings.Join(cur.Rules, ","), cur.ID)
	if err != nil {
		return l, fmt.Errorf("sqlite store: update location %s: %w", l.ID, err)
	}
	return cur, nil
}

// LocationByEntity returns the location that produced ref.
func (s *Store) LocationByEntity(ctx context.Context, ref string) (catalog.Location, error) {
	canon, err := canonicalRef(ref)
	if err != nil {
		return catalog.Location{}, err
	}
	l, err := scanLocation(s.r.QueryRowContext(ctx,
		"SELECT "+prefixCols("l.")+" FROM entities e JOIN locations l ON l.id = e.location_id WHERE e.ref = ?", canon))
	if errors.Is(err, sql.ErrNoRows) {
		return l, catalog.NotFoundf("No location found for entity %s", canon)
	}
	if err != nil {
		return l, fmt.Errorf("sqlite store: location of %s: %w", canon, err)
	}
	return l, nil
}

func prefixCols(p string) string {
	cols := strings.Split(locationCols, ", ")
	for i, c := range cols {
		cols[i] = p + c
	}
	return strings.Join(cols, ", ")
}

// LocationsDue returns locations whose next refresh is at or before now, oldest first.
func (s *Store) LocationsDue(ctx context.Context, now time.Time, limit int) ([]catalog.Location, error) {
	if limit <= 0 {
		limit = -1
	}
	return s.queryLocations(ctx, s.r, "SELECT "+locationCols+" FROM locations WHERE next_refresh <= ? ORDER BY next_refresh, id LIMIT ?", now.UnixMilli(), limit)
}

// ScheduleRefresh sets a location's next refresh time.
func (s *Store) ScheduleRefresh(ctx context.Context, locationID string, at time.Time) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.w.ExecContext(ctx, "UPDATE locations SET next_refresh = ? WHERE id = ?", at.UnixMilli(), locationID)
	if err != nil {
		return fmt.Errorf("sqlite store: schedule refresh of %s: %w", locationID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return catalog.NotFoundf("Found no location with ID %s", locationID)
	}
	return nil
}

// Health counts entities, entities with errors, orphans and failing locations.
func (s *Store) Health(ctx context.Context) (catalog.Health, error) {
	var h catalog.Health
	s.ix.RLock()
	h.Entities = s.ix.Len()
	s.ix.RUnlock()
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM entities INDEXED BY entities_with_errors WHERE errors != ''),
		(SELECT count(*) FROM entities INDEXED BY entities_orphans WHERE orphan != 0),
		(SELECT count(*) FROM locations WHERE errors != '')`).Scan(&h.WithErrors, &h.Orphans, &h.LocationsFailing)
	if err != nil {
		return h, fmt.Errorf("sqlite store: health: %w", err)
	}
	return h, nil
}

// KVGet reads one key of a plugin's namespace.
func (s *Store) KVGet(ctx context.Context, ns, key string) ([]byte, bool, error) {
	var v []byte
	err := s.r.QueryRowContext(ctx, "SELECT value FROM kv WHERE ns = ? AND key = ?", ns, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("sqlite store: kv get %s/%s: %w", ns, key, err)
	}
	return v, true, nil
}

// KVSet writes one key.
func (s *Store) KVSet(ctx context.Context, ns, key string, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_, err := s.w.ExecContext(ctx, "INSERT INTO kv (ns, key, value) VALUES (?, ?, ?) ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value", ns, key, value)
	if err != nil {
		return fmt.Errorf("sqlite store: kv set %s/%s: %w", ns, key, err)
	}
	return nil
}

// KVDelete removes one key.
func (s *Store) KVDelete(ctx context.Context, ns, key string) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.w.ExecContext(ctx, "DELETE FROM kv WHERE ns = ? AND key = ?", ns, key); err != nil {
		return fmt.Errorf("sqlite store: kv delete %s/%s: %w", ns, key, err)
	}
	return nil
}

// KVList lists keys of ns starting with prefix (literally), sorted.
func (s *Store) KVList(ctx context.Context, ns, prefix string, limit int) ([]string, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.r.QueryContext(ctx, "SELECT key FROM kv WHERE ns = ? AND instr(key, ?) = 1 ORDER BY key LIMIT ?", ns, prefix, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite store: kv list %s: %w", ns, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite store: kv list %s: %w", ns, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
