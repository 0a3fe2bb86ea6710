-- Migration 4: recently changed entities (Store.RecentlyChanged).
-- updated_at is the time the entity's final JSON last changed: an apply that
-- rewrites a row with the same final JSON (a new input hash, a move to
-- another location) keeps the previous time. (Migration 3 is intentionally
-- unused: the number is shared with the embedded store's schema.)
CREATE FUNCTION entities_keep_changed_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.final::text = OLD.final::text THEN
        NEW.updated_at := OLD.updated_at;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER entities_changed_at BEFORE UPDATE OF updated_at ON entities
    FOR EACH ROW EXECUTE FUNCTION entities_keep_changed_at();
-- Newest first, and the two health lists (small partial indexes).
CREATE INDEX entities_recent ON entities (updated_at DESC, id DESC);
CREATE INDEX entities_recent_errors ON entities (updated_at DESC, id DESC) WHERE errors <> '';
CREATE INDEX entities_recent_orphans ON entities (updated_at DESC, id DESC) WHERE orphan;
