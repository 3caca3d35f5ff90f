// Applies a claimed batch of stored callbacks in the caller's transaction with few round trips: the
// batch's CheckoutRequestIDs are locked in one statement and their attempts read in one more, then
// each callback goes through the same `applyStkToAttempt` as one at a time, without a savepoint each.
// Any error aborts the whole batch: the caller (queue.server.ts) rolls back to the batch's savepoint and
// applies those rows one by one, each in its own savepoint, so one hostile or unlucky callback never
// holds up the others.
//
// Lock order, everywhere money is written: a CheckoutRequestID's advisory lock, then payments, then
// their attempts, then receipts (the receipt number's advisory lock). The push (initiate.server.ts),
// one callback (intake.server.ts, ledger/payments.server.ts), this batch (ledger/stk-successes.server.ts)
// and a C2B confirmation (reconciliation/c2b.server.ts: it finds and locks the payments its money may
// be for before the receipt) all take them so; two orders would deadlock a callback with its own C2B.
import { inArray, sql } from "drizzle-orm";
import { stkAttempts, type RawCallback } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { DARAJA_ACTOR } from "../ledger/events.server";
import { setOutcomes } from "../ledger/raw-callbacks.server";
import { applyStkSuccesses, type StkSuccess } from "../ledger/stk-successes.server";
import type { StkCallback } from "./parse";
import { callbackGapNote, recordUnreadable } from "./stk-notes.server";
import {
  applyStkToAttempt,
  callbackEvidence,
  prepareStkCallback,
  type PreparedStk,
} from "./intake.server";

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
  // An unreadable callback is locked by the CheckoutRequestID intake found in it (recordUnreadable).
  const checkoutIds = [
    ...new Set(
      [...stk.values()].flatMap((p) =>
        p.prepared.ok
          ? [p.prepared.cb.checkoutRequestId]
          : p.raw.checkoutRequestId
            ? [p.raw.checkoutRequestId]
            : [],
      ),
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

  const fast = await applyCommonSuccesses(ctx, rows, stk, attempts);

  for (const raw of rows) {
    if (fast.has(raw.id)) continue;
    const entry = stk.get(raw.id);
    if (!entry) {
      await others(raw);
      continue;
    }
    const { prepared } = entry;
    if (!prepared.ok) {
      await recordUnreadable(tx, ctx.now(), raw, prepared.reason);
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

/**
 * The common case all at once (ledger/stk-successes.server.ts): trusted success callbacks, each for
 * its own known attempt, none sharing a CheckoutRequestID, receipt or payment with another row of the
 * batch. Only in a batch of STK callbacks alone, so that the order in which the batch's rows are
 * applied cannot matter (a C2B confirmation may settle the same payment by its account number).
 * Returns the raw rows it applied; the rest go through `applyStkToAttempt` as before.
 */
async function applyCommonSuccesses(
  ctx: AppContext,
  rows: RawCallback[],
  stk: Map<number, Prepared>,
  attempts: Map<string, { id: string; paymentId: string }>,
): Promise<Set<number>> {
  const done = new Set<number>();
  if (rows.some((r) => !stk.has(r.id))) return done;
  const seen = new Map<string, number>();
  const keysOf = (p: Prepared) => {
    // An unreadable callback for the same attempt is applied in its turn (recordUnreadable reads the
    // attempt's status), so it keeps the attempt's success off this path.
    if (!p.prepared.ok) return p.raw.checkoutRequestId ? [`c:${p.raw.checkoutRequestId}`] : [];
    const { cb } = p.prepared;
    const attempt = attempts.get(cb.checkoutRequestId);
    return [
      `c:${cb.checkoutRequestId}`,
      ...(cb.receipt ? [`r:${cb.receipt}`] : []),
      ...(attempt ? [`p:${attempt.paymentId}`] : []),
    ];
  };
  for (const p of stk.values()) for (const k of keysOf(p)) seen.set(k, (seen.get(k) ?? 0) + 1);

  const now = ctx.now();
  const items: (StkSuccess & { raw: RawCallback; cb: StkCallback })[] = [];
  for (const p of stk.values()) {
    const { raw, prepared } = p;
    if (!prepared.ok || prepared.result.outcome !== "paid" || raw.sourceTrusted === false) continue;
    if (keysOf(p).some((k) => seen.get(k) !== 1)) continue;
    const { cb } = prepared;
    const attempt = attempts.get(cb.checkoutRequestId);
    if (!attempt) continue;
    items.push({
      raw,
      cb,
      attemptId: attempt.id,
      paymentId: attempt.paymentId,
      rawCallbackId: raw.id,
      evidence: callbackEvidence(prepared, "paid"),
      // What applyStkToAttempt notes after a success that is not a duplicate (it never is here).
      followingEvents: () => {
        const note = callbackGapNote({
          raw,
          cb,
          attemptId: attempt.id,
          paymentId: attempt.paymentId,
        });
        return note ? [note] : [];
      },
    });
  }
  if (!items.length) return done;
  const applied = await applyStkSuccesses(ctx.db, DARAJA_ACTOR, now, items);
  const outcomes = items.flatMap((item) => {
    const decision = applied.get(item.rawCallbackId);
    if (!decision) return [];
    done.add(item.rawCallbackId);
    return [
      {
        id: item.rawCallbackId,
        outcome: decision.outcome,
        fields: {
          checkoutRequestId: item.cb.checkoutRequestId,
          receipt: item.cb.receipt,
          phoneKind: item.cb.phoneKind,
          attemptId: item.attemptId,
          paymentId: item.paymentId,
          outcomeDetail: decision.summary,
        },
      },
    ];
  });
  await setOutcomes(ctx.db, outcomes, now);
  return done;
}
