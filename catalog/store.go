package catalog

import (
	"context"
	"encoding/json"
	"time"
)

// Store is the catalog's persistence: final (stitched) entities, the relations
// between them, registered locations, processing errors and a small per-plugin
// key-value space. Two implementations exist, catalog/sqlite (embedded, the
// default) and catalog/postgres; catalog/storetest is the conformance suite both
// must pass, and the only definition of behaviour beyond these comments.
//
// Every read takes a Filter that the store evaluates in its own query engine;
// authorization conditions arrive the same way (ANDed into the filter), so a
// store never returns what the caller may not see.
type Store interface {
	// ApplyLocation replaces everything one registered location produced, in one
	// transaction (see Apply). It returns what changed.
	ApplyLocation(ctx context.Context, a Apply) (ApplyResult, error)

	// Entity reads.
	EntityByRef(ctx context.Context, ref string, f Filter) (Record, error) // NotFoundError if absent or filtered out
	EntityByUID(ctx context.Context, uid string, f Filter) (Record, error)
	EntitiesByRefs(ctx context.Context, refs []string, f Filter) ([]*Record, error) // same order; nil where missing
	QueryEntities(ctx context.Context, q Query) (Page, error)
	// Facets counts the values of each key among the entities matching f.
	// The slices may be shared with the store's cache: read them, do not
	// modify them.
	Facets(ctx context.Context, f Filter, keys []string) (map[string][]FacetCount, error)
	Ancestry(ctx context.Context, ref string) ([]AncestryItem, error)
	// Relations returns the relation rows touching ref (as source or target),
	// for the graph and blast-radius views.
	Relations(ctx context.Context, refs []string) ([]RelationRow, error)

	// DeleteEntityByUID removes one entity and the relations it originated.
	// It comes back on the next refresh of its location, as in Backstage.
	DeleteEntityByUID(ctx context.Context, uid string) error

	// Locations: the roots registered by config or the API.
	AddLocation(ctx context.Context, l Location) (Location, error) // ConflictError if type+target exists
	Location(ctx context.Context, id string) (Location, error)
	Locations(ctx context.Context) ([]Location, error)
	UpdateLocation(ctx context.Context, l Location) (Location, error)
	// DeleteLocation removes the location and, per strategy, orphans or deletes
	// every entity it produced.
	DeleteLocation(ctx context.Context, id string, strategy OrphanStrategy) error
	LocationByEntity(ctx context.Context, ref string) (Location, error)
	// LocationsDue returns locations whose next refresh is at or before now.
	LocationsDue(ctx context.Context, now time.Time, limit int) ([]Location, error)
	// ScheduleRefresh sets a location's next refresh time (now = immediately).
	ScheduleRefresh(ctx context.Context, locationID string, at time.Time) error

	// Health counts entities with processing errors and orphans.
	Health(ctx context.Context) (Health, error)
	// RecentlyChanged lists the entities whose final JSON changed last,
	// newest first (ties by newest write), optionally only those with
	// processing errors or orphans: the home page's lists.
	RecentlyChanged(ctx context.Context, q RecentQuery) ([]RecentChange, error)

	// SearchOutbox returns up to limit pending search changes with Seq > after,
	// oldest first. Every write that changes an entity's final JSON, and every
	// delete, records its ref in the outbox in the same transaction; a newer
	// change of a ref replaces its pending one (with a larger Seq).
	SearchOutbox(ctx context.Context, after int64, limit int) ([]SearchChange, error)
	// AckSearchOutbox removes exactly the given changes once the index holds
	// them. A ref changed again since it was read has a new Seq and stays.
	AckSearchOutbox(ctx context.Context, seqs []int64) error

	KV
	Close() error
}

// SearchChange is one pending entry of the search outbox: the entity ref was
// written (re-read it) or Deleted (drop it from the index).
type SearchChange struct {
	Seq     int64  `json:"seq"`
	Ref     string `json:"ref"`
	Deleted bool   `json:"deleted,omitempty"`
}

// KV is a plugin's private key-value space; ns is the plugin name, so one
// plugin never sees another's keys.
type KV interface {
	KVGet(ctx context.Context, ns, key string) (value []byte, ok bool, err error)
	KVSet(ctx context.Context, ns, key string, value []byte) error
	KVDelete(ctx context.Context, ns, key string) error
	KVList(ctx context.Context, ns, prefix string, limit int) ([]string, error)
}

// Record is a stored final entity. JSON is the stitched entity exactly as the
// API serves it (relations and status included, metadata.uid and etag set).
type Record struct {
	UID        string
	Ref        string // canonical, lower-cased
	LocationID string // the registered location that produced it
	JSON       json.RawMessage
}

