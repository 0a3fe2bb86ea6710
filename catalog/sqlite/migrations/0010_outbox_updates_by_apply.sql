-- Schema version 10: updated entities reach the search outbox from the
-- applier too, as inserted ones do since version 5: the applier knows
-- whether an entity's final JSON changed (its etag did). The trigger made
-- every UPDATE of an entity a multi-statement write guarded by a statement
-- journal, and the entities a large apply stitches again (those a later
-- part pointed at) are updated in the same transaction that inserted them.
-- Deletes keep their trigger.
DROP TRIGGER IF EXISTS search_outbox_update;
