-- Statement import speed (issue 18, seventh pass). Whether a statement showed a receipt is now read
-- from statement_lines (a lookup on statement_lines_receipt_key, payments/queries.server.ts) instead
-- of a flag on the receipt: keeping the flag made every import rewrite each receipt it showed, 170,000
-- row versions (and their WAL, and vacuum's work later) for a busy paybill's month, about a second of
-- the import's matching step. Every receipt the flag marked has a Completed paid-in statement line.
ALTER TABLE "receipts" DROP COLUMN "seen_in_statement";
