-- Schema version 3: the search outbox. Triggers record every change of an
-- entity's final JSON (and every delete) in the same transaction as the write,
-- so the search index can catch up after a restart or an outage of its
-- backend. One row per ref: a newer change replaces the pending one and takes
-- a new, larger seq (AUTOINCREMENT never reuses a seq).
CREATE TABLE search_outbox (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	ref     TEXT NOT NULL UNIQUE,
	deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER search_outbox_insert AFTER INSERT ON entities BEGIN
	DELETE FROM search_outbox WHERE ref = NEW.ref;
	INSERT INTO search_outbox (ref, deleted) VALUES (NEW.ref, 0);
END;
CREATE TRIGGER search_outbox_update AFTER UPDATE OF final ON entities WHEN OLD.final IS NOT NEW.final BEGIN
	DELETE FROM search_outbox WHERE ref = NEW.ref;
	INSERT INTO search_outbox (ref, deleted) VALUES (NEW.ref, 0);
END;
CREATE TRIGGER search_outbox_delete AFTER DELETE ON entities BEGIN
	DELETE FROM search_outbox WHERE ref = OLD.ref;
	INSERT INTO search_outbox (ref, deleted) VALUES (OLD.ref, 1);
END;
