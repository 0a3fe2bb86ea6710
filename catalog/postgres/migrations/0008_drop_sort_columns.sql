-- Migration 8: lists, counts and facets are answered from each replica's
-- in-memory index (migration 7), so the sort columns that served ordering,
-- keyset paging and facets in SQL are no longer read. Dropping them (and
-- their six indexes) takes seven B-tree writes off every entity write.
ALTER TABLE entities
    DROP COLUMN sort_name, DROP COLUMN sort_title, DROP COLUMN sort_kind,
    DROP COLUMN sort_type, DROP COLUMN sort_owner, DROP COLUMN sort_lifecycle,
    DROP COLUMN orig_name, DROP COLUMN orig_title, DROP COLUMN orig_kind,
    DROP COLUMN orig_type, DROP COLUMN orig_owner, DROP COLUMN orig_lifecycle,
    DROP COLUMN sort_multi;
