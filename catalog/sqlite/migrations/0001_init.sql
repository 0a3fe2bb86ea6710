-- Portico catalog, embedded store: schema version 1.
CREATE TABLE locations (
	id           TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	target       TEXT NOT NULL,
	entity_ref   TEXT NOT NULL,
	origin       TEXT NOT NULL DEFAULT '',
	rules        TEXT NOT NULL DEFAULT '',
	errors       TEXT NOT NULL DEFAULT '',
	refreshed_at INTEGER NOT NULL DEFAULT 0,
	next_refresh INTEGER NOT NULL DEFAULT 0,
	UNIQUE (type, target)
);
CREATE INDEX locations_next_refresh ON locations (next_refresh);
CREATE INDEX locations_failing ON locations (id) WHERE errors != '';

CREATE TABLE entities (
	id          INTEGER PRIMARY KEY,
	uid         TEXT NOT NULL UNIQUE,
	ref         TEXT NOT NULL UNIQUE,
	kind        TEXT NOT NULL,
	namespace   TEXT NOT NULL,
	name        TEXT NOT NULL,
	location_id TEXT NOT NULL,
	parent_ref  TEXT NOT NULL DEFAULT '',
	source_key  TEXT NOT NULL DEFAULT '',
	hash        TEXT NOT NULL,
	body        TEXT NOT NULL,
	final       TEXT NOT NULL,
	etag        TEXT NOT NULL,
	errors      TEXT NOT NULL DEFAULT '',
	orphan      INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX entities_location ON entities (location_id);
CREATE INDEX entities_with_errors ON entities (id) WHERE errors != '';
CREATE INDEX entities_orphans ON entities (id) WHERE orphan != 0;

-- One row per relation an entity originates; source_ref may be the
-- originator or the target of its reference (both directions are stored).
CREATE TABLE relations (
	originator_id INTEGER NOT NULL,
	source_ref    TEXT NOT NULL,
	type          TEXT NOT NULL,
	target_ref    TEXT NOT NULL
);
CREATE INDEX relations_originator ON relations (originator_id);
CREATE INDEX relations_source ON relations (source_ref);
CREATE INDEX relations_target ON relations (target_ref);

CREATE TABLE kv (
	ns    TEXT NOT NULL,
	key   TEXT NOT NULL,
	value BLOB NOT NULL,
	PRIMARY KEY (ns, key)
) WITHOUT ROWID;
