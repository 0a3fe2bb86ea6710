package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico-dev/portico/catalog"
)

const locationCols = "id, type, target, entity_ref, origin, rules, errors, refreshed_at, next_refresh"

func scanLocation(row pgx.Row) (catalog.Location, error) {
	var l catalog.Location
	var rules, errs []byte
	var refreshed *time.Time
	if err := row.Scan(&l.ID, &l.Type, &l.Target, &l.EntityRef, &l.Origin, &rules, &errs, &refreshed, &l.NextRefresh); err != nil {
		return l, err
	}
	if rules != nil {
		if err := json.Unmarshal(rules, &l.Rules); err != nil {
			return l, fmt.Errorf("decode rules of location %s: %w", l.ID, err)
		}
	}
	if len(errs) > 0 {
		if err := json.Unmarshal(errs, &l.Errors); err != nil {
			return l, fmt.Errorf("decode errors of location %s: %w", l.ID, err)
		}
		if len(l.Errors) == 0 {
			l.Errors = nil
		}
	}
	if refreshed != nil {
		l.RefreshedAt = *refreshed
	}
	return l, nil
}

func locationArgs(l catalog.Location) (rules, errs any, err error) {
	if l.Rules != nil {
		b, err := json.Marshal(l.Rules)
		if err != nil {
			return nil, nil, fmt.Errorf("encode location rules: %w", err)
		}
		rules = string(b)
	}
	pe := l.Errors
	if pe == nil {
		pe = []catalog.ProcessingError{}
	}
	b, err := json.Marshal(pe)
	if err != nil {
		return nil, nil, fmt.Errorf("encode location errors: %w", err)
	}
	return rules, string(b), nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// AddLocation registers a location. The id is generated when empty, the
// entity ref derived from type and target when empty, and the first refresh
// is due immediately unless NextRefresh says otherwise.
func (s *Store) AddLocation(ctx context.Context, l catalog.Location) (catalog.Location, error) {
	if strings.TrimSpace(l.Type) == "" || strings.TrimSpace(l.Target) == "" {
		return l, catalog.Inputf("A location needs a type and a target")
	}
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	if l.EntityRef == "" {
		l.EntityRef = catalog.GeneratedLocationRef(l.Type, l.Target)
	}
	if l.Origin == "" {
		l.Origin = "api"
	}
	if l.NextRefresh.IsZero() {
		l.NextRefresh = time.Now()
	}
	rules, errs, err := locationArgs(l)
	if err != nil {
		return l, err
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO locations (id, type, target, entity_ref, origin, rules, errors, refreshed_at, next_refresh)
		VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9) RETURNING `+locationCols,
		l.ID, l.Type, l.Target, l.EntityRef, l.Origin, rules, errs, nullTime(l.RefreshedAt), l.NextRefresh)
	out, err := scanLocation(row)
	if isUniqueViolation(err) {
		return l, catalog.Conflictf("Location %s:%s already exists", l.Type, l.Target)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: add location %s:%s: %w", l.Type, l.Target, err)
	}
	return out, nil
}

// Location returns one registered location.
func (s *Store) Location(ctx context.Context, id string) (catalog.Location, error) {
	l, err := scanLocation(s.pool.QueryRow(ctx, `SELECT `+locationCols+` FROM locations WHERE id = $1`, id))
	if isNoRows(err) {
		return l, catalog.NotFoundf("Found no location with ID %s", id)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: location %s: %w", id, err)
	}
	return l, nil
}

// Locations returns every registered location, oldest first.
func (s *Store) Locations(ctx context.Context) ([]catalog.Location, error) {
	return s.queryLocations(ctx, `SELECT `+locationCols+` FROM locations ORDER BY created_at, id`)
}

func (s *Store) queryLocations(ctx context.Context, q string, a ...any) ([]catalog.Location, error) {
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("postgres: locations: %w", err)
	}
	defer rows.Close()
	out := []catalog.Location{}
	for rows.Next() {
		l, err := scanLocation(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: locations: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: locations: %w", err)
	}
	return out, nil
}

// UpdateLocation replaces a location's type, target, origin, rules, errors
// and refresh times. Changing type or target re-derives the entity ref.
func (s *Store) UpdateLocation(ctx context.Context, l catalog.Location) (catalog.Location, error) {
	if strings.TrimSpace(l.Type) == "" || strings.TrimSpace(l.Target) == "" {
		return l, catalog.Inputf("A location needs a type and a target")
	}
	cur, err := s.Location(ctx, l.ID)
	if err != nil {
		return l, err
	}
	if l.EntityRef == "" || l.Type != cur.Type || l.Target != cur.Target {
		l.EntityRef = catalog.GeneratedLocationRef(l.Type, l.Target)
	}
	if l.Origin == "" {
		l.Origin = cur.Origin
	}
	if l.NextRefresh.IsZero() {
		l.NextRefresh = cur.NextRefresh
	}
	rules, errs, err := locationArgs(l)
	if err != nil {
		return l, err
	}
	row := s.pool.QueryRow(ctx, `UPDATE locations SET type = $2, target = $3, entity_ref = $4, origin = $5,
		rules = $6::jsonb, errors = $7::jsonb, refreshed_at = $8, next_refresh = $9
		WHERE id = $1 RETURNING `+locationCols,
		l.ID, l.Type, l.Target, l.EntityRef, l.Origin, rules, errs, nullTime(l.RefreshedAt), l.NextRefresh)
	out, err := scanLocation(row)
	switch {
	case isUniqueViolation(err):
		return l, catalog.Conflictf("Location %s:%s already exists", l.Type, l.Target)
	case isNoRows(err):
		return l, catalog.NotFoundf("Found no location with ID %s", l.ID)
	case err != nil:
		return l, fmt.Errorf("postgres: update location %s: %w", l.ID, err)
	}
	return out, nil
}

// LocationByEntity returns the registered location that produced ref.
func (s *Store) LocationByEntity(ctx context.Context, ref string) (catalog.Location, error) {
	ref = strings.ToLower(ref)
	l, err := scanLocation(s.pool.QueryRow(ctx, `SELECT `+prefixed("l.", locationCols)+`
		FROM entities e JOIN locations l ON l.id = e.location_id WHERE e.ref = $1`, ref))
	if isNoRows(err) {
		return l, catalog.NotFoundf("No location found for entity %s", ref)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: location of entity %s: %w", ref, err)
	}
	return l, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// LocationsDue returns locations whose next refresh is at or before now,
// most overdue first, at most limit of them (0 = all).
func (s *Store) LocationsDue(ctx context.Context, now time.Time, limit int) ([]catalog.Location, error) {
	q := `SELECT ` + locationCols + ` FROM locations WHERE next_refresh <= $1 ORDER BY next_refresh, id`
	a := []any{now}
	if limit > 0 {
		q += ` LIMIT $2`
		a = append(a, limit)
	}
	return s.queryLocations(ctx, q, a...)
}

// ScheduleRefresh sets a location's next refresh time.
func (s *Store) ScheduleRefresh(ctx context.Context, locationID string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE locations SET next_refresh = $2 WHERE id = $1`, locationID, at)
	if err != nil {
		return fmt.Errorf("postgres: schedule refresh of %s: %w", locationID, err)
	}
	if tag.RowsAffected() == 0 {
		return catalog.NotFoundf("Found no location with ID %s", locationID)
	}
	return nil
}
