-- Schema version 5: inserted entities reach the search outbox from the
-- applier, once per apply and in ref order, instead of from a trigger per
-- row. The trigger made every entity INSERT a multi-statement write, which
-- SQLite guards with a statement journal (a copy of every page the INSERT
-- touched), and put a random-order DELETE and INSERT on the outbox's ref
-- index beside each row. Updates and deletes keep their triggers: they are
-- few in a large apply. The applier is the only writer of entity rows.
DROP TRIGGER search_outbox_insert;