// Entity decodes the record.
func (r *Record) Entity() (*Entity, error) {
	var e Entity
	if err := json.Unmarshal(r.JSON, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Apply is the result of processing one registered location from scratch.
type Apply struct {
	LocationID string
	// Entities is every entity the location produced, valid or not-quite.
	Entities []Processed
	// Errors are processing errors of the location itself (unreadable files,
	// unparseable documents, unknown kinds without a usable identity). They are
	// stored on the location and shown on its generated Location entity.
	Errors []ProcessingError
	// KeepSources lists source keys (the managed-by-location value of a file or
	// URL) that could not be read or had a document without a usable identity:
	// entities previously read from them are kept as they are, never orphaned.
	KeepSources []string
	// OrphanStrategy says what happens to entities no longer produced.
	OrphanStrategy OrphanStrategy
	// Stream, when set, produces the entities (Entities, Errors and
	// KeepSources stay empty) part by part inside the apply, so a large
	// location is written as it is read and never resident at once. The
	// apply is as atomic as with Entities. See EntityStream.
	Stream EntityStream
}

// Processed is one entity as processing produced it.
type Processed struct {
	// Entity without relations or status; metadata.uid and etag are set by the store.
	Entity *Entity
	// Relations are every relation this entity originates, in both directions:
	// each row's Source is either this entity or the target of its reference
	// (then its Target is this entity). A row with the entity on neither side
	// fails the apply with an InputError.
	Relations []RelationRow
	// Errors are processing errors of this entity; when non-empty and
	// KeepPrevious is set, the stored body is kept and only status changes.
	Errors []ProcessingError
	// KeepPrevious asks the store to keep the stored body (and relations) when
	// one exists: the new document was identified but invalid.
	KeepPrevious bool
	// Parent is the ref of the Location entity that emitted this entity.
	Parent string
	// Hash of the processed input; an unchanged hash means no write.
	Hash string
	// Body, when set, is BodyJSON(Entity) (HashBody computes both), so the
	// store does not encode the entity a second time.
	Body []byte
}

// RelationRow is a directed relation: Source --Type--> Target, both canonical refs.
type RelationRow struct {
	Source string `json:"source"`
	Type   string `json:"type"`
	Target string `json:"target"`
}

// ProcessingError is one error found while processing a location.
type ProcessingError struct {
	Source  string `json:"source"`           // managed-by-location style key, e.g. file:/x/catalog-info.yaml
	Doc     int    `json:"doc"`              // document index in the file, 0-based; -1 for the whole file
	Line    int    `json:"line,omitempty"`   // 1-based line where known
	Field   string `json:"field,omitempty"`  // dotted field path where known
	Entity  string `json:"entity,omitempty"` // canonical ref where known
	Name    string `json:"name"`             // Backstage error name: InputError, NotFoundError, ConflictError...
	Message string `json:"message"`
}

// ApplyResult says what an Apply changed.
type ApplyResult struct {
	Added, Updated, Unchanged, Orphaned, Deleted int
	Conflicts                                    []ProcessingError
}

// OrphanStrategy is catalog.orphanStrategy.
type OrphanStrategy string

const (
	OrphanKeep   OrphanStrategy = "keep"
	OrphanDelete OrphanStrategy = "delete"
)

// Location is a registered root location.
type Location struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Target string `json:"target"`
	// EntityRef is the generated Location entity: location:default/generated-<sha1 of type:target>.
	EntityRef string `json:"entityRef,omitempty"`
	// Origin is "config" for catalog.locations, "api" for registered ones.
	Origin string `json:"-"`
	// Rules restricts the kinds this location may produce (nil = the global rules).
	Rules       []string          `json:"-"`
	Errors      []ProcessingError `json:"-"`
	RefreshedAt time.Time         `json:"-"`
	NextRefresh time.Time         `json:"-"`
}

// Query is a filtered, ordered, paged read of entities.
type Query struct {
	Filter   Filter
	Order    []Order // only the first is used for keyset paging; ref is always the tiebreak
	FullText *FullText
	Limit    int // 0 = no limit
	Offset   int
	// After / Before continue keyset paging from a position returned in a Page.
	After  *Position
	Before *Position
	// CountTotal asks for TotalItems.
	CountTotal bool
	// ExcludeMissingOrder drops entities lacking the first order field
	// (by-query semantics); otherwise they sort last (GET /entities semantics).
	ExcludeMissingOrder bool
}

// Order is one sort key: a dotted field path, compared case-insensitively.
type Order struct {
	Field string
	Desc  bool
}

// FullText is Backstage's fullTextFilter: a case-insensitive substring match
// of Term in any of Fields' values (all indexed values when Fields is empty).
type FullText struct {
	Term   string
	Fields []string
}

// Position is a keyset cursor: the first order field's value (lower-cased;
// empty with Missing for entities lacking it) and the canonical ref.
type Position struct {
	Value   string `json:"v"`
	Missing bool   `json:"m,omitempty"`
	Ref     string `json:"r"`
}

// Page is one page of a Query.
type Page struct {
	Items      []Record
	TotalItems int // set when Query.CountTotal
	// HasMore / HasPrev say whether entities exist after the last / before the
	// first item in query order; First and Last are their positions.
	HasMore, HasPrev bool
	First, Last      *Position
}

// FacetCount is one value of a facet and how many entities have it.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// AncestryItem is one step of an entity's processing ancestry.
type AncestryItem struct {
	Record           Record
	ParentEntityRefs []string
}

// Health summarises catalog data quality.
type Health struct {
	Entities         int
	WithErrors       int
	Orphans          int
	LocationsFailing int
}
