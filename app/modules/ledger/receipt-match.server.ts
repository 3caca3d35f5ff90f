// Money seen on the statement or in a C2B confirmation, matched to a payment: the ledger's second
// way in (the first is STK evidence, payments.server.ts). The receipt is claimed under its lock, its
// amount checked against the request and against other witnesses, and the status settled.
import { desc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { payments, stkAttempts } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { openException } from "./cases.server";
import { addPaymentEvent, type EventActor } from "./events.server";
import { emitWebhookEvents } from "./outbox.server";
import { caseKey, writePaymentStatus } from "./payments.server";
import { chargeOfReceipt } from "./charges.server";
import { claimReceipt, type ReceiptSource } from "./receipts.server";
import { isOpenPayment, isWellFormedReceipt } from "./transitions";

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
    .for("no key update");
  if (!payment) throw new AppError("not_found", "That payment does not exist.", { status: 404 });
  const [attempt] = await tx
    .select()
    .from(stkAttempts)
    .where(eq(stkAttempts.paymentId, payment.id))
    .orderBy(desc(stkAttempts.seq))
    .limit(1)
    .for("no key update");
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
  const witness = m.source === "c2b" ? "C2B confirmation" : "statement";

  if (!isWellFormedReceipt(m.receipt) || !Number.isSafeInteger(m.amountKes) || m.amountKes <= 0)
    return result(
      "conflict",
      `Not complete evidence: receipt ${JSON.stringify(m.receipt.slice(0, 40))}, amount ${m.amountKes}`,
    );
  if (payment.receipt === m.receipt)
    return result("already_recorded", `Receipt ${m.receipt} was already this payment's receipt`);
  if ((payment.status === "paid" && !payment.receiptPending) || payment.status === "refunded") {
    return result(
      "conflict",
      `The payment is already ${payment.status}${payment.receipt ? ` with receipt ${payment.receipt}` : ""}`,
    );
  }

  // One receipt is one sum of money: it becomes this payment's unless another payment owns it.
  const claimed = await claimReceipt(tx, {
    receipt: m.receipt,
    amountKes: m.amountKes,
    paymentId: payment.id,
    attemptId: attempt?.id ?? null,
    phone: m.phone ?? null,
    transactionAt: m.transactionAt,
    source: m.source satisfies ReceiptSource,
  });
  if (claimed.ownership === "other_payment")
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

  // The amount first recorded for the receipt is what other witnesses are checked against.
  const recordedKes = claimed.row.amountKes;
  if (m.amountKes !== payment.amountKes || recordedKes !== payment.amountKes) {
    const summary =
      recordedKes !== m.amountKes
        ? `Witnesses disagree on receipt ${m.receipt}: ${formatKes(recordedKes)} recorded, ${formatKes(m.amountKes)} in the ${witness}; ${formatKes(payment.amountKes)} was requested`
        : `Received ${formatKes(m.amountKes)} but ${formatKes(payment.amountKes)} was requested`;
    // A query-only "paid" is contradicted by the receipt's amount: the payment is no longer paid.
    if (payment.status === "paid")
      await writePaymentStatus(tx, actor, payment, "unknown", {
        now: m.now,
        attemptId: ref.attemptId,
        rawCallbackId: ref.rawCallbackId,
        reason: `${summary} (receipt ${m.receipt}, ${witness})`,
      });
    const exceptionId = await openException(tx, actor, {
      type: "amount_mismatch",
      dedupeKey: caseKey("amount_mismatch", { receipt: m.receipt }),
      ...ref,
      statementLineId: m.statementLineId,
      receipt: m.receipt,
      amountAtStakeKes: m.amountKes,
      summary,
      details: {
        witness: m.source,
        receivedKes: m.amountKes,
        recordedKes,
        requestedKes: payment.amountKes,
      },
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
      .set({
        receipt: m.receipt,
        chargeKes: chargeOfReceipt(m.receipt),
        receiptPending: false,
        statusReason: `Paid, receipt ${m.receipt} (${witness})`,
        ...(m.transactionAt ? { paidAt: m.transactionAt } : {}),
        updatedAt: m.now,
      })
      .where(eq(payments.id, payment.id));
    if (attempt?.status === "paid" && !attempt.receipt)
      await tx
        .update(stkAttempts)
        .set({ receipt: m.receipt, updatedAt: m.now })
        .where(eq(stkAttempts.id, attempt.id));
    await addPaymentEvent(tx, actor, {
      ...ref,
      type: "receipt_attached",
      summary: `Receipt ${m.receipt} attached from the ${witness}`,
    });
    await emitWebhookEvents(tx, [{ type: "payment.receipt_recorded", paymentId: payment.id }]);
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
        : `Paid, receipt ${m.receipt} (${witness})`,
    });
    return result("paid", `Paid, receipt ${m.receipt}`);
  }

  const exceptionId = await openException(tx, actor, {
    type: "late_success",
    dedupeKey: caseKey("late_success", { receipt: m.receipt }),
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
