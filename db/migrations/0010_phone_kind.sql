-- Which kind of payer number a callback carried (2026: masked or absent in STK callbacks and C2B
-- confirmations). 'full' = a whole Kenyan MSISDN, 'masked' = masked or hashed, 'absent' = none.
-- Null on rows written before this column existed, and on bodies that could not be read.
ALTER TABLE "raw_callbacks" ADD COLUMN "phone_kind" text;
--> statement-breakpoint
ALTER TABLE "raw_callbacks" ADD CONSTRAINT "raw_callbacks_phone_kind_check" CHECK ("phone_kind" in ('full', 'masked', 'absent'));
--> statement-breakpoint
ALTER TABLE "receipts" ADD COLUMN "phone_kind" text;
--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_phone_kind_check" CHECK ("phone_kind" in ('full', 'masked', 'absent'));
