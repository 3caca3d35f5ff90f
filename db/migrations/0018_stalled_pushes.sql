-- Pushes cut off mid-way (the app stopped, or recording M-Pesa's answer failed) leave an attempt
-- `initiating` with no CheckoutRequestID; every poller sweep looks for the ones older than a push can
-- take (payments/initiate.server.ts, recoverStalledPushes). Few rows are ever in that state.
CREATE INDEX "stk_attempts_initiating_idx" ON "stk_attempts" USING btree ("created_at") WHERE status = 'initiating' and checkout_request_id is null;
