-- Migration 2: the search outbox. A trigger records every change of an
-- entity's final JSON (and every delete) in the same transaction as the
-- write, so the search index catches up after a restart or an outage of its
-- backend. One row per ref: a newer change replaces the pending one with a new
-- seq. Sequence values are not commit-ordered, so consumers acknowledge the
-- exact seqs they indexed (never "everything up to N") and always read the
-- oldest pending rows again; a late-committing smaller seq is never lost.
CREATE TABLE search_outbox (
    seq     bigserial PRIMARY KEY,
    ref     text COLLATE "C" NOT NULL UNIQUE,
    deleted boolean NOT NULL DEFAULT false
);

CREATE FUNCTION search_outbox_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM search_outbox WHERE ref = OLD.ref;
        INSERT INTO search_outbox (ref, deleted) VALUES (OLD.ref, true);
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.final::text IS NOT DISTINCT FROM NEW.final::text AND OLD.ref = NEW.ref THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.ref <> NEW.ref THEN
        DELETE FROM search_outbox WHERE ref = OLD.ref;
        INSERT INTO search_outbox (ref, deleted) VALUES (OLD.ref, true);
    END IF;
    DELETE FROM search_outbox WHERE ref = NEW.ref;
    INSERT INTO search_outbox (ref, deleted) VALUES (NEW.ref, false);
    RETURN NEW;
END;
$$;

CREATE TRIGGER search_outbox_change AFTER INSERT OR UPDATE OR DELETE ON entities
    FOR EACH ROW EXECUTE FUNCTION search_outbox_record();
