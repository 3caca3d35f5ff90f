// The resolutions that move money on our books: accept as paid, mark refunded, link an orphan
// callback, choose between conflicting witnesses, mark expired. Each runs inside the caller's
// transaction on a locked case and changes payment status only through writePaymentStatus.
import { claimReceiptForStaff, lockReceipt, markReceiptReversed } from "../ledger/receipts.server";
import { desc, eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  payments,
  rawCallbacks,
  stkAttempts,
  type Payment,
  type PaymentStatus,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { closeRelatedCases, openException } from "../ledger/cases.server";
import { caseKey, writePaymentStatus } from "../ledger/payments.server";
import { lockPayment } from "../ledger/payment-lock.server";
import { typeTitle } from "./actions";
import {
  closeCase,
  refuseWhileOpen,
  type ActionResult,
  type Case,
  type StaffActor,
} from "./case.server";
import { UUID } from "../../lib/uuid";

type Step = { actor: StaffActor; c: Case; note: string; now: Date };

function requirePayment(c: Case): Payment {
  if (!c.payment)
    throw new AppError(
      "no_payment",
      "This exception is not linked to a payment, so there is no payment to change.",
      { status: 409 },
    );
  return c.payment;
}

export async function acceptPaid(tx: Db, { actor, c, note, now }: Step): Promise<ActionResult> {
  const x = c.exception;
  const payment = requirePayment(c);
  if (payment.status === "paid" || payment.status === "refunded") {
    // Already booked: accepting keeps the second sum too (the customer is not refunded).
    if (x.receipt) await claimReceiptForStaff(tx, payment, x.receipt, { attemptId: x.attemptId });
    const summary =
      x.type === "double_payment"
        ? `both sums kept (receipts ${payment.receipt ?? "pending"} and ${x.receipt ?? "pending"})`
        : `the payment was already ${payment.status}; receipt ${x.receipt ?? "—"} kept as well`;
    return closeCase(tx, actor, c, {
      resolution: "accept_paid",
      note,
      now,
      summary,
      data: { keptReceipts: [payment.receipt, x.receipt] },
    });
  }
  refuseWhileOpen(payment);
  const row = x.receipt
    ? await claimReceiptForStaff(tx, payment, x.receipt, { attemptId: x.attemptId })
    : null;
  await writePaymentStatus(tx, actor, payment, "paid", {
    now,
    attemptId: x.attemptId,
    resultCode: "0",
    receipt: x.receipt,
    receiptPending: !x.receipt,
    reason: `Accepted as paid by ${actor.label}: ${note}`,
  });
  const amount =
    row && row.amountKes !== payment.amountKes
      ? ` (${formatKes(row.amountKes)} received for ${formatKes(payment.amountKes)} requested)`
      : "";
  return closeCase(tx, actor, c, {
    resolution: "accept_paid",
    note,
    now,
    summary: `payment accepted as paid with receipt ${x.receipt ?? "to follow"}${amount}`,
    data: { receipt: x.receipt },
  });
}

export async function markRefunded(
  tx: Db,
  step: Step & { reversalRef: string },
): Promise<ActionResult> {
  const { actor, c, note, now, reversalRef } = step;
  const x = c.exception;
  const payment = c.payment;
  // A partial reversal's receipt already names the statement's reversal line; the person records the
  // refund of the rest (the portal's ID) on the payment, not over that line.
  if (x.receipt && x.type !== "partial_reversal") {
    const row = await lockReceipt(tx, x.receipt);
    if (row?.reversedByReceipt && row.reversedByReceipt !== reversalRef) {
      throw new AppError(
        "already_reversed",
        `Receipt ${x.receipt} is already recorded as reversed by ${row.reversedByReceipt}.`,
        { status: 409, field: "reversalRef" },
      );
    }
    if (row) await markReceiptReversed(tx, x.receipt, reversalRef);
  }
  // Only the sum the payment is booked on makes the payment refunded; a second sum (double payment,
  // even one known only from STK Query, with no receipt yet) or money never booked (late success,
  // wrong amount) is recorded on its receipt alone.
  const booked =
    payment?.status === "paid" &&
    (x.receipt ? payment.receipt === x.receipt : x.type !== "double_payment");
  let summary = `receipt ${x.receipt ?? "—"} recorded as reversed by ${reversalRef}`;
  if (payment && booked) {
    await writePaymentStatus(tx, actor, payment, "refunded", {
      now,
      attemptId: x.attemptId,
      reason: `Refunded in the M-Pesa portal (reversal ${reversalRef}): ${note}`,
    });
    summary = `payment refunded (reversal ${reversalRef})`;
  } else if (payment?.status === "unknown") {
    // The money went back, so the question "did they pay?" has an answer: not for this order.
    await writePaymentStatus(tx, actor, payment, "failed", {
      now,
      attemptId: x.attemptId,
      reason: `The customer's money (receipt ${x.receipt ?? "—"}) was reversed (${reversalRef}): ${note}`,
    });
    summary += "; the payment is marked failed";
  }
  return closeCase(tx, actor, c, {
    resolution: "mark_refunded",
    note,
    now,
    summary,
    data: { reversalRef, receipt: x.receipt },
  });
}

async function findPaymentByRef(tx: Db, paymentRef: string): Promise<Payment> {
  const rows = UUID.test(paymentRef)
    ? await tx.select().from(payments).where(eq(payments.id, paymentRef))
    : await tx
        .select()
        .from(payments)
        .where(eq(payments.orderRef, paymentRef))
        .orderBy(desc(payments.createdAt))
        .limit(2);
  if (rows.length === 0)
    throw new AppError(
      "payment_not_found",
      `No payment has the id or order reference "${paymentRef}".`,
      { status: 400, field: "paymentRef" },
    );
  if (rows.length > 1)
    throw new AppError(
      "payment_ambiguous",
      `Several payments have order reference "${paymentRef}"; paste the payment's id instead.`,
      { status: 409, field: "paymentRef" },
    );
  return rows[0];
}

export async function linkToPayment(
  tx: Db,
  step: Step & { paymentRef: string },
): Promise<ActionResult> {
  const { actor, c, note, now } = step;
  const x = c.exception;
  const found = await findPaymentByRef(tx, step.paymentRef);
  const payment = (await lockPayment(tx, found.id))!;
  const carriedMoney =
    !!x.receipt && (x.details as { resultCode?: string } | null)?.resultCode === "0";
  let summary = `linked to the payment for order ${payment.orderRef}`;
  if (carriedMoney && x.receipt) {
    const alreadyBooked = payment.status === "paid" || payment.status === "refunded";
    if (!alreadyBooked) refuseWhileOpen(payment);
    const row = await claimReceiptForStaff(tx, payment, x.receipt);
    const ref = {
      paymentId: payment.id,
      receipt: x.receipt,
      rawCallbackId: x.rawCallbackId,
      amountAtStakeKes: row.amountKes,
    };
    if (alreadyBooked && payment.receipt === x.receipt) {
      summary += "; the receipt was already this payment's";
    } else if (alreadyBooked) {
      await openException(tx, actor, {
        ...ref,
        type: "double_payment",
        dedupeKey: `double_payment:link:${x.id}`,
        summary: `A linked callback (receipt ${x.receipt}) paid an already paid payment: the customer was charged twice`,
      });
      summary += "; it was already paid, so a double payment exception was opened";
    } else if (row.amountKes !== payment.amountKes) {
      await openException(tx, actor, {
        ...ref,
        type: "amount_mismatch",
        dedupeKey: caseKey("amount_mismatch", { receipt: x.receipt }),
        summary: `A linked callback paid ${formatKes(row.amountKes)} but ${formatKes(payment.amountKes)} was requested`,
      });
      summary += `; it paid ${formatKes(row.amountKes)} instead of ${formatKes(payment.amountKes)}, so a wrong-amount exception was opened`;
    } else {
      await writePaymentStatus(tx, actor, payment, "paid", {
        now,
        rawCallbackId: x.rawCallbackId,
        resultCode: "0",
        receipt: x.receipt,
        receiptPending: false,
        reason: `Orphan callback (receipt ${x.receipt}) linked by ${actor.label}: ${note}`,
      });
      summary += ` and paid with receipt ${x.receipt}`;
    }
  } else {
    summary += "; it carried no money";
  }
  if (x.rawCallbackId)
    await tx
      .update(rawCallbacks)
      .set({ paymentId: payment.id })
      .where(eq(rawCallbacks.id, x.rawCallbackId));
  // The payment's "no answer to the push" case was about this same money: it closes with this one.
  await closeRelatedCases(tx, actor, {
    paymentId: payment.id,
    types: ["unknown_outcome"],
    exceptId: x.id,
    resolution: "link_to_payment",
    note: `Settled by linking ${typeTitle(x.type).toLowerCase()} case: ${note}`,
    now,
    resolvedByUserId: actor.userId,
  });
  return closeCase(tx, actor, c, {
    resolution: "link_to_payment",
    note,
    now,
    summary,
    payment,
    paymentId: payment.id,
    data: { paymentId: payment.id, orderRef: payment.orderRef },
  });
}

const FAILED: PaymentStatus[] = ["failed", "cancelled", "expired"];

export async function chooseOutcome(
  tx: Db,
  step: Step & { outcome: "paid" | "failed" },
): Promise<ActionResult> {
  const { actor, c, note, now, outcome } = step;
  const x = c.exception;
  const payment = requirePayment(c);
  refuseWhileOpen(payment);
  if (outcome === "paid") {
    if (payment.status === "paid") {
      return closeCase(tx, actor, c, {
        resolution: "choose_outcome",
        note,
        now,
        summary: `kept paid with receipt ${payment.receipt ?? "to follow"}`,
        data: { outcome },
      });
    }
    const [attempt] = x.attemptId
      ? await tx
          .select({ receipt: stkAttempts.receipt })
          .from(stkAttempts)
          .where(eq(stkAttempts.id, x.attemptId))
      : [];
    const receipt = x.receipt ?? attempt?.receipt ?? null;
    if (receipt) await claimReceiptForStaff(tx, payment, receipt, { attemptId: x.attemptId });
    await writePaymentStatus(tx, actor, payment, "paid", {
      now,
      attemptId: x.attemptId,
      resultCode: "0",
      receipt,
      receiptPending: !receipt,
      reason: `${actor.label} chose paid: ${note}`,
    });
    return closeCase(tx, actor, c, {
      resolution: "choose_outcome",
      note,
      now,
      summary: `paid with receipt ${receipt ?? "to follow"}`,
      data: { outcome, receipt },
    });
  }
  if (FAILED.includes(payment.status)) {
    return closeCase(tx, actor, c, {
      resolution: "choose_outcome",
      note,
      now,
      summary: `kept ${payment.status}`,
      data: { outcome },
    });
  }
  // The failing witness says how it failed (cancelled, expired, …); fall back to plain failed.
  const evidence = (x.details as { evidence?: { outcome?: string; resultCode?: string } } | null)
    ?.evidence;
  const failure =
    evidence?.outcome && FAILED.includes(evidence.outcome as PaymentStatus)
      ? (evidence.outcome as PaymentStatus)
      : "failed";
  await writePaymentStatus(tx, actor, payment, failure, {
    now,
    attemptId: x.attemptId,
    resultCode: evidence?.resultCode ?? null,
    reason: `${actor.label} chose the failure: ${note}`,
    financeDecision: true,
  });
  return closeCase(tx, actor, c, {
    resolution: "choose_outcome",
    note,
    now,
    summary: `payment ${payment.status} → ${failure}`,
    data: { outcome, status: failure },
  });
}

export async function markExpired(tx: Db, { actor, c, note, now }: Step): Promise<ActionResult> {
  const payment = c.payment;
  if (payment?.status === "paid" || payment?.status === "refunded") {
    throw new AppError(
      "payment_paid",
      `The payment is ${payment.status} (receipt ${payment.receipt ?? "to follow"}); there is nothing to expire. Acknowledge the exception instead.`,
      { status: 409 },
    );
  }
  refuseWhileOpen(payment);
  if (payment?.status === "unknown") {
    await writePaymentStatus(tx, actor, payment, "expired", {
      now,
      attemptId: c.exception.attemptId,
      reason: `Marked expired by ${actor.label}: ${note}`,
    });
  }
  return closeCase(tx, actor, c, {
    resolution: "mark_expired",
    note,
    now,
    summary:
      payment?.status === "unknown"
        ? "payment marked expired"
        : `payment left ${payment?.status ?? "—"}`,
  });
}
