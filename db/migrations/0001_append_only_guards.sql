-- Audit trails are append-only at the database, not just in the code: the staff audit and the
-- payment timeline refuse UPDATE and DELETE, and a raw callback's received bytes can never change
-- (its processing outcome may be written once processing has happened).
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit FOR EACH ROW EXECUTE FUNCTION refuse_change();
--> statement-breakpoint
CREATE TRIGGER payment_events_append_only BEFORE UPDATE OR DELETE ON payment_events FOR EACH ROW EXECUTE FUNCTION refuse_change();
--> statement-breakpoint
CREATE FUNCTION raw_callbacks_keep_body() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'raw_callbacks is append-only';
  END IF;
  IF NEW.body IS DISTINCT FROM OLD.body OR NEW.received_at IS DISTINCT FROM OLD.received_at
     OR NEW.headers IS DISTINCT FROM OLD.headers OR NEW.source_ip IS DISTINCT FROM OLD.source_ip THEN
    RAISE EXCEPTION 'a raw callback''s received request cannot be changed';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER raw_callbacks_append_only BEFORE UPDATE OR DELETE ON raw_callbacks FOR EACH ROW EXECUTE FUNCTION raw_callbacks_keep_body();
