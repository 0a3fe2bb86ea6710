-- Migration 7: what each replica needs to keep its in-memory index (the
-- embedded store's postings index) in step with the database. (5 and 6 are
-- the embedded store's; the numbers are shared.)
--
-- Every catalog write transaction holds the apply lock and first bumps
-- catalog_version.v (Store.bumpVersion), publishing the new version in the
-- transaction-local setting portico.version. The triggers below stamp every
-- row it inserts or updates with that version and log every row it deletes
-- under it, so "what changed since version n" is two indexed reads. A write
-- that forgot to bump fails here (the setting is unset or empty) instead of
-- going unseen by the replicas.
-- (A row trigger rather than a column default: updates need the stamp too.)
CREATE TABLE catalog_version (
    one     boolean PRIMARY KEY DEFAULT true CHECK (one),
    v       bigint NOT NULL,
    -- deletions logged at or below this version may have been trimmed: a
    -- replica whose index is older reloads it whole.
    trimmed bigint NOT NULL DEFAULT 0
);
INSERT INTO catalog_version (v) VALUES (1);

ALTER TABLE entities ADD COLUMN version bigint NOT NULL DEFAULT 1;
CREATE INDEX entities_version ON entities (version);

CREATE TABLE entity_deletions (
    version bigint NOT NULL,
    id      bigint NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX entity_deletions_version ON entity_deletions (version);

CREATE FUNCTION catalog_write_version() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v text := current_setting('portico.version', true);
BEGIN
    IF v IS NULL OR v = '' THEN
        RAISE EXCEPTION 'portico.version is not set: entity rows are written only in a transaction that bumped catalog_version (postgres.bumpVersion)';
    END IF;
    RETURN v::bigint;
END;
$$;
CREATE FUNCTION entities_stamp_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := catalog_write_version();
    RETURN NEW;
END;
$$;
CREATE TRIGGER entities_version BEFORE INSERT OR UPDATE ON entities
    FOR EACH ROW EXECUTE FUNCTION entities_stamp_version();

CREATE FUNCTION entities_log_deletions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO entity_deletions (version, id)
    SELECT catalog_write_version(), id FROM gone;
    RETURN NULL;
END;
$$;
CREATE TRIGGER entities_deleted AFTER DELETE ON entities
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION entities_log_deletions();
