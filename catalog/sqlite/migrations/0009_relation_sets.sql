-- Schema version 9: an originator's relation rows in one table row. Each
-- stored pair was a row of its own (~3 an entity, ~5 for a component),
-- repeating the originator's ref in each; they are written and read all
-- together (an entity's rows are replaced whole when it changes, and the
-- rows naming a ref are found through the in-memory links by originator),
-- so one row per originator keeps what a million-entity apply writes to
-- one B-tree insert an entity. pairs is a JSON array of
-- [type, other_ref, dir] arrays, dir as in schema version 6.
CREATE TABLE relation_sets (
	originator_id INTEGER PRIMARY KEY,
	anchor_ref    TEXT NOT NULL,
	pairs         TEXT NOT NULL
);
INSERT INTO relation_sets (originator_id, anchor_ref, pairs)
SELECT originator_id, min(anchor_ref), json_group_array(json_array(type, other_ref, dir))
FROM relation_pairs GROUP BY originator_id;
DROP TABLE relation_pairs;
