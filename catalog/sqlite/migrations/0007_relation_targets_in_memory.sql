-- Schema version 7: no index on relation_pairs.other_ref. The store finds
-- the rows naming a ref as other_ref through links it keeps in memory from
-- each ref to the originators of those rows (incoming.go), and reads them
-- by primary key; the index was a second B-tree written at a random
-- position for every relation row.
DROP INDEX relation_pairs_other;
