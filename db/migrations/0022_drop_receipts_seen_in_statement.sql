-- Whether a statement showed a receipt is read from statement_lines since migration 0020's release
-- (payments/queries.server.ts); receipts.seen_in_statement was kept, neither read nor written, so an
-- instance of the release before that one could run beside it during a deploy. None does any more.
ALTER TABLE "receipts" DROP COLUMN IF EXISTS "seen_in_statement";
