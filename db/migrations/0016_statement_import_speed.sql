-- Statement import speed (issue 18).
-- Matching rewrites each paid-in line once (new → matched, exception, …) and changes only columns no
-- index covers. Room left on every page lets PostgreSQL put the new version beside the old one (a
-- "HOT" update) instead of adding an entry to each of the table's four indexes for every line.
ALTER TABLE "statement_lines" SET (fillfactor = 50);--> statement-breakpoint
-- A staged row takes its statement line id while COPY reads it, in file order; the move into
-- statement_lines then reads the rows in that order from this index instead of sorting the import.
ALTER TABLE "statement_staging" ADD COLUMN "line_id" bigint DEFAULT nextval('statement_lines_id_seq') NOT NULL;--> statement-breakpoint
CREATE INDEX "statement_staging_import_idx" ON "statement_staging" USING btree ("import_id","line_id");
