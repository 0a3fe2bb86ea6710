package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/portico-dev/portico/catalog"
	"github.com/portico-dev/portico/catalog/internal/postings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DefaultSchema is the PostgreSQL schema the store uses unless WithSchema says otherwise.
const DefaultSchema = "portico"

// Store is the PostgreSQL catalog store. It is safe for concurrent use and
// for several processes (replicas) sharing one database and schema.
type Store struct {
	pool    *pgxpool.Pool
	schema  string
	channel string // LISTEN/NOTIFY channel for this schema's changes
	log     *slog.Logger

	beforeWrite  func()       // test hook: runs in Apply after stitching, before the bulk writes
	beforeCommit func() error // test hook: runs in Apply after every write, before the commit

	idx *indexState // lists, counts and facets (index.go)
}

// Option configures Open.
type Option func(*options) error

type options struct {
	schema   string
	log      *slog.Logger
	maxConns int32
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// WithSchema selects the PostgreSQL schema holding the catalog (created if
// absent). Names are lower-case identifiers: [a-z_][a-z0-9_]*.
func WithSchema(name string) Option {
	return func(o *options) error {
		if !schemaName.MatchString(name) {
			return fmt.Errorf("postgres: invalid schema name %q (want [a-z_][a-z0-9_]*, at most 63 characters)", name)
		}
		o.schema = name
		return nil
	}
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.log = l; return nil }
}

// WithMaxConns caps the connection pool (default: pgxpool's default). An
// apply catches the index up on a second connection while its transaction
// holds one, so the cap is at least 2 (the change feed's listening
// connection leaves the pool and does not count).
func WithMaxConns(n int32) Option {
	return func(o *options) error {
		if n < 2 {
			return fmt.Errorf("postgres: max conns must be at least 2 (a write transaction and the index catch-up beside it), got %d", n)
		}
		o.maxConns = n
		return nil
	}
}

// Open connects to url (a postgres:// URL or DSN), creates the schema when
// needed and applies pending migrations. Several replicas may call Open at
// once: migrations run in one transaction under an advisory lock.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{schema: DefaultSchema, log: slog.Default()}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse database url: %w", err)
	}
	// Every connection resolves unqualified names in the catalog's schema.
	cfg.ConnConfig.RuntimeParams["search_path"] = o.schema
	if o.maxConns > 0 {
		cfg.MaxConns = o.maxConns
	}
	if cfg.MaxConns < 2 { // pool_max_conns in the URL
		return nil, fmt.Errorf("postgres: max conns must be at least 2 (a write transaction and the index catch-up beside it), got %d", cfg.MaxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool, schema: o.schema, channel: channelName(o.schema), log: o.log,
		idx: &indexState{ix: postings.New(), done: make(chan struct{})}}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if err := s.syncIndex(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	fctx, cancel := context.WithCancel(context.Background())
	s.idx.cancel = cancel
	go s.followChanges(fctx)
	return s, nil
}

// channelName is the NOTIFY channel: portico_catalog for the default schema,
// portico_catalog_<schema> otherwise, so catalogs sharing a database do not
// hear each other.
func channelName(schema string) string {
	if schema == DefaultSchema {
		return "portico_catalog"
	}
	return "portico_catalog_" + schema
}

// Schema returns the PostgreSQL schema this store uses.
func (s *Store) Schema() string { return s.schema }

// Pool exposes the connection pool for operational tooling and tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops following other replicas' writes and releases the pool.
func (s *Store) Close() error {
	s.idx.cancel()
	<-s.idx.done
	s.pool.Close()
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("postgres: read embedded migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("postgres: migration %s: name must start with <version>_", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("postgres: read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies pending migrations in one transaction. The transaction
// first takes an advisory lock keyed by the schema, so concurrent starts
// serialise and the second one finds nothing left to do.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('portico.migrate.' || $1))`, s.schema); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: migrate: create schema %s: %w", s.schema, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrate: create schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("postgres: migrate: read version: %w", err)
	}
	if latest := ms[len(ms)-1].version; current > latest {
		return fmt.Errorf("postgres: schema %s is at migration %d, newer than this binary knows (%d): upgrade Portico", s.schema, current, latest)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("postgres: record migration %s: %w", m.name, err)
		}
		s.log.Info("catalog migration applied", "schema", s.schema, "migration", m.name)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: commit: %w", err)
	}
	return nil
}

// isNoRows reports pgx's no-rows error.
func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

var _ catalog.Store = (*Store)(nil)
