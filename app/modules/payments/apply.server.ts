// The one writer of payment and attempt status (STYLE rule 4). Callbacks, the poller, staff actions and
// statement matches all come through here, inside the caller's transaction, and each change writes its
// timeline event in that same transaction. The rules themselves are the pure `decide` in transitions.ts.
import { and, eq, max, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { payments, receipts, stkAttempts, type Payment, type PaymentStatus, type StkAttempt } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { openException } from "../exceptions/open.server";
import { addPaymentEvent, type EventActor } from "./events.server";
import { decide, type Decision, type Evidence, type ReceiptOwner } from "./transitions";

export type StkEvidence = Evidence & {
  resultDesc: string;
  transactionAt?: Date | null;
  phone?: string | null;
};

export type ApplyResult = { decision: Decision; paymentId: string; attemptId: string; exceptionId: string | null };

/** Locks the payment, then the attempt (always in that order, so two writers cannot deadlock). */
export async function lockAttempt(tx: Db, attemptId: string): Promise<{ payment: Payment; attempt: StkAttempt }> {
  const [ref] = await tx.select({ paymentId: stkAttempts.paymentId }).from(stkAttempts).where(eq(stkAttempts.id, attemptId));
  if (!ref) throw new AppError("not_found", "That attempt does not exist.", { status: 404 });
  const [payment] = await tx.select().from(payments).where(eq(payments.id, ref.paymentId)).for("update");
  const [attempt] = await tx.select().from(stkAttempts).where(eq(stkAttempts.id, attemptId)).for("update");
  return { payment, attempt };
}

async function receiptOwner(tx: Db, receipt: string | null, payment: Payment): Promise<ReceiptOwner> {
  if (!receipt) return "none";
  const [row] = await tx.select({ paymentId: receipts.paymentId }).from(receipts).where(eq(receipts.receipt, receipt));
  if (!row) return "none";
  if (row.paymentId === null) return "unassigned";
  return row.paymentId === payment.id ? "this_attempt" : "other_payment";
}

export async function applyStkEvidence(
  tx: Db,
  actor: EventActor,
  input: { attemptId: string; evidence: StkEvidence; rawCallbackId?: number | null; now: Date },
): Promise<ApplyResult> {
  const { payment, attempt } = await lockAttempt(tx, input.attemptId);
  const { evidence, now } = input;
  const [{ latest }] = await tx.select({ latest: max(stkAttempts.seq) }).from(stkAttempts).where(eq(stkAttempts.paymentId, payment.id));
  const decision = decide(
    { status: attempt.status, resultCode: attempt.resultCode, receipt: attempt.receipt, amountKes: attempt.amountKes, isLatest: latest === attempt.seq },
    { status: payment.status, receipt: payment.receipt, receiptPending: payment.receiptPending },
    evidence,
    await receiptOwner(tx, evidence.receipt, payment),
  );
  const ref = { paymentId: payment.id, attemptId: attempt.id, rawCallbackId: input.rawCallbackId ?? null };

  if (decision.claimReceipt && evidence.receipt) {
    await tx.insert(receipts).values({
      receipt: evidence.receipt,
      amountKes: evidence.amountKes ?? attempt.amountKes,
      paymentId: payment.id,
      attemptId: attempt.id,
      phone: evidence.phone ?? attempt.phone,
      transactionAt: evidence.transactionAt ?? null,
      firstSource: "stk_callback",
      seenInCallback: true,
    }).onConflictDoUpdate({
      target: receipts.receipt,
      set: { paymentId: sql`coalesce(${receipts.paymentId}, ${payment.id})`, attemptId: sql`coalesce(${receipts.attemptId}, ${attempt.id}::uuid)`, seenInCallback: true },
    });
  }

  const attemptFirstResult = attempt.resultCode === null && decision.attemptStatus !== undefined;
  if (decision.attemptStatus || decision.claimReceipt || evidence.source === "callback") {
    await tx.update(stkAttempts).set({
      ...(decision.attemptStatus ? { status: decision.attemptStatus } : {}),
      ...(attemptFirstResult ? { resultCode: evidence.resultCode, resultDesc: evidence.resultDesc } : {}),
      ...(decision.claimReceipt && !attempt.receipt && evidence.receipt ? { receipt: evidence.receipt } : {}),
      ...(evidence.source === "callback" && !attempt.callbackAt ? { callbackAt: now } : {}),
      // A final answer ends polling for this attempt.
      ...(decision.attemptStatus && decision.attemptStatus !== "pending" ? { nextPollAt: null, pollClaimedBy: null, pollClaimedUntil: null } : {}),
      updatedAt: now,
    }).where(eq(stkAttempts.id, attempt.id));
  }

  const eventType = evidence.source === "callback" ? "callback" : "query";
  await addPaymentEvent(tx, actor, {
    ...ref, type: eventType,
    summary: `${evidence.source === "callback" ? "Callback" : "STK Query"}: ResultCode ${evidence.resultCode} — ${decision.summary}`,
    data: { outcome: decision.outcome, resultCode: evidence.resultCode, resultDesc: evidence.resultDesc, receipt: evidence.receipt, amountKes: evidence.amountKes },
  });

  const receiptArrived = decision.claimReceipt && evidence.receipt && payment.status === "paid" && !payment.receipt && attempt.status === "paid";
  if (decision.paymentStatus && decision.paymentStatus !== payment.status) {
    await writePaymentStatus(tx, actor, payment, decision.paymentStatus, {
      ...ref, now, reason: decision.summary, resultCode: evidence.resultCode,
      receipt: decision.paymentStatus === "paid" ? evidence.receipt : undefined,
      receiptPending: decision.paymentStatus === "paid" ? !!decision.receiptPending : undefined,
    });
  } else if (receiptArrived) {
    await tx.update(payments).set({ receipt: evidence.receipt, receiptPending: false, updatedAt: now }).where(eq(payments.id, payment.id));
    await addPaymentEvent(tx, actor, { ...ref, type: "receipt_attached", summary: `Receipt ${evidence.receipt} attached` });
  }

  let exceptionId: string | null = null;
  if (decision.exception) {
    exceptionId = await openException(tx, actor, {
      type: decision.exception,
      dedupeKey: `${decision.exception}:${attempt.id}:${evidence.receipt ?? evidence.resultCode}`,
      summary: decision.summary,
      ...ref,
      receipt: evidence.receipt,
      amountAtStakeKes: evidence.outcome === "paid" ? evidence.amountKes ?? attempt.amountKes : attempt.amountKes,
      details: { evidence: { ...evidence, transactionAt: evidence.transactionAt?.toISOString() ?? null }, attemptStatus: attempt.status, paymentStatus: payment.status, recordedReceipt: attempt.receipt, recordedResultCode: attempt.resultCode },
    });
  }
  return { decision, paymentId: payment.id, attemptId: attempt.id, exceptionId };
}

/** Writes a payment's status and its timeline event. Callers have decided the change is allowed. */
export async function writePaymentStatus(
  tx: Db, actor: EventActor, payment: Pick<Payment, "id" | "status">, to: PaymentStatus,
  options: { now: Date; reason: string; attemptId?: string | null; rawCallbackId?: number | null; resultCode?: string | null; receipt?: string | null; receiptPending?: boolean },
): Promise<void> {
  const final = to !== "initiating" && to !== "pending";
  await tx.update(payments).set({
    status: to,
    statusReason: options.reason,
    ...(options.resultCode !== undefined ? { resultCode: options.resultCode } : {}),
    ...(options.receipt ? { receipt: options.receipt } : {}),
    ...(options.receiptPending !== undefined ? { receiptPending: options.receiptPending } : {}),
    ...(to === "paid" ? { paidAt: options.now } : {}),
    finalAt: final ? options.now : null,
    updatedAt: options.now,
  }).where(and(eq(payments.id, payment.id)));
  await addPaymentEvent(tx, actor, {
    paymentId: payment.id, attemptId: options.attemptId, rawCallbackId: options.rawCallbackId, type: "status_changed",
    summary: `Status ${payment.status} → ${to}: ${options.reason}`, data: { from: payment.status, to },
  });
}
