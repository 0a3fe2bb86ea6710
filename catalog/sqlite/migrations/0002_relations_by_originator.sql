-- Schema version 2: relations keyed by originator, without a rowid.
-- Every relation is stored in both directions (A ownedBy X and X ownerOf A), so
-- the rows whose target is X are found through X's own rows and a target_ref
-- index is redundant. Dropping it and the rowid leaves two B-trees per row
-- instead of four, which is most of the write cost of a large ingest.
CREATE TABLE relations_v2 (
	originator_id INTEGER NOT NULL,
	source_ref    TEXT NOT NULL,
	type          TEXT NOT NULL,
	target_ref    TEXT NOT NULL,
	PRIMARY KEY (originator_id, source_ref, type, target_ref)
) WITHOUT ROWID;
INSERT OR IGNORE INTO relations_v2 SELECT originator_id, source_ref, type, target_ref FROM relations;
DROP TABLE relations;
ALTER TABLE relations_v2 RENAME TO relations;
CREATE INDEX relations_source ON relations (source_ref);
