-- Schema version 8: the recently-changed indexes in ascending order, on
-- updated_at alone (every index ends with the rowid, which id is).
-- ORDER BY updated_at DESC, id DESC reads them backwards just as well, and
-- an apply writes its rows with one updated_at and increasing ids: in
-- ascending order each goes to the right edge of the B-tree, where SQLite
-- appends, instead of to the front of its run, which split a page there
-- again and again and left the pages half full.
DROP INDEX entities_recent;
DROP INDEX entities_recent_errors;
DROP INDEX entities_recent_orphans;
CREATE INDEX entities_recent ON entities (updated_at);
CREATE INDEX entities_recent_errors ON entities (updated_at) WHERE errors != '';
CREATE INDEX entities_recent_orphans ON entities (updated_at) WHERE orphan != 0;
