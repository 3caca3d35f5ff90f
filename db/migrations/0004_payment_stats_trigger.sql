-- Keeps the reporting rollup (payment_stats) exact whatever code writes payments: every insert, every
-- change of status / result code / paid_at / amount, and every delete appends -1/+1 deltas. Appending
-- (instead of updating a counter row) means concurrent payments never wait on one hot row; readers
-- fold the deltas into payment_stats (app/modules/reports/stats.server.ts). Hours are EAT wall-clock
-- hours, cut with an explicit zone so the session's TimeZone cannot shift them.
-- See docs/decisions/002-dashboard-aggregates.md.
CREATE FUNCTION eat_hour(at timestamptz) RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_trunc('hour', at AT TIME ZONE 'Africa/Nairobi');
--> statement-breakpoint
CREATE FUNCTION payment_stats_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.result_code IS NOT DISTINCT FROM NEW.result_code
     AND OLD.paid_at IS NOT DISTINCT FROM NEW.paid_at AND OLD.amount_kes = NEW.amount_kes AND OLD.created_at = NEW.created_at THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes)
    VALUES (eat_hour(OLD.created_at), 'created', OLD.status, coalesce(OLD.result_code, ''), -1, -OLD.amount_kes);
    IF OLD.status = 'paid' AND OLD.paid_at IS NOT NULL THEN
      INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes)
      VALUES (eat_hour(OLD.paid_at), 'paid', 'paid', '', -1, -OLD.amount_kes);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes)
    VALUES (eat_hour(NEW.created_at), 'created', NEW.status, coalesce(NEW.result_code, ''), 1, NEW.amount_kes);
    IF NEW.status = 'paid' AND NEW.paid_at IS NOT NULL THEN
      INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes)
      VALUES (eat_hour(NEW.paid_at), 'paid', 'paid', '', 1, NEW.amount_kes);
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER payments_stats_delta AFTER INSERT OR UPDATE OR DELETE ON payments FOR EACH ROW EXECUTE FUNCTION payment_stats_delta();
--> statement-breakpoint
-- Payments that existed before the trigger: counted once, in the same transaction that adds it.
INSERT INTO payment_stats (eat_hour, basis, status, result_code, payments, amount_kes)
SELECT eat_hour(created_at), 'created', status, coalesce(result_code, ''), count(*), sum(amount_kes)
FROM payments GROUP BY 1, 3, 4;
--> statement-breakpoint
INSERT INTO payment_stats (eat_hour, basis, status, result_code, payments, amount_kes)
SELECT eat_hour(paid_at), 'paid', 'paid', '', count(*), sum(amount_kes)
FROM payments WHERE status = 'paid' AND paid_at IS NOT NULL GROUP BY 1;
