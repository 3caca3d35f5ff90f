// The gate's set-based twin for the common case of callback intake: many success callbacks, each for
// its own pending attempt of its own open payment, each with a new well-formed receipt for the sum we
// asked. It reads and locks what `applyStkEvidence` reads and locks (payment, attempt, receipt), asks
// the same pure `decide`, and writes the same rows (receipt, attempt, payment, timeline, webhook
// outbox) with one statement per table for the whole set instead of ~9 per callback. An item whose
// decision is anything but "paid, receipt claimed, nothing to look at" is left alone (nothing is
// written for it) and the caller applies it through `applyStkEvidence`, one at a time.
import { asc, inArray, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { payments, receipts, stkAttempts, type Payment, type StkAttempt } from "../../../db/schema";
import { addPaymentEvents, type EventActor, type NewEvent } from "./events.server";
import { emitWebhookEvents } from "./outbox.server";
import { evidenceEventOf, latestSeqOfPayment, type StkEvidence } from "./payments.server";
import { insertClaimedReceipts } from "./receipts.server";
import { canMovePayment, decide, isWellFormedReceipt, type Decision } from "./transitions";
import { isAnnouncedStatus } from "./webhook-events";

export type StkSuccess = {
  attemptId: string;
  paymentId: string;
  rawCallbackId: number;
  evidence: StkEvidence;
  /** Events the caller writes after the gate's own for this callback (the callback's gap note). */
  followingEvents?: (decision: Decision) => NewEvent[];
};

/** Whether an item can take the set-based path at all, before anything is read. */
const plausible = (s: StkSuccess) =>
  s.evidence.source === "callback" &&
  s.evidence.outcome === "paid" &&
  s.evidence.receipt !== null &&
  isWellFormedReceipt(s.evidence.receipt) &&
  s.evidence.amountKes !== null &&
  !s.evidence.amountProblem;

/** Items naming the same payment, attempt or receipt as another item are left to the one-by-one path. */
function unshared(items: StkSuccess[]): StkSuccess[] {
  const count = new Map<string, number>();
  const keys = (s: StkSuccess) => [
    `p:${s.paymentId}`,
    `a:${s.attemptId}`,
    `r:${s.evidence.receipt}`,
  ];
  for (const s of items) for (const k of keys(s)) count.set(k, (count.get(k) ?? 0) + 1);
  return items.filter((s) => keys(s).every((k) => count.get(k) === 1));
}

/**
 * Applies the common-case successes among `items` in the caller's transaction. Returns the decision
 * for each item applied, by raw callback id; items not in the map were not touched.
 */
export async function applyStkSuccesses(
  tx: Db,
  actor: EventActor,
  now: Date,
  items: StkSuccess[],
): Promise<Map<number, Decision>> {
  const applied = new Map<number, Decision>();
  const candidates = unshared(items.filter(plausible));
  if (!candidates.length) return applied;

  // The gate's locks in the gate's order: payments, then attempts, then receipts (each set sorted).
  const paymentRows = await tx
    .select()
    .from(payments)
    .where(
      inArray(
        payments.id,
        candidates.map((c) => c.paymentId),
      ),
    )
    .orderBy(asc(payments.id))
    .for("no key update");
  const attemptRows = await tx
    .select({
      attempt: stkAttempts,
      latest: latestSeqOfPayment(),
    })
    .from(stkAttempts)
    .where(
      inArray(
        stkAttempts.id,
        candidates.map((c) => c.attemptId),
      ),
    )
    .orderBy(asc(stkAttempts.id))
    .for("no key update", { of: stkAttempts });
  const receiptNumbers = candidates.map((c) => c.evidence.receipt!).sort();
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext('receipt:' || r)) from unnest(array[${sql.join(
      receiptNumbers.map((r) => sql`${r}`),
      sql`, `,
    )}]::text[]) as t(r)`,
  );
  const known = new Set(
    (
      await tx
        .select({ receipt: receipts.receipt })
        .from(receipts)
        .where(inArray(receipts.receipt, receiptNumbers))
    ).map((r) => r.receipt),
  );

  const paymentById = new Map<string, Payment>(paymentRows.map((p) => [p.id, p]));
  const attemptById = new Map<string, { attempt: StkAttempt; isLatest: boolean }>(
    attemptRows.map((r) => [
      r.attempt.id,
      { attempt: r.attempt, isLatest: r.latest === r.attempt.seq },
    ]),
  );

  type Chosen = { item: StkSuccess; payment: Payment; attempt: StkAttempt; decision: Decision };
  const chosen: Chosen[] = [];
  for (const item of candidates) {
    const payment = paymentById.get(item.paymentId);
    const found = attemptById.get(item.attemptId);
    if (!payment || !found || found.attempt.paymentId !== payment.id) continue;
    const { attempt, isLatest } = found;
    // A receipt already on record (any owner), or an attempt that already names one, goes the
    // long way: the gate then weighs the witnesses against each other.
    if (known.has(item.evidence.receipt!) || attempt.receipt !== null) continue;
    if (attempt.resultCode !== null) continue;
    const decision = decide(
      {
        status: attempt.status,
        resultCode: attempt.resultCode,
        receipt: attempt.receipt,
        amountKes: attempt.amountKes,
        receiptAmountKes: null,
        isLatest,
      },
      { status: payment.status, receipt: payment.receipt, receiptPending: payment.receiptPending },
      item.evidence,
      "none",
    );
    const common =
      decision.outcome === "applied" &&
      decision.attemptStatus === "paid" &&
      decision.paymentStatus === "paid" &&
      decision.claimReceipt === true &&
      !decision.receiptPending &&
      !decision.exception &&
      payment.status !== "paid" &&
      canMovePayment(payment.status, "paid", {});
    if (common) chosen.push({ item, payment, attempt, decision });
  }
  if (!chosen.length) return applied;

  const at = now.toISOString();
  await insertClaimedReceipts(
    tx,
    chosen.map(({ item: { evidence }, payment, attempt }) => ({
      receipt: evidence.receipt!,
      amountKes: evidence.amountKes ?? attempt.amountKes,
      paymentId: payment.id,
      attemptId: attempt.id,
      phone: evidence.phone ?? attempt.phone,
      phoneKind: evidence.phoneKind ?? null,
      transactionAt: evidence.transactionAt ?? null,
      source: "stk_callback" as const,
    })),
  );

  const attemptValues = chosen.map(({ item: { evidence }, attempt }) => ({
    id: attempt.id,
    result_code: evidence.resultCode,
    result_desc: evidence.resultDesc,
    receipt: evidence.receipt,
  }));
  await tx.execute(sql`update stk_attempts as a set status = 'paid', result_code = v.result_code,
      result_desc = v.result_desc, receipt = v.receipt, callback_at = coalesce(a.callback_at, ${at}::timestamptz),
      next_poll_at = null, poll_claimed_by = null, poll_claimed_until = null, updated_at = ${at}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(attemptValues)}::jsonb)
      as v(id uuid, result_code text, result_desc text, receipt text)
    where a.id = v.id`);

  // writePaymentStatus's columns: paid at M-Pesa's time (the evidence's, else the receipt's, else now).
  const paymentValues = chosen.map(({ item: { evidence }, payment, decision }) => ({
    id: payment.id,
    reason: decision.summary,
    result_code: evidence.resultCode,
    receipt: evidence.receipt,
    paid_at: evidence.transactionAt?.toISOString() ?? null,
  }));
  await tx.execute(sql`update payments as p set status = 'paid', status_reason = v.reason,
      result_code = v.result_code, receipt = v.receipt, charge_kes = r.charge_kes,
      receipt_pending = false, paid_at = coalesce(v.paid_at, r.transaction_at, ${at}::timestamptz),
      paid_recorded_at = ${at}::timestamptz, final_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(paymentValues)}::jsonb)
      as v(id uuid, reason text, result_code text, receipt text, paid_at timestamptz)
      join receipts r on r.receipt = v.receipt
    where p.id = v.id`);

  const events: NewEvent[] = [];
  for (const { item, payment, attempt, decision } of chosen) {
    const ref = { paymentId: payment.id, attemptId: attempt.id, rawCallbackId: item.rawCallbackId };
    events.push(evidenceEventOf(ref, item.evidence, decision), {
      ...ref,
      type: "status_changed",
      summary: `Status ${payment.status} → paid: ${decision.summary}`,
      data: { from: payment.status, to: "paid" },
    });
    events.push(...(item.followingEvents?.(decision) ?? []));
    applied.set(item.rawCallbackId, decision);
  }
  await addPaymentEvents(tx, actor, events);
  if (isAnnouncedStatus("paid"))
    await emitWebhookEvents(
      tx,
      chosen.map(({ payment }) => ({
        type: "payment.paid" as const,
        paymentId: payment.id,
        data: { previousStatus: payment.status },
      })),
    );
  return applied;
}
