// The one writer of payment and attempt status (STYLE rule 4). Callbacks, the poller, staff actions and
// statement matches all come through here, inside the caller's transaction, and each change writes its
// timeline event in that same transaction. The rules themselves are the pure `decide` in transitions.ts.
import { createHash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  payments,
  receipts,
  stkAttempts,
  type Payment,
  type ExceptionType,
  type PaymentStatus,
  type PhoneKind,
  type StkAttempt,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { openException } from "./cases.server";
import { addPaymentEvents, type EventActor, type NewEvent } from "./events.server";
import { emitWebhookEvents } from "./outbox.server";
import { chargeOfReceipt } from "./charges.server";
import { claimReceipt, lockReceipt, ownershipOf, type ReceiptOwnership } from "./receipts.server";
import {
  canMovePayment,
  decide,
  isWellFormedReceipt,
  type Decision,
  type Evidence,
  type ReceiptOwner,
} from "./transitions";
import { formatKes } from "../../lib/money";
import { isAnnouncedStatus } from "./webhook-events";

export type StkEvidence = Evidence & {
  resultDesc: string;
  transactionAt?: Date | null;
  phone?: string | null;
  phoneKind?: PhoneKind | null;
};

export type ApplyResult = {
  decision: Decision;
  paymentId: string;
  attemptId: string;
  exceptionId: string | null;
};

/**
 * Locks the payment, then the attempt (always in that order, so two writers cannot deadlock), and
 * reads whether the attempt is the payment's newest. `paymentId` saves a lookup when the caller knows it.
 *
 * Payments and attempts are locked FOR NO KEY UPDATE (here, by the other gate writers, re-send and
 * the poller's claim): writers still exclude each other, but a row that only references the payment
 * (a case, a refund: a foreign key's KEY SHARE check) neither waits for them nor makes them wait.
 * FOR UPDATE would stall callbacks for as long as such a transaction runs, and could deadlock with the
 * applier. (Statement lines lock no payment: migration 0030 checks them without a lock.) (Writing
 * an attempt's CheckoutRequestID, a unique key, takes the full lock; nothing references an attempt
 * still being initiated.)
 */
export async function lockAttempt(
  tx: Db,
  attemptId: string,
  knownPaymentId?: string,
): Promise<{ payment: Payment; attempt: StkAttempt; isLatest: boolean }> {
  let paymentId = knownPaymentId;
  if (!paymentId) {
    const [ref] = await tx
      .select({ paymentId: stkAttempts.paymentId })
      .from(stkAttempts)
      .where(eq(stkAttempts.id, attemptId));
    if (!ref) throw new AppError("not_found", "That attempt does not exist.", { status: 404 });
    paymentId = ref.paymentId;
  }
  const [payment] = await tx
    .select()
    .from(payments)
    .where(eq(payments.id, paymentId))
    .for("no key update");
  const [row] = await tx
    .select({
      attempt: stkAttempts,
      latest: latestSeqOfPayment(),
    })
    .from(stkAttempts)
    .where(eq(stkAttempts.id, attemptId))
    .for("no key update", { of: stkAttempts });
  if (!payment || !row)
    throw new AppError("not_found", "That attempt does not exist.", { status: 404 });
  return { payment, attempt: row.attempt, isLatest: row.latest === row.attempt.seq };
}

function ownerForDecision(ownership: ReceiptOwnership): ReceiptOwner {
  return ownership === "this_payment" ? "this_attempt" : ownership;
}

/** In a select from stk_attempts: the payment's latest attempt number (is this attempt the latest?). */
export const latestSeqOfPayment = () =>
  sql<number>`(select max(s.seq) from stk_attempts s where s.payment_id = "stk_attempts"."payment_id")`.mapWith(
    Number,
  );

export async function applyStkEvidence(
  tx: Db,
  actor: EventActor,
  input: {
    attemptId: string;
    paymentId?: string;
    evidence: StkEvidence;
    rawCallbackId?: number | null;
    now: Date;
  },
): Promise<ApplyResult> {
  const { payment, attempt, isLatest } = await lockAttempt(tx, input.attemptId, input.paymentId);
  const { evidence, now } = input;
  // The receipt is locked before the decision, so two payments naming the same receipt are decided
  // one after the other: the second sees the first as the owner.
  const wellFormed = evidence.receipt !== null && isWellFormedReceipt(evidence.receipt);
  const receiptRow = wellFormed ? await lockReceipt(tx, evidence.receipt!) : null;
  const attemptReceiptRow =
    attempt.receipt && attempt.receipt !== evidence.receipt
      ? (await tx.select().from(receipts).where(eq(receipts.receipt, attempt.receipt)))[0]
      : attempt.receipt
        ? receiptRow
        : null;
  const witnessesDisagree =
    receiptRow !== null &&
    evidence.outcome === "paid" &&
    evidence.amountKes !== null &&
    receiptRow.amountKes !== evidence.amountKes;
  const decision: Decision = witnessesDisagree
    ? {
        // Another witness (C2B, statement, an earlier callback) recorded this receipt with another
        // amount: nothing moves until a person has looked.
        outcome: "conflict",
        exception: "amount_mismatch",
        summary: `Witnesses disagree on receipt ${evidence.receipt}: ${formatKes(receiptRow.amountKes)} recorded, ${formatKes(evidence.amountKes!)} in this callback`,
      }
    : decide(
        {
          status: attempt.status,
          resultCode: attempt.resultCode,
          receipt: attempt.receipt,
          amountKes: attempt.amountKes,
          receiptAmountKes: attemptReceiptRow?.amountKes ?? null,
          isLatest,
        },
        {
          status: payment.status,
          receipt: payment.receipt,
          receiptPending: payment.receiptPending,
        },
        evidence,
        ownerForDecision(ownershipOf(receiptRow, payment.id)),
      );
  const ref = {
    paymentId: payment.id,
    attemptId: attempt.id,
    rawCallbackId: input.rawCallbackId ?? null,
  };

  if (decision.claimReceipt && evidence.receipt && wellFormed) {
    const claimed = await claimReceipt(tx, {
      receipt: evidence.receipt,
      amountKes: evidence.amountKes ?? attempt.amountKes,
      paymentId: payment.id,
      attemptId: attempt.id,
      phone: evidence.phone ?? attempt.phone,
      phoneKind: evidence.phoneKind ?? null,
      transactionAt: evidence.transactionAt ?? null,
      source: "stk_callback",
      locked: { row: receiptRow }, // taken above: no second lock and read
    });
    if (claimed.ownership === "other_payment")
      // Cannot happen under the receipt lock; refuse loudly rather than count the money twice.
      throw new AppError(
        "receipt_taken",
        `Receipt ${evidence.receipt} belongs to another payment.`,
        { status: 409 },
      );
  }

  const attemptFirstResult = attempt.resultCode === null && decision.attemptStatus !== undefined;
  if (decision.attemptStatus || decision.claimReceipt || evidence.source === "callback") {
    await tx
      .update(stkAttempts)
      .set({
        ...(decision.attemptStatus ? { status: decision.attemptStatus } : {}),
        ...(attemptFirstResult
          ? { resultCode: evidence.resultCode, resultDesc: evidence.resultDesc }
          : {}),
        ...(decision.claimReceipt && !attempt.receipt && evidence.receipt
          ? { receipt: evidence.receipt }
          : {}),
        ...(evidence.source === "callback" && !attempt.callbackAt ? { callbackAt: now } : {}),
        // A final answer ends polling for this attempt.
        ...(decision.attemptStatus && decision.attemptStatus !== "pending"
          ? { nextPollAt: null, pollClaimedBy: null, pollClaimedUntil: null }
          : {}),
        updatedAt: now,
      })
      .where(eq(stkAttempts.id, attempt.id));
  }

  const evidenceEvent = evidenceEventOf(ref, evidence, decision);

  const receiptArrived =
    decision.claimReceipt &&
    !decision.exception &&
    evidence.receipt &&
    payment.status === "paid" &&
    !payment.receipt &&
    attempt.status === "paid";
  if (decision.paymentStatus && decision.paymentStatus !== payment.status) {
    await writePaymentStatus(tx, actor, payment, decision.paymentStatus, {
      ...ref,
      now,
      reason: decision.summary,
      resultCode: evidence.resultCode,
      receipt: decision.paymentStatus === "paid" ? evidence.receipt : undefined,
      receiptPending: decision.paymentStatus === "paid" ? !!decision.receiptPending : undefined,
      paidAt: decision.paymentStatus === "paid" ? (evidence.transactionAt ?? null) : undefined,
      precedingEvent: evidenceEvent,
    });
  } else if (receiptArrived) {
    await tx
      .update(payments)
      .set({
        receipt: evidence.receipt,
        chargeKes: chargeOfReceipt(evidence.receipt!),
        receiptPending: false,
        statusReason: `Paid, receipt ${evidence.receipt}`,
        // M-Pesa's own time of the payment now that we have it (the query only told us "paid").
        ...(evidence.transactionAt ? { paidAt: evidence.transactionAt } : {}),
        updatedAt: now,
      })
      .where(eq(payments.id, payment.id));
    await addPaymentEvents(tx, actor, [
      evidenceEvent,
      { ...ref, type: "receipt_attached", summary: `Receipt ${evidence.receipt} attached` },
    ]);
    await emitWebhookEvents(tx, [{ type: "payment.receipt_recorded", paymentId: payment.id }]);
  } else {
    await addPaymentEvents(tx, actor, [evidenceEvent]);
  }

  let exceptionId: string | null = null;
  if (decision.exception) {
    exceptionId = await openException(tx, actor, {
      type: decision.exception,
      dedupeKey: caseKey(decision.exception, {
        attemptId: attempt.id,
        receipt: wellFormed ? evidence.receipt : null,
        detail: evidence.receipt ?? evidence.resultCode,
      }),
      summary: decision.summary,
      ...ref,
      receipt: wellFormed ? evidence.receipt : null,
      amountAtStakeKes: atStake(decision.exception, evidence, attempt.amountKes),
      details: {
        evidence: { ...evidence, transactionAt: evidence.transactionAt?.toISOString() ?? null },
        attemptStatus: attempt.status,
        paymentStatus: payment.status,
        recordedReceipt: attempt.receipt,
        recordedResultCode: attempt.resultCode,
      },
    });
  }
  return { decision, paymentId: payment.id, attemptId: attempt.id, exceptionId };
}

/** The timeline event that records a piece of evidence and what the gate decided on it. */
export function evidenceEventOf(
  ref: { paymentId: string; attemptId: string; rawCallbackId: number | null },
  evidence: StkEvidence,
  decision: Decision,
): NewEvent {
  return {
    ...ref,
    type: evidence.source === "callback" ? "callback" : "query",
    summary: `${evidence.source === "callback" ? "Callback" : "STK Query"}: ResultCode ${evidence.resultCode} — ${decision.summary}`,
    data: {
      outcome: decision.outcome,
      resultCode: evidence.resultCode,
      resultDesc: evidence.resultDesc,
      receipt: evidence.receipt,
      amountKes: evidence.amountKes,
      ...(evidence.amountProblem ? { amountProblem: evidence.amountProblem } : {}),
    },
  };
}

/**
 * One fact, one case: a case about a receipt's money is keyed by the receipt alone, so the callback,
 * the C2B confirmation and the statement line that describe the same money open one case.
 */
export function caseKey(
  type: ExceptionType,
  fact: { attemptId?: string | null; receipt?: string | null; detail?: string | null },
): string {
  if (
    fact.receipt &&
    (type === "amount_mismatch" || type === "duplicate_receipt" || type === "late_success")
  )
    return `${type}:${fact.attemptId && type === "duplicate_receipt" ? `${fact.attemptId}:` : ""}${fact.receipt}`;
  return boundedKey(`${type}:${fact.attemptId ?? "-"}:${fact.detail ?? "-"}`);
}

/**
 * A dedupe key of outside text (a ResultCode, a bad receipt) short enough for its unique index (a
 * btree entry over ~2.7 KB fails for ever): past 200 characters, its start and the whole's SHA-256.
 */
export function boundedKey(key: string): string {
  if (key.length <= 200) return key;
  return `${key.slice(0, 100)}…sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** The money a case is about, counted once: the sum a well-formed receipt carried, else the request. */
function atStake(type: ExceptionType, evidence: StkEvidence, requestedKes: number): number {
  if (type === "duplicate_receipt") return 0; // the money is already on the other payment
  if (
    evidence.outcome === "paid" &&
    evidence.amountKes !== null &&
    isWellFormedReceipt(evidence.receipt)
  )
    return evidence.amountKes;
  return requestedKes;
}

/** Writes a payment's status and its timeline event. Callers have decided the change is allowed. */
export async function writePaymentStatus(
  tx: Db,
  actor: EventActor,
  payment: Pick<Payment, "id" | "status">,
  to: PaymentStatus,
  options: {
    now: Date;
    reason: string;
    attemptId?: string | null;
    rawCallbackId?: number | null;
    resultCode?: string | null;
    receipt?: string | null;
    receiptPending?: boolean;
    paidAt?: Date | null;
    /** A finance user chose between conflicting witnesses (FINANCE_OVERRIDES). */
    financeDecision?: boolean;
    /** The evidence that caused the change, written in the same statement as the status event. */
    precedingEvent?: NewEvent;
  },
): Promise<void> {
  if (!canMovePayment(payment.status, to, { financeDecision: options.financeDecision }))
    throw new AppError(
      "invalid_transition",
      `A payment cannot move from ${payment.status} to ${to}.`,
      { status: 409 },
    );
  const final = to !== "initiating" && to !== "pending";
  // Paid at M-Pesa's time: the evidence's TransactionDate / statement time, else the receipt's.
  let paidAt = options.paidAt ?? null;
  if (to === "paid" && !paidAt && options.receipt) {
    const [row] = await tx
      .select({ at: receipts.transactionAt })
      .from(receipts)
      .where(eq(receipts.receipt, options.receipt));
    paidAt = row?.at ?? null;
  }
  await tx
    .update(payments)
    .set({
      status: to,
      statusReason: options.reason,
      ...(options.resultCode !== undefined ? { resultCode: options.resultCode } : {}),
      // The receipt's charge travels with it, for the revenue rollup (migration 0013).
      ...(options.receipt
        ? { receipt: options.receipt, chargeKes: chargeOfReceipt(options.receipt) }
        : {}),
      ...(options.receiptPending !== undefined ? { receiptPending: options.receiptPending } : {}),
      // A statement or C2B match knows when the money moved; that, not the moment we learned it, is paid_at.
      ...(to === "paid" ? { paidAt: paidAt ?? options.now, paidRecordedAt: options.now } : {}),
      finalAt: final ? options.now : null,
      updatedAt: options.now,
    })
    .where(and(eq(payments.id, payment.id)));
  await addPaymentEvents(tx, actor, [
    ...(options.precedingEvent ? [options.precedingEvent] : []),
    {
      paymentId: payment.id,
      attemptId: options.attemptId,
      rawCallbackId: options.rawCallbackId,
      type: "status_changed",
      summary: `Status ${payment.status} → ${to}: ${options.reason}`,
      data: { from: payment.status, to },
    },
  ]);
  // Merchants hear of every outcome (payment.paid, payment.refunded, …) from this one place.
  if (isAnnouncedStatus(to))
    await emitWebhookEvents(tx, [
      { type: `payment.${to}`, paymentId: payment.id, data: { previousStatus: payment.status } },
    ]);
}
