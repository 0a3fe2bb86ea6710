package catalog

import "time"

// RecentQuery asks Store.RecentlyChanged for the entities whose final JSON
// changed last, newest first.
type RecentQuery struct {
	// Filter narrows the answer like every read (the reader's permission
	// condition included).
	Filter Filter
	// Limit caps the answer: 0 means DefaultRecentLimit, more than
	// MaxRecentLimit is an InputError.
	Limit int
	// Only keeps entities with processing errors (RecentWithErrors) or
	// orphans (RecentOrphans); RecentAll keeps every entity.
	Only RecentOnly
}

// RecentOnly restricts RecentlyChanged to a health problem.
type RecentOnly int

const (
	RecentAll RecentOnly = iota
	RecentWithErrors
	RecentOrphans
)

// Limits of RecentQuery.Limit.
const (
	DefaultRecentLimit = 20
	MaxRecentLimit     = 500
)

// RecentChange is one entity as RecentlyChanged lists it.
type RecentChange struct {
	Ref   string // canonical
	Kind  string // as written in the entity
	Title string // metadata.title, "" when unset
	// ChangedAt is when the entity's final JSON (body, relations or status)
	// last changed; a refresh that writes the same JSON leaves it alone.
	ChangedAt time.Time
	Orphan    bool
	// Errors are the entity's processing errors (empty when healthy).
	Errors []ProcessingError
}

// Check validates the query and returns the limit to apply.
func (q RecentQuery) Check() (int, error) {
	switch {
	case q.Limit < 0 || q.Limit > MaxRecentLimit:
		return 0, Inputf("recent changes: limit must be between 0 and %d, got %d", MaxRecentLimit, q.Limit)
	case q.Only < RecentAll || q.Only > RecentOrphans:
		return 0, Inputf("recent changes: unknown restriction %d", q.Only)
	case q.Limit == 0:
		return DefaultRecentLimit, nil
	}
	return q.Limit, nil
}
