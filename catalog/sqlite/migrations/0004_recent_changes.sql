-- Schema version 4: recently changed entities (Store.RecentlyChanged).
-- updated_at is the time the entity's final JSON last changed: a write that
-- leaves final as it was (a refresh that only moves the entity to another
-- location, say) puts the previous time back. recursive_triggers is off, so
-- the trigger's own UPDATE does not fire it again.
CREATE TRIGGER entities_changed_at AFTER UPDATE OF updated_at ON entities
WHEN NEW.final IS OLD.final AND NEW.updated_at IS NOT OLD.updated_at BEGIN
	UPDATE entities SET updated_at = OLD.updated_at WHERE id = NEW.id;
END;
-- Newest first, and the two health lists (small partial indexes).
CREATE INDEX entities_recent ON entities (updated_at DESC, id DESC);
CREATE INDEX entities_recent_errors ON entities (updated_at DESC, id DESC) WHERE errors != '';
CREATE INDEX entities_recent_orphans ON entities (updated_at DESC, id DESC) WHERE orphan != 0;
