-- M-Pesa's charges on money received, so the dashboard can show revenue net of them
-- (docs/daraja.md#m-pesa-charges-tariffs). A tariff is a set of versions, each in force from its
-- effective_from until the next version's; a version holds amount bands per transaction type.
-- Versions and bands are never edited or deleted (a change is a new version), because a receipt
-- keeps the charge computed when it was recorded and names the version it came from.
CREATE TABLE "tariff_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"label" text NOT NULL,
	"created_by_user_id" uuid REFERENCES "users"("id"),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tariff_versions_effective_from_key" UNIQUE("effective_from")
);
--> statement-breakpoint
CREATE TABLE "tariff_bands" (
	"version_id" uuid NOT NULL REFERENCES "tariff_versions"("id"),
	"txn_type" text NOT NULL,
	"min_kes" integer NOT NULL,
	"max_kes" integer NOT NULL,
	"charge_kes" integer NOT NULL,
	CONSTRAINT "tariff_bands_pkey" PRIMARY KEY("version_id", "txn_type", "min_kes"),
	CONSTRAINT "tariff_bands_txn_type_check" CHECK ("txn_type" in ('paybill', 'buy_goods')),
	CONSTRAINT "tariff_bands_amounts_check" CHECK ("min_kes" >= 0 AND "max_kes" >= "min_kes" AND "charge_kes" >= 0)
);
--> statement-breakpoint
CREATE TRIGGER tariff_versions_append_only BEFORE UPDATE OR DELETE ON tariff_versions FOR EACH ROW EXECUTE FUNCTION refuse_change();
--> statement-breakpoint
CREATE TRIGGER tariff_bands_append_only BEFORE UPDATE OR DELETE ON tariff_bands FOR EACH ROW EXECUTE FUNCTION refuse_change();
--> statement-breakpoint
-- Every band with the span of time its version is in force: [valid_from, valid_to), valid_to null for
-- the latest. One join against this finds the band for any (type, amount, time), row by row or set-based.
CREATE VIEW "tariff_bands_in_force" AS
SELECT v.id AS version_id, v.effective_from AS valid_from, v.valid_to, b.txn_type, b.min_kes, b.max_kes, b.charge_kes
FROM (SELECT id, effective_from, lead(effective_from) OVER (ORDER BY effective_from) AS valid_to FROM tariff_versions) v
JOIN tariff_bands b ON b.version_id = v.id;
--> statement-breakpoint
-- A receipt's kind (paybill or buy_goods; null when no witness said), its charge (null: no tariff
-- covered it) and the tariff version that priced it. Receipts recorded before this migration keep a
-- null charge: we do not invent one.
ALTER TABLE "receipts" ADD COLUMN "txn_type" text;
--> statement-breakpoint
ALTER TABLE "receipts" ADD COLUMN "charge_kes" integer;
--> statement-breakpoint
ALTER TABLE "receipts" ADD COLUMN "tariff_version_id" uuid REFERENCES "tariff_versions"("id");
--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_txn_type_check" CHECK ("txn_type" in ('paybill', 'buy_goods'));
--> statement-breakpoint
-- The charge of the payment's receipt, copied by the ledger when the receipt is attached, so the
-- rollup below stays a function of the payments row alone.
ALTER TABLE "payments" ADD COLUMN "charge_kes" integer;
--> statement-breakpoint
ALTER TABLE "payment_stats" ADD COLUMN "charge_kes" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "payment_stats" ADD COLUMN "uncharged" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "payment_stat_deltas" ADD COLUMN "charge_kes" bigint DEFAULT 0 NOT NULL;
--> statement-breakpoint
ALTER TABLE "payment_stat_deltas" ADD COLUMN "uncharged" integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- Every paid payment so far has no charge: count it as uncharged, as a recount would.
UPDATE "payment_stats" SET "uncharged" = "payments" WHERE "basis" = 'paid';
--> statement-breakpoint
UPDATE "payment_stat_deltas" SET "uncharged" = "payments" WHERE "basis" = 'paid';
--> statement-breakpoint
-- The rollup trigger of 0004, now also carrying the paid payments' charges (and how many had none).
CREATE OR REPLACE FUNCTION payment_stats_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.result_code IS NOT DISTINCT FROM NEW.result_code
     AND OLD.paid_at IS NOT DISTINCT FROM NEW.paid_at AND OLD.amount_kes = NEW.amount_kes AND OLD.created_at = NEW.created_at
     AND OLD.charge_kes IS NOT DISTINCT FROM NEW.charge_kes THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes)
    VALUES (eat_hour(OLD.created_at), 'created', OLD.status, coalesce(OLD.result_code, ''), -1, -OLD.amount_kes);
    IF OLD.status = 'paid' AND OLD.paid_at IS NOT NULL THEN
      INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
      VALUES (eat_hour(OLD.paid_at), 'paid', 'paid', '', -1, -OLD.amount_kes, -coalesce(OLD.charge_kes, 0),
              CASE WHEN OLD.charge_kes IS NULL THEN -1 ELSE 0 END);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes)
    VALUES (eat_hour(NEW.created_at), 'created', NEW.status, coalesce(NEW.result_code, ''), 1, NEW.amount_kes);
    IF NEW.status = 'paid' AND NEW.paid_at IS NOT NULL THEN
      INSERT INTO payment_stat_deltas (eat_hour, basis, status, result_code, payments, amount_kes, charge_kes, uncharged)
      VALUES (eat_hour(NEW.paid_at), 'paid', 'paid', '', 1, NEW.amount_kes, coalesce(NEW.charge_kes, 0),
              CASE WHEN NEW.charge_kes IS NULL THEN 1 ELSE 0 END);
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
