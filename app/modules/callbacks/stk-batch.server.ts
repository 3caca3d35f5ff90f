// Applies a claimed batch of stored callbacks in the caller's transaction with few round trips: the
// batch's CheckoutRequestIDs are locked in one statement and their attempts read in one more, then
// each callback goes through the same `applyStkToAttempt` as one at a time, without a savepoint each.
// Any error aborts the whole batch: the caller (queue.server.ts) rolls back to the batch's savepoint and
// applies those rows one by one, each in its own savepoint, so one hostile or unlucky callback never
// holds up the others.
import { inArray, sql } from "drizzle-orm";
import { stkAttempts, type RawCallback } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { setOutcome } from "../ledger/raw-callbacks.server";
import { applyStkToAttempt, prepareStkCallback, type PreparedStk } from "./intake.server";

type Prepared = { raw: RawCallback; prepared: PreparedStk };

/**
 * `ctx.db` is the batch's transaction. `others` applies a row of another kind (C2B) in it. The rows
 * are applied in the order given (the caller sorts them so that every batch takes locks in one order).
 */
export async function applyBatchInTransaction(
  ctx: AppContext,
  rows: RawCallback[],
  others: (raw: RawCallback) => Promise<unknown>,
): Promise<void> {
  const tx = ctx.db;
  const stk = new Map<number, Prepared>();
  for (const raw of rows)
    if (raw.kind === "stk") stk.set(raw.id, { raw, prepared: prepareStkCallback(raw) });

  // The same lock processStkCallback and the push take (hashtext of the CheckoutRequestID), for the
  // whole batch in one statement, in sorted order, so that two batches never wait on each other in a
  // circle. The attempts are read after the locks are held (a statement's snapshot predates its own
  // lock waits, so reading them in the same statement could miss an attempt the push just wrote).
  const checkoutIds = [
    ...new Set(
      [...stk.values()].flatMap((p) => (p.prepared.ok ? [p.prepared.cb.checkoutRequestId] : [])),
    ),
  ].sort();
  const attempts = new Map<string, { id: string; paymentId: string }>();
  if (checkoutIds.length) {
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(id)) from unnest(array[${sql.join(
        checkoutIds.map((id) => sql`${id}`),
        sql`, `,
      )}]::text[]) as t(id)`,
    );
    const found = await tx
      .select({
        id: stkAttempts.id,
        paymentId: stkAttempts.paymentId,
        checkoutRequestId: stkAttempts.checkoutRequestId,
      })
      .from(stkAttempts)
      .where(inArray(stkAttempts.checkoutRequestId, checkoutIds));
    for (const a of found) if (a.checkoutRequestId) attempts.set(a.checkoutRequestId, a);
  }

  for (const raw of rows) {
    const entry = stk.get(raw.id);
    if (!entry) {
      await others(raw);
      continue;
    }
    const { prepared } = entry;
    if (!prepared.ok) {
      await setOutcome(tx, raw.id, "invalid", { outcomeDetail: prepared.reason }, ctx.now());
      continue;
    }
    await applyStkToAttempt(
      tx,
      ctx.now(),
      raw,
      prepared,
      attempts.get(prepared.cb.checkoutRequestId) ?? null,
    );
  }
}
