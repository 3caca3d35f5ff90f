-- How many runs of an import have failed for a reason of ours (not its file): the job gives up on an
-- import that keeps failing while storing (nothing of it is booked then) instead of parsing the whole
-- file again every 20 seconds for ever.
ALTER TABLE "statement_imports" ADD COLUMN "failed_tries" integer DEFAULT 0 NOT NULL;
