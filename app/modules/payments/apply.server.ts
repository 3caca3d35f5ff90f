// The one writer of payment and attempt status (STYLE rule 4). Callbacks, the poller, staff actions and
// statement matches all come through here, inside the caller's transaction, and each change writes its
// timeline event in that same transaction. The rules themselves are the pure `decide` in transitions.ts.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  payments,
  receipts,
  stkAttempts,
  type Payment,
  type PaymentStatus,
  type StkAttempt,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { openException } from "../exceptions/open.server";
import { addPaymentEvent, addPaymentEvents, type EventActor, type NewEvent } from "./events.server";
import {
  decide,
  isOpenPayment,
  type Decision,
  type Evidence,
  type ReceiptOwner,
} from "./transitions";
import { formatKes } from "../../lib/money";

export type StkEvidence = Evidence & {
  resultDesc: string;
  transactionAt?: Date | null;
  phone?: string | null;
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
    .for("update");
  const [row] = await tx
    .select({
      attempt: stkAttempts,
      latest:
        sql<number>`(select max(s.seq) from stk_attempts s where s.payment_id = "stk_attempts"."payment_id")`.mapWith(
          Number,
        ),
    })
    .from(stkAttempts)
    .where(eq(stkAttempts.id, attemptId))
    .for("update", { of: stkAttempts });
  if (!payment || !row)
    throw new AppError("not_found", "That attempt does not exist.", { status: 404 });
  return { payment, attempt: row.attempt, isLatest: row.latest === row.attempt.seq };
}

