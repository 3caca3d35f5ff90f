-- A delivery claim reads each enabled endpoint on its own: its live leases (sends in flight) and its
-- oldest due deliveries, up to the places it has left. These indexes keep that to a few index reads
-- per endpoint however large a backlog has grown (before, a claim read every due delivery). IF NOT
-- EXISTS: on a large table an operator may build them first with CREATE INDEX CONCURRENTLY (README).
CREATE INDEX IF NOT EXISTS "webhook_deliveries_endpoint_due_idx" ON "webhook_deliveries" USING btree ("endpoint_id", "next_attempt_at", "id") WHERE status = 'pending';
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_deliveries_in_flight_idx" ON "webhook_deliveries" USING btree ("endpoint_id") WHERE status = 'pending' and claim_token is not null;
