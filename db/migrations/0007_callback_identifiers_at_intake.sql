-- Identifiers read from the body when a callback is stored (before it is applied), so the log, search
-- and API find it at once; the receipt and MerchantRequestID get indexes like the CheckoutRequestID.
-- The partial index on rows still to apply keeps the applier's claim query cheap however big the log.
ALTER TABLE "raw_callbacks" ADD COLUMN "merchant_request_id" text;--> statement-breakpoint
CREATE INDEX "raw_callbacks_receipt_idx" ON "raw_callbacks" USING btree ("receipt");--> statement-breakpoint
CREATE INDEX "raw_callbacks_merchant_idx" ON "raw_callbacks" USING btree ("merchant_request_id");--> statement-breakpoint
CREATE INDEX "raw_callbacks_to_apply_idx" ON "raw_callbacks" USING btree ("id") WHERE "outcome" = 'received';
