// Lines whose receipt a payment already owns, with amount and time agreeing, are most of a working
// merchant's statement. They are written `matched` by the same INSERT … SELECT that stores them
// (staging.server.ts joins receipts and payments there), so each such line is written once instead of
// inserted `new` and rewritten by matching. The match step then does for them what matching a line
// does besides its own row: an earlier missing_from_statement suspicion about the payment is settled (by
// the match step's owned step, with the lines it matches itself), in the match transaction, and
// harmless to repeat when a crash makes the match step run again. (The
// receipt is not rewritten: that a statement showed it is read from statement_lines.)
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { exceptions } from "../../../db/schema";
import { resolveOpenCases } from "../ledger/cases.server";
import { TIME_TOLERANCE_MS } from "./match-rules";

const tolerance = `${TIME_TOLERANCE_MS / 1000} seconds`;
const movedAt = sql`coalesce(k.transaction_at, p.paid_at)`;

/**
 * Fragments of the store step's INSERT … SELECT over statement_staging `s` (the same rule as matching's
 * owned step). Each staged row looks up its receipt and payment by their unique keys (a lateral join),
 * so the staged rows stream through once, in file order, and a piece of a few thousand rows costs a
 * few thousand index lookups whatever the size of receipts and payments. OFFSET 0 keeps it so: without
 * it the planner flattens the lateral join, and where the staged rows' fresh statistics made a piece
 * look big (the first move after the ANALYZE) it hashed every receipt and every payment instead: with
 * five earlier months in the ledger (`bench:statement -- --history 5`, a million payments), 0.9–1.3 s
 * for 20,000 staged rows in psql, against 0.1 s looked up row by row, and more every month.
 */
export const MATCH_OWNED = {
  join: sql`left join lateral (
    select p.id as payment_id
    from receipts k join payments p on p.id = k.payment_id
    where k.receipt = s.receipt and s.match_state = 'new' and s.direction = 'in' and s.paid_in_kes = p.amount_kes
      and (${movedAt} is null
        or s.completed_at between ${movedAt} - ${tolerance}::interval and ${movedAt} + ${tolerance}::interval)
    offset 0) o on true`,
  state: sql`case when o.payment_id is null then s.match_state else 'matched' end`,
  payment: sql`o.payment_id`,
};

/** The payments this import's `matched` lines name, as a subquery. */
export const matchedPaymentsOf = (importId: string): SQL =>
  sql`(select payment_id from statement_lines where import_id = ${importId} and match_state = 'matched')`;

/**
 * A later statement that does show the payment settles the earlier missing_from_statement
 * suspicion, through the case gate (which announces each settled case: case.resolved).
 */
export async function resolveMissingFromStatement(tx: Db, now: Date, paymentIds: string[] | SQL) {
  if (Array.isArray(paymentIds) && paymentIds.length === 0) return;
  await resolveOpenCases(
    tx,
    and(eq(exceptions.type, "missing_from_statement"), inArray(exceptions.paymentId, paymentIds)),
    {
      resolution: "auto_matched",
      resolutionNote: "A later statement import showed this payment.",
      resolvedAt: now,
    },
  );
}