async function receiptOwner(
  tx: Db,
  receipt: string | null,
  payment: Payment,
): Promise<ReceiptOwner> {
  if (!receipt) return "none";
  const [row] = await tx
    .select({ paymentId: receipts.paymentId })
    .from(receipts)
    .where(eq(receipts.receipt, receipt));
  if (!row) return "none";
  if (row.paymentId === null) return "unassigned";
  return row.paymentId === payment.id ? "this_attempt" : "other_payment";
}

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
  const decision = decide(
    {
      status: attempt.status,
      resultCode: attempt.resultCode,
      receipt: attempt.receipt,
      amountKes: attempt.amountKes,
      isLatest,
    },
    { status: payment.status, receipt: payment.receipt, receiptPending: payment.receiptPending },
    evidence,
    await receiptOwner(tx, evidence.receipt, payment),
  );
  const ref = {
    paymentId: payment.id,
    attemptId: attempt.id,
    rawCallbackId: input.rawCallbackId ?? null,
  };

  if (decision.claimReceipt && evidence.receipt) {
    await tx
      .insert(receipts)
      .values({
        receipt: evidence.receipt,
        amountKes: evidence.amountKes ?? attempt.amountKes,
        paymentId: payment.id,
        attemptId: attempt.id,
        phone: evidence.phone ?? attempt.phone,
        transactionAt: evidence.transactionAt ?? null,
        firstSource: "stk_callback",
        seenInCallback: true,
      })
      .onConflictDoUpdate({
        target: receipts.receipt,
        set: {
          paymentId: sql`coalesce(${receipts.paymentId}, ${payment.id})`,
          attemptId: sql`coalesce(${receipts.attemptId}, ${attempt.id}::uuid)`,
          seenInCallback: true,
        },
      });
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

  const evidenceEvent: NewEvent = {
    ...ref,
    type: evidence.source === "callback" ? "callback" : "query",
    summary: `${evidence.source === "callback" ? "Callback" : "STK Query"}: ResultCode ${evidence.resultCode} — ${decision.summary}`,
    data: {
      outcome: decision.outcome,
      resultCode: evidence.resultCode,
      resultDesc: evidence.resultDesc,
      receipt: evidence.receipt,
      amountKes: evidence.amountKes,
    },
  };

  const receiptArrived =
    decision.claimReceipt &&
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
      precedingEvent: evidenceEvent,
    });
  } else if (receiptArrived) {
    await tx
      .update(payments)
      .set({ receipt: evidence.receipt, receiptPending: false, updatedAt: now })
      .where(eq(payments.id, payment.id));
    await addPaymentEvents(tx, actor, [
      evidenceEvent,
      { ...ref, type: "receipt_attached", summary: `Receipt ${evidence.receipt} attached` },
    ]);
  } else {
    await addPaymentEvents(tx, actor, [evidenceEvent]);
  }

  let exceptionId: string | null = null;
  if (decision.exception) {
    exceptionId = await openException(tx, actor, {
      type: decision.exception,
      dedupeKey: `${decision.exception}:${attempt.id}:${evidence.receipt ?? evidence.resultCode}`,
      summary: decision.summary,
      ...ref,
      receipt: evidence.receipt,
      amountAtStakeKes:
        evidence.outcome === "paid" ? (evidence.amountKes ?? attempt.amountKes) : attempt.amountKes,
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
    /** The evidence that caused the change, written in the same statement as the status event. */
    precedingEvent?: NewEvent;
  },
): Promise<void> {
  const final = to !== "initiating" && to !== "pending";
  await tx
    .update(payments)
    .set({
      status: to,
      statusReason: options.reason,
      ...(options.resultCode !== undefined ? { resultCode: options.resultCode } : {}),
      ...(options.receipt ? { receipt: options.receipt } : {}),
      ...(options.receiptPending !== undefined ? { receiptPending: options.receiptPending } : {}),
      // A statement or C2B match knows when the money moved; that, not the moment we learned it, is paid_at.
      ...(to === "paid" ? { paidAt: options.paidAt ?? options.now } : {}),
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
}

export type ReceiptMatch = {
  paymentId: string;
  receipt: string;
  amountKes: number;
  transactionAt: Date | null;
  phone?: string | null;
  source: "statement" | "c2b";
  /** Finance confirmed the match: a closed, unpaid payment becomes paid. Automatic matches never flip it. */
  confirmedByStaff: boolean;
  /** What matched, for the timeline (e.g. "statement line TCE… (A/C INV-1, KES 1,250)"). */
  evidence: string;
  now: Date;
  rawCallbackId?: number | null;
  statementLineId?: number | null;
};

export type ReceiptMatchResult = {
  outcome: "paid" | "receipt_attached" | "already_recorded" | "late_success" | "conflict";
  summary: string;
  exceptionId: string | null;
};

const OPEN_ATTEMPTS = ["initiating", "pending", "unknown"];

/**
 * Money seen on the statement or in a C2B confirmation, matched to a payment without an STK receipt
 * (docs/daraja.md#c2b-confirmation, #statement-matching): claims the receipt for the payment and
 * settles its status. An open payment becomes paid; a paid one waiting for its receipt gets it; a
 * closed one becomes paid only when finance confirmed, otherwise a late_success exception records
 * the money and the status stays.
 */
export async function applyReceiptMatch(
  tx: Db,
  actor: EventActor,
  m: ReceiptMatch,
): Promise<ReceiptMatchResult> {
  const [payment] = await tx
    .select()
    .from(payments)
    .where(eq(payments.id, m.paymentId))
    .for("update");
  if (!payment) throw new AppError("not_found", "That payment does not exist.", { status: 404 });
  const [attempt] = await tx
    .select()
    .from(stkAttempts)
    .where(eq(stkAttempts.paymentId, payment.id))
    .orderBy(desc(stkAttempts.seq))
    .limit(1)
    .for("update");
  const ref = {
    paymentId: payment.id,
    attemptId: attempt?.id ?? null,
    rawCallbackId: m.rawCallbackId ?? null,
  };
  const result = (
    outcome: ReceiptMatchResult["outcome"],
    summary: string,
    exceptionId: string | null = null,
  ) => ({ outcome, summary, exceptionId });

  if (payment.receipt === m.receipt)
    return result("already_recorded", `Receipt ${m.receipt} was already this payment's receipt`);
  if ((payment.status === "paid" && !payment.receiptPending) || payment.status === "refunded") {
    return result(
      "conflict",
      `The payment is already ${payment.status}${payment.receipt ? ` with receipt ${payment.receipt}` : ""}`,
    );
  }

  // One receipt is one sum of money: the ledger row now points at this payment, unless another
  // payment claimed it first (coalesce keeps the first owner, and the returned owner tells us).
  const mine = sql`(${receipts.paymentId} is null or ${receipts.paymentId} = ${payment.id}::uuid)`;
  const [claimed] = await tx
    .insert(receipts)
    .values({
      receipt: m.receipt,
      amountKes: m.amountKes,
      paymentId: payment.id,
      attemptId: attempt?.id ?? null,
      phone: m.phone ?? null,
      transactionAt: m.transactionAt,
      firstSource: m.source,
      seenInStatement: m.source === "statement",
      seenInC2b: m.source === "c2b",
    })
    .onConflictDoUpdate({
      target: receipts.receipt,
      set: {
        paymentId: sql`coalesce(${receipts.paymentId}, ${payment.id}::uuid)`,
        attemptId: sql`case when ${mine} then coalesce(${receipts.attemptId}, ${attempt?.id ?? null}::uuid) else ${receipts.attemptId} end`,
      },
    })
    .returning({ paymentId: receipts.paymentId });
  if (claimed.paymentId !== payment.id)
    return result("conflict", `Receipt ${m.receipt} already belongs to another payment`);
  await addPaymentEvent(tx, actor, {
    ...ref,
    type: `${m.source}_match`,
    summary: `Matched to ${m.evidence}`,
    data: {
      receipt: m.receipt,
      amountKes: m.amountKes,
      statementLineId: m.statementLineId ?? null,
    },
  });

  if (m.amountKes !== payment.amountKes) {
    const exceptionId = await openException(tx, actor, {
      type: "amount_mismatch",
      dedupeKey: `amount_mismatch:${m.source}:${m.receipt}`,
      ...ref,
      statementLineId: m.statementLineId,
      receipt: m.receipt,
      amountAtStakeKes: m.amountKes,
      summary: `Received ${formatKes(m.amountKes)} but ${formatKes(payment.amountKes)} was requested`,
      details: { witness: m.source, receivedKes: m.amountKes, requestedKes: payment.amountKes },
    });
    return result(
      "conflict",
      `Amount differs: ${formatKes(m.amountKes)} received, ${formatKes(payment.amountKes)} requested`,
      exceptionId,
    );
  }

  const settleAttempt = attempt && OPEN_ATTEMPTS.includes(attempt.status);
  if (payment.status === "paid") {
    await tx
      .update(payments)
      .set({ receipt: m.receipt, receiptPending: false, updatedAt: m.now })
      .where(eq(payments.id, payment.id));
    if (attempt?.status === "paid" && !attempt.receipt)
      await tx
        .update(stkAttempts)
        .set({ receipt: m.receipt, updatedAt: m.now })
        .where(eq(stkAttempts.id, attempt.id));
    await addPaymentEvent(tx, actor, {
      ...ref,
      type: "receipt_attached",
      summary: `Receipt ${m.receipt} attached from the ${m.source === "c2b" ? "C2B confirmation" : "statement"}`,
    });
    return result("receipt_attached", `Receipt ${m.receipt} attached`);
  }

  if (isOpenPayment(payment.status) || m.confirmedByStaff) {
    if (settleAttempt) {
      // The money is proven, so this attempt needs no more polling; a later callback repeats it (duplicate).
      await tx
        .update(stkAttempts)
        .set({
          status: "paid",
          receipt: m.receipt,
          nextPollAt: null,
          pollClaimedBy: null,
          pollClaimedUntil: null,
          updatedAt: m.now,
        })
        .where(eq(stkAttempts.id, attempt.id));
    }
    await writePaymentStatus(tx, actor, payment, "paid", {
      now: m.now,
      paidAt: m.transactionAt,
      attemptId: ref.attemptId,
      rawCallbackId: ref.rawCallbackId,
      receipt: m.receipt,
      receiptPending: false,
      reason: m.confirmedByStaff
        ? `Confirmed by ${actor.label} from ${m.evidence}`
        : `Paid, receipt ${m.receipt} (${m.source === "c2b" ? "C2B confirmation" : "statement"})`,
    });
    return result("paid", `Paid, receipt ${m.receipt}`);
  }

  const exceptionId = await openException(tx, actor, {
    type: "late_success",
    dedupeKey: `late_success:${m.source}:${m.receipt}`,
    ...ref,
    statementLineId: m.statementLineId,
    receipt: m.receipt,
    amountAtStakeKes: m.amountKes,
    summary: `The customer paid (receipt ${m.receipt}) after the payment was marked ${payment.status}`,
    details: { witness: m.source, paymentStatus: payment.status, evidence: m.evidence },
  });
  return result(
    "late_success",
    `Money arrived after the payment was marked ${payment.status}`,
    exceptionId,
  );
}
