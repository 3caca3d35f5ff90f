-- Time an M-Pesa outage took from a pending attempt: while the poller is paused because Daraja (or
-- our access to it) is failing, no payment can be asked about, so each attempt still being polled is
-- given that time back and gives up that much later. Attempts from before this release start at 0.
ALTER TABLE "stk_attempts" ADD COLUMN "poll_outage_s" integer DEFAULT 0 NOT NULL;
