-- Schema version 6: one row per relation pair instead of one per direction.
-- An entity originates its relations in pairs (A ownedBy X and X ownerOf A);
-- storing each pair once, with the originator's ref as its anchor, halves
-- the rows and B-tree entries a large apply writes, which were most of its
-- cost at a million entities. dir says which rows a stored row stands for:
--   1  anchor --type--> other
--   2  other --type--> anchor
--   3  both: anchor --type--> other and other --reverse(type)--> anchor
-- The anchor is always the originator's own ref, so rows whose source is X
-- are X's own rows (by originator_id, dir 1 and 3) and the rows naming X as
-- other (dir 2 and 3): the two B-trees are the key and relation_pairs_other.
CREATE TABLE relation_pairs (
	originator_id INTEGER NOT NULL,
	anchor_ref    TEXT NOT NULL,
	type          TEXT NOT NULL,
	other_ref     TEXT NOT NULL,
	dir           INTEGER NOT NULL,
	PRIMARY KEY (originator_id, other_ref, type, dir)
) WITHOUT ROWID;
-- Existing rows keep one row per direction (dir 1 or 2); the next write of
-- their originator stores them as pairs. A row that named its originator on
-- neither side (never written by the ingest; the planner now refuses one)
-- has no place in this table and is dropped.
INSERT OR IGNORE INTO relation_pairs (originator_id, anchor_ref, type, other_ref, dir)
SELECT r.originator_id, e.ref, r.type, r.target_ref, 1 FROM relations r JOIN entities e ON e.id = r.originator_id WHERE r.source_ref = e.ref;
INSERT OR IGNORE INTO relation_pairs (originator_id, anchor_ref, type, other_ref, dir)
SELECT r.originator_id, e.ref, r.type, r.source_ref, 2 FROM relations r JOIN entities e ON e.id = r.originator_id WHERE r.source_ref != e.ref AND r.target_ref = e.ref;
DROP TABLE relations;
-- Covering: the rows towards X are read from the index alone, without a
-- seek into the table per row (a group's members are thousands of rows).
CREATE INDEX relation_pairs_other ON relation_pairs (other_ref, dir, type, anchor_ref);
