-- Portico catalog, PostgreSQL store: initial schema.
-- Every table lives in the store's own schema (search_path is set per
-- connection), so several catalogs can share one database.

CREATE TABLE locations (
    id           text PRIMARY KEY,
    type         text NOT NULL,
    target       text NOT NULL,
    entity_ref   text NOT NULL,
    origin       text NOT NULL DEFAULT 'api',
    rules        jsonb,                       -- NULL = the global rules
    errors       jsonb NOT NULL DEFAULT '[]',
    refreshed_at timestamptz,
    next_refresh timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (type, target)
);
CREATE INDEX locations_next_refresh ON locations (next_refresh);

-- entities holds one row per entity: the processed body, the stitched final
-- JSON served by the API (json, not jsonb, so the bytes come back exactly as
-- written) and the flattened filter tokens ("key" and "key<US>value").
CREATE TABLE entities (
    id             bigserial PRIMARY KEY,
    uid            uuid NOT NULL UNIQUE,
    ref            text COLLATE "C" NOT NULL UNIQUE,
    kind           text NOT NULL,
    namespace      text NOT NULL,
    name           text NOT NULL,
    location_id    text NOT NULL DEFAULT '',
    parent_ref     text NOT NULL DEFAULT '',
    source_key     text NOT NULL DEFAULT '',
    hash           text NOT NULL DEFAULT '',
    body           json NOT NULL,
    final          json NOT NULL,
    errors         text NOT NULL DEFAULT '', -- catalog.EncodeErrors form, '' when none
    orphan         boolean NOT NULL DEFAULT false,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    tokens         text[] NOT NULL,
    originals      jsonb,                    -- token -> original spelling, where it differs
    sort_name      text COLLATE "C",
    sort_title     text COLLATE "C",
    sort_kind      text COLLATE "C",
    sort_type      text COLLATE "C",
    sort_owner     text COLLATE "C",
    sort_lifecycle text COLLATE "C",
    -- the original spelling of each sort_* value where it differs from the
    -- lower-cased one, and whether any of those keys has several values:
    -- facets on these keys group by the column instead of unnesting tokens.
    orig_name      text,
    orig_title     text,
    orig_kind      text,
    orig_type      text,
    orig_owner     text,
    orig_lifecycle text,
    sort_multi     boolean NOT NULL DEFAULT false
);
CREATE INDEX entities_tokens ON entities USING gin (tokens);
CREATE INDEX entities_location ON entities (location_id);
CREATE INDEX entities_parent ON entities (parent_ref);
CREATE INDEX entities_errors ON entities (id) WHERE errors <> '';
CREATE INDEX entities_orphan ON entities (orphan) WHERE orphan;
CREATE INDEX entities_sort_name ON entities (sort_name, ref) INCLUDE (orig_name, sort_multi);
CREATE INDEX entities_sort_title ON entities (sort_title, ref) INCLUDE (orig_title, sort_multi);
CREATE INDEX entities_sort_kind ON entities (sort_kind, ref) INCLUDE (orig_kind, sort_multi);
CREATE INDEX entities_sort_type ON entities (sort_type, ref) INCLUDE (orig_type, sort_multi);
CREATE INDEX entities_sort_owner ON entities (sort_owner, ref) INCLUDE (orig_owner, sort_multi);
CREATE INDEX entities_sort_lifecycle ON entities (sort_lifecycle, ref) INCLUDE (orig_lifecycle, sort_multi);

-- relations are the rows an entity originated (both directions of each of its
-- references); a final entity carries every row whose source is its ref.
-- No foreign key: the store deletes an originator's rows itself (it needs
-- them to re-stitch peers), and a per-row RI trigger would slow bulk COPY.
CREATE TABLE relations (
    originator_id bigint NOT NULL,
    source_ref    text COLLATE "C" NOT NULL,
    type          text NOT NULL,
    target_ref    text COLLATE "C" NOT NULL
);
CREATE INDEX relations_originator ON relations (originator_id);
CREATE INDEX relations_source ON relations (source_ref);
CREATE INDEX relations_target ON relations (target_ref);

CREATE TABLE kv (
    ns    text NOT NULL,
    key   text COLLATE "C" NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (ns, key)
);
