-- Each claim of a statement import gets a token of its own: every write of the run that holds the claim
-- (its progress and heartbeat, the store and match steps' commits, done, failed, a failed try) names
-- it, so a run that lost its lease (a process paused past it while another instance took the import
-- over) changes nothing. Imports claimed before this release have none and are claimed again.
ALTER TABLE "statement_imports" ADD COLUMN "claim_token" uuid;
