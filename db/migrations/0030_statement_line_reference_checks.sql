-- Statement import speed (issue 18): statement_lines' three references (its import, the payment it
-- matched, the payment proposed for it) are checked once per statement instead of once per row.
-- A foreign key runs a lookup and a KEY SHARE row lock for every line an import stores: 1.8 s of
-- PostgreSQL's time for 200,000 lines, and a lock on every matched payment held until the import
-- commits (each lock also rewrites the payment's page: WAL and full-page images). The checks below
-- are the database's, as the foreign keys were, for every writer:
--  * INSERT: one statement-level trigger reads the inserted rows (a transition table) and refuses the
--    statement if any names an import or a payment that does not exist. The imports named are locked
--    FOR KEY SHARE, as the foreign key did, so none can be deleted before the insert commits.
--  * UPDATE: a row trigger that fires only when a line's import or payment changes (matching, a
--    person's resolution) checks and locks that row's references as the foreign key did.
--  * Payments are never deleted (the ledger keeps every payment; nothing in the product deletes one),
--    so the payment side needs no lock: DELETE and TRUNCATE of payments are refused, and so is
--    changing a payment's or an import's id. Deleting (or truncating) imports refuses while lines refer to
--    them; a delete checks after the row is deleted (and locked), so it sees lines a concurrent insert
--    committed meanwhile.
-- Refusals use SQLSTATE 23503 (foreign_key_violation), as the foreign keys did.
ALTER TABLE "statement_lines" DROP CONSTRAINT IF EXISTS "statement_lines_import_id_statement_imports_id_fk";
--> statement-breakpoint
ALTER TABLE "statement_lines" DROP CONSTRAINT IF EXISTS "statement_lines_payment_id_payments_id_fk";
--> statement-breakpoint
ALTER TABLE "statement_lines" DROP CONSTRAINT IF EXISTS "statement_lines_proposed_payment_id_payments_id_fk";
--> statement-breakpoint
CREATE FUNCTION statement_lines_check_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  imports uuid[];
  locked bigint;
  missing uuid;
BEGIN
  SELECT array_agg(d.import_id) INTO imports FROM (SELECT DISTINCT import_id FROM new_lines) d;
  PERFORM 1 FROM statement_imports i WHERE i.id = ANY (imports) FOR KEY SHARE OF i;
  GET DIAGNOSTICS locked = ROW_COUNT;
  IF locked < coalesce(cardinality(imports), 0) THEN
    SELECT m.id INTO missing FROM unnest(imports) AS m(id)
      WHERE NOT EXISTS (SELECT 1 FROM statement_imports i WHERE i.id = m.id) LIMIT 1;
    RAISE EXCEPTION 'statement line refers to statement import % that does not exist', missing
      USING ERRCODE = 'foreign_key_violation', TABLE = 'statement_lines';
  END IF;
  -- One index lookup per line that names a payment (OFFSET 0 keeps each a lookup): a hash of every
  -- payment, which the planner otherwise builds, costs more the more payments the ledger holds.
  SELECT r.payment_id INTO missing
    FROM new_lines n CROSS JOIN LATERAL (VALUES (n.payment_id), (n.proposed_payment_id)) AS r(payment_id)
    WHERE r.payment_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = r.payment_id OFFSET 0)
    LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'statement line refers to payment % that does not exist', missing
      USING ERRCODE = 'foreign_key_violation', TABLE = 'statement_lines';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statement_lines_inserted_refs AFTER INSERT ON statement_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION statement_lines_check_inserted();
--> statement-breakpoint
CREATE FUNCTION statement_lines_check_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.import_id IS DISTINCT FROM OLD.import_id THEN
    PERFORM 1 FROM statement_imports i WHERE i.id = NEW.import_id FOR KEY SHARE OF i;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'statement line refers to statement import % that does not exist', NEW.import_id
        USING ERRCODE = 'foreign_key_violation', TABLE = 'statement_lines';
    END IF;
  END IF;
  IF NEW.payment_id IS NOT NULL AND NEW.payment_id IS DISTINCT FROM OLD.payment_id
     AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = NEW.payment_id) THEN
    RAISE EXCEPTION 'statement line refers to payment % that does not exist', NEW.payment_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'statement_lines';
  END IF;
  IF NEW.proposed_payment_id IS NOT NULL AND NEW.proposed_payment_id IS DISTINCT FROM OLD.proposed_payment_id
     AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.id = NEW.proposed_payment_id) THEN
    RAISE EXCEPTION 'statement line refers to payment % that does not exist', NEW.proposed_payment_id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'statement_lines';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statement_lines_updated_refs AFTER UPDATE OF import_id, payment_id, proposed_payment_id ON statement_lines
  FOR EACH ROW
  WHEN (NEW.import_id IS DISTINCT FROM OLD.import_id OR NEW.payment_id IS DISTINCT FROM OLD.payment_id
    OR NEW.proposed_payment_id IS DISTINCT FROM OLD.proposed_payment_id)
  EXECUTE FUNCTION statement_lines_check_updated();
--> statement-breakpoint
CREATE FUNCTION statement_imports_keep_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM statement_lines l WHERE l.import_id = OLD.id) THEN
    RAISE EXCEPTION 'statement import % still has statement lines', OLD.id
      USING ERRCODE = 'foreign_key_violation', TABLE = 'statement_imports';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statement_imports_deleted_lines AFTER DELETE ON statement_imports
  FOR EACH ROW EXECUTE FUNCTION statement_imports_keep_lines();
--> statement-breakpoint
CREATE FUNCTION statement_imports_truncate_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM statement_lines) THEN
    RAISE EXCEPTION 'statement imports cannot be truncated while statement lines refer to them'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statement_imports_truncated_lines BEFORE TRUNCATE ON statement_imports
  FOR EACH STATEMENT EXECUTE FUNCTION statement_imports_truncate_lines();
--> statement-breakpoint
CREATE FUNCTION refuse_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the id of a row in % cannot change (statement lines refer to it)', TG_TABLE_NAME
    USING ERRCODE = 'foreign_key_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statement_imports_keep_id BEFORE UPDATE OF id ON statement_imports
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION refuse_key_change();
--> statement-breakpoint
CREATE TRIGGER payments_keep_id BEFORE UPDATE OF id ON payments
  FOR EACH ROW WHEN (NEW.id IS DISTINCT FROM OLD.id) EXECUTE FUNCTION refuse_key_change();
--> statement-breakpoint
CREATE FUNCTION refuse_payment_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payments are never deleted (statement lines, cases and the ledger refer to them)'
    USING ERRCODE = 'foreign_key_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER payments_never_deleted BEFORE DELETE OR TRUNCATE ON payments
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_payment_delete();
