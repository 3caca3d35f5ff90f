-- One LIVE reversal per receipt (awaiting approval, sending, sent). A reversal that timed out in
-- M-Pesa's queue or failed to send may be asked again; if the first one's success comes late after
-- all, it must still be recorded (the money moved) while the second is live: before, one index over
-- live and completed requests refused it, and the result was retried forever. Completed requests are
-- not unique: a second success for one receipt is M-Pesa's word that money went back twice, recorded
-- and put in front of a person (ledger/money-out.server.ts), never refused.
DROP INDEX IF EXISTS "daraja_requests_one_reversal_key";
--> statement-breakpoint
CREATE UNIQUE INDEX "daraja_requests_one_live_reversal_key" ON "daraja_requests" USING btree ("receipt") WHERE kind = 'reversal' and state in ('awaiting_approval','sending','sent');
