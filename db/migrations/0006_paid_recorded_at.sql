-- When we recorded a payment as paid, kept apart from paid_at (when M-Pesa took the money), which
-- revenue days use. Existing rows: the best we know is paid_at itself.
ALTER TABLE "payments" ADD COLUMN "paid_recorded_at" timestamp with time zone;
--> statement-breakpoint
UPDATE "payments" SET "paid_recorded_at" = "paid_at" WHERE "paid_at" IS NOT NULL;
