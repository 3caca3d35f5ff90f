-- The reporting rollup's deltas (migration 0004, charges since 0013) are written once per statement
-- instead of once per row: a bulk write of payments (a statement's reversals refund thousands at once)
-- called a PL/pgSQL function and up to four single-row INSERTs per payment. Each statement now appends
-- one delta per hour and key it changed, read from its transition tables: -1 for every row as it was,
-- +1 for every row as it is. A row whose counted fields did not change adds as much as it takes away,
-- and keys whose sums come to nothing are left out, as the row trigger left such rows out. Readers
-- only ever sum the deltas (app/modules/reports/stats.server.ts), so fewer, summed rows read the same.
CREATE FUNCTION payment_stats_deltas_of_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Each branch names only the transition tables its event has (a trigger on INSERT has no old rows).
  IF TG_OP = 'INSERT' THEN
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
    SELECT d.eat_hour, d.basis, d.status, d.result_code, sum(c.sign), sum(c.sign * c.amount_kes),
      sum(c.sign * d.charge), sum(c.sign * d.uncharged)
    FROM (SELECT 1 AS sign, n.created_at, n.paid_at, n.status, n.result_code, n.amount_kes, n.charge_kes FROM new_rows n) c
    CROSS JOIN LATERAL (VALUES
      (eat_hour(c.created_at), 'created', c.status, coalesce(c.result_code, ''), 0::bigint, 0),
      (eat_hour(c.paid_at), 'paid', 'paid', '', coalesce(c.charge_kes, 0), CASE WHEN c.charge_kes IS NULL THEN 1 ELSE 0 END)
    ) AS d(eat_hour, basis, status, result_code, charge, uncharged)
    WHERE d.basis = 'created' OR (c.status = 'paid' AND c.paid_at IS NOT NULL)
    GROUP BY 1, 2, 3, 4
    HAVING sum(c.sign) <> 0 OR sum(c.sign * c.amount_kes) <> 0 OR sum(c.sign * d.charge) <> 0 OR sum(c.sign * d.uncharged) <> 0;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
    SELECT d.eat_hour, d.basis, d.status, d.result_code, sum(c.sign), sum(c.sign * c.amount_kes),
      sum(c.sign * d.charge), sum(c.sign * d.uncharged)
    FROM (SELECT -1 AS sign, o.created_at, o.paid_at, o.status, o.result_code, o.amount_kes, o.charge_kes FROM old_rows o
          UNION ALL
          SELECT 1, n.created_at, n.paid_at, n.status, n.result_code, n.amount_kes, n.charge_kes FROM new_rows n) c
    CROSS JOIN LATERAL (VALUES
      (eat_hour(c.created_at), 'created', c.status, coalesce(c.result_code, ''), 0::bigint, 0),
      (eat_hour(c.paid_at), 'paid', 'paid', '', coalesce(c.charge_kes, 0), CASE WHEN c.charge_kes IS NULL THEN 1 ELSE 0 END)
    ) AS d(eat_hour, basis, status, result_code, charge, uncharged)
    WHERE d.basis = 'created' OR (c.status = 'paid' AND c.paid_at IS NOT NULL)
    GROUP BY 1, 2, 3, 4
    HAVING sum(c.sign) <> 0 OR sum(c.sign * c.amount_kes) <> 0 OR sum(c.sign * d.charge) <> 0 OR sum(c.sign * d.uncharged) <> 0;
  ELSE
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
    SELECT d.eat_hour, d.basis, d.status, d.result_code, sum(c.sign), sum(c.sign * c.amount_kes),
      sum(c.sign * d.charge), sum(c.sign * d.uncharged)
    FROM (SELECT -1 AS sign, o.created_at, o.paid_at, o.status, o.result_code, o.amount_kes, o.charge_kes FROM old_rows o) c
    CROSS JOIN LATERAL (VALUES
      (eat_hour(c.created_at), 'created', c.status, coalesce(c.result_code, ''), 0::bigint, 0),
      (eat_hour(c.paid_at), 'paid', 'paid', '', coalesce(c.charge_kes, 0), CASE WHEN c.charge_kes IS NULL THEN 1 ELSE 0 END)
    ) AS d(eat_hour, basis, status, result_code, charge, uncharged)
    WHERE d.basis = 'created' OR (c.status = 'paid' AND c.paid_at IS NOT NULL)
    GROUP BY 1, 2, 3, 4
    HAVING sum(c.sign) <> 0 OR sum(c.sign * c.amount_kes) <> 0 OR sum(c.sign * d.charge) <> 0 OR sum(c.sign * d.uncharged) <> 0;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DROP TRIGGER payments_stats_delta ON payments;
--> statement-breakpoint
DROP FUNCTION payment_stats_delta();
--> statement-breakpoint
CREATE TRIGGER payments_stats_inserted AFTER INSERT ON payments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_stats_deltas_of_statement();
--> statement-breakpoint
CREATE TRIGGER payments_stats_updated AFTER UPDATE ON payments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_stats_deltas_of_statement();
--> statement-breakpoint
CREATE TRIGGER payments_stats_deleted AFTER DELETE ON payments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION payment_stats_deltas_of_statement();
