// The gate's commands for evidence from Daraja's initiator APIs (docs/daraja.md#transaction-status,
// #reversal): a Transaction Status result can supply a receipt, confirm an amount or contradict our
// books (a case); a successful reversal result refunds the payment. Each runs inside the caller's
// transaction, locks the payment then the receipt, and writes its timeline event there. Nothing moves
// on incomplete evidence: a missing or malformed receipt, amount or status only leaves a note.
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { payments, type ExceptionType, type Payment } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { normalizeKenyanPhone } from "../daraja/phone";
import { openException } from "./cases.server";
import { chargeOfReceipt } from "./charges.server";
import { addPaymentEvent, addPaymentEvents, type EventActor } from "./events.server";
import { emitWebhookEvents } from "./outbox.server";
import { lockPayment } from "./payment-lock.server";
import { caseKey, writePaymentStatus } from "./payments.server";
import { claimReceipt, lockReceipt, markReceiptReversed, ownershipOf } from "./receipts.server";
import { isWellFormedReceipt } from "./transitions";

export type StatusEvidence = {
  resultCode: string;
  resultDesc: string;
  receipt: string | null;
  amountKes: number | null;
  transactionStatus: string | null;
  /** `2547… - NAME` or `07… - Name` as Daraja wrote it. */
  debitParty: string | null;
  finalisedAt: Date | null;
};

export type GateOutcome = {
  outcome: "applied" | "duplicate" | "conflict";
  summary: string;
  exceptionId?: string | null;
};

type Ref = { paymentId: string; rawCallbackId: number | null; now: Date };

async function lockPaymentOr404(tx: Db, paymentId: string): Promise<Payment> {
  const payment = await lockPayment(tx, paymentId);
  if (!payment) throw new AppError("not_found", "That payment does not exist.", { status: 404 });
  return payment;
}

/** The whole number at the front of a DebitPartyName, or null when it is masked or absent. */
export function payerNumberOf(debitParty: string | null): string | null {
  const head = debitParty?.split(" - ")[0]?.trim() ?? "";
  const phone = normalizeKenyanPhone(head);
  return phone.ok ? phone.msisdn : null;
}

async function note(tx: Db, actor: EventActor, ref: Ref, summary: string, data?: unknown) {
  await addPaymentEvent(tx, actor, {
    paymentId: ref.paymentId,
    rawCallbackId: ref.rawCallbackId,
    type: "status_result",
    summary,
    data,
  });
}

async function openCase(
  tx: Db,
  actor: EventActor,
  ref: Ref,
  input: { type: ExceptionType; summary: string; receipt: string | null; atStakeKes: number },
  evidence: StatusEvidence,
): Promise<GateOutcome> {
  await note(tx, actor, ref, `Transaction Status: ${input.summary}`);
  const exceptionId = await openException(tx, actor, {
    type: input.type,
    dedupeKey: caseKey(input.type, {
      receipt: input.receipt,
      detail: `status:${ref.paymentId}:${evidence.receipt ?? evidence.resultCode}`,
    }),
    summary: input.summary,
    paymentId: ref.paymentId,
    rawCallbackId: ref.rawCallbackId,
    receipt: input.receipt,
    amountAtStakeKes: input.atStakeKes,
    details: {
      transactionStatus: { ...evidence, finalisedAt: evidence.finalisedAt?.toISOString() },
    },
  });
  return { outcome: "conflict", summary: input.summary, exceptionId };
}

/** Applies one Transaction Status result about a payment (ResultCode 0 or not). */
export async function applyStatusEvidence(
  tx: Db,
  actor: EventActor,
  input: Ref & { evidence: StatusEvidence },
): Promise<GateOutcome> {
  const e = input.evidence;
  const payment = await lockPaymentOr404(tx, input.paymentId);
  const ref: Ref = input;
  const said = async (summary: string, outcome: GateOutcome["outcome"] = "applied") => {
    await note(tx, actor, ref, `Transaction Status: ${summary}`, { ...e });
    return { outcome, summary };
  };
  if (e.resultCode !== "0")
    return said(`M-Pesa answered ${e.resultCode} (${e.resultDesc}); nothing changes`);
  if (!isWellFormedReceipt(e.receipt) || e.amountKes === null || !e.transactionStatus)
    return said("the answer lacks a receipt, an amount or a status; nothing changes");
  const receipt = e.receipt!;
  const amount = e.amountKes;
  const completed = e.transactionStatus.toLowerCase() === "completed";
  const row = await lockReceipt(tx, receipt);
  const owner = ownershipOf(row, payment.id);
  const ours = payment.receipt === receipt;

  if (owner === "other_payment")
    return openCase(
      tx,
      actor,
      ref,
      {
        type: "duplicate_receipt",
        summary: `M-Pesa reports receipt ${receipt}, which already belongs to another payment`,
        receipt,
        atStakeKes: 0,
      },
      e,
    );
  if (!completed) {
    if (payment.status === "paid" && ours)
      return openCase(
        tx,
        actor,
        ref,
        {
          type: "query_disagrees",
          summary: `M-Pesa says receipt ${receipt} is "${e.transactionStatus}", but we booked it as paid`,
          receipt,
          atStakeKes: payment.amountKes,
        },
        e,
      );
    return said(`receipt ${receipt} is "${e.transactionStatus}"; nothing changes`);
  }
  if (payment.status === "refunded")
    return said(
      `receipt ${receipt} completed for ${formatKes(amount)}; the payment is already refunded`,
    );
  if (amount !== payment.amountKes)
    return openCase(
      tx,
      actor,
      ref,
      {
        type: "amount_mismatch",
        summary: `M-Pesa reports ${formatKes(amount)} on receipt ${receipt}, but ${formatKes(payment.amountKes)} was requested`,
        receipt,
        atStakeKes: amount,
      },
      e,
    );
  if (payment.status === "paid" && ours)
    return said(`confirms receipt ${receipt} for ${formatKes(amount)}`, "duplicate");
  if (payment.status === "paid" && payment.receipt)
    return openCase(
      tx,
      actor,
      ref,
      {
        type: "query_disagrees",
        summary: `M-Pesa reports receipt ${receipt}, but we booked ${payment.receipt} for this payment`,
        receipt: null,
        atStakeKes: payment.amountKes,
      },
      e,
    );

  const facts = {
    receipt,
    amountKes: amount,
    paymentId: payment.id,
    transactionAt: e.finalisedAt,
    source: "manual" as const,
  };
  // The payer's whole number, as M-Pesa names it: a receipt is this payment's only if it is the
  // number we prompted (a receipt typed by staff may be another customer's payment of the same amount).
  const payer = payerNumberOf(e.debitParty);
  const payerText = payer
    ? ` from ${payer === payment.phone ? "the prompted number" : "another number"}`
    : " (payer number masked or absent)";
  if (payment.status === "paid" && payer !== payment.phone)
    return openCase(
      tx,
      actor,
      ref,
      {
        type: "query_disagrees",
        summary: `M-Pesa reports receipt ${receipt} completed for ${formatKes(amount)}${payerText}; it was not attached to this payment, which is paid with its receipt still to come`,
        receipt,
        atStakeKes: amount,
      },
      e,
    );
  if (payment.status === "paid") {
    // Query-paid, receipt pending, paid from the number we prompted: the receipt we were waiting for.
    await claimReceipt(tx, facts);
    await tx
      .update(payments)
      .set({
        receipt,
        chargeKes: chargeOfReceipt(receipt),
        receiptPending: false,
        statusReason: `Paid, receipt ${receipt} (Transaction Status)`,
        ...(e.finalisedAt ? { paidAt: e.finalisedAt } : {}),
        updatedAt: input.now,
      })
      .where(eq(payments.id, payment.id));
    await emitWebhookEvents(tx, [{ type: "payment.receipt_recorded", paymentId: payment.id }]);
    await addPaymentEvents(tx, actor, [
      {
        paymentId: payment.id,
        rawCallbackId: ref.rawCallbackId,
        type: "status_result",
        summary: `Transaction Status: receipt ${receipt} completed for ${formatKes(amount)}`,
      },
      {
        paymentId: payment.id,
        rawCallbackId: ref.rawCallbackId,
        type: "receipt_attached",
        summary: `Receipt ${receipt} attached`,
      },
    ]);
    return { outcome: "applied", summary: `Receipt ${receipt} attached` };
  }
  // The payment is not paid on our books. The receipt's money is real; it is this payment's only if
  // the payer's whole number is the one we prompted — otherwise a person decides.
  if (payment.status === "unknown" && payer === payment.phone) {
    await claimReceipt(tx, facts);
    await writePaymentStatus(tx, actor, payment, "paid", {
      now: input.now,
      rawCallbackId: ref.rawCallbackId,
      resultCode: "0",
      receipt,
      receiptPending: false,
      paidAt: e.finalisedAt,
      reason: `Transaction Status: receipt ${receipt} completed for ${formatKes(amount)} from the number we prompted`,
    });
    return { outcome: "applied", summary: `Paid, receipt ${receipt} (Transaction Status)` };
  }
  return openCase(
    tx,
    actor,
    ref,
    {
      type: payment.status === "unknown" ? "unknown_outcome" : "late_success",
      summary: `M-Pesa reports receipt ${receipt} completed for ${formatKes(amount)}${payerText}; the payment is ${payment.status}`,
      receipt,
      atStakeKes: amount,
    },
    e,
  );
}

export type ReversalEvidence = {
  receipt: string;
  /** The receipt M-Pesa says it reversed (OriginalTransactionID): it must be the one we asked about. */
  originalReceipt: string | null;
  reversalReceipt: string | null;
  amountKes: number | null;
  completedAt: Date | null;
};

/** A successful reversal result: the receipt is reversed and the payment it paid becomes refunded. */
export async function applyReversalResult(
  tx: Db,
  actor: EventActor,
  input: Ref & { evidence: ReversalEvidence },
): Promise<GateOutcome> {
  const e = input.evidence;
  const payment = await lockPaymentOr404(tx, input.paymentId);
  const row = await lockReceipt(tx, e.receipt);
  const event = (summary: string) => ({
    paymentId: payment.id,
    rawCallbackId: input.rawCallbackId,
    type: "reversal",
    summary,
    data: { ...e, completedAt: e.completedAt?.toISOString() ?? null },
  });
  // A result a person must look at: on the timeline, and a case with what is at stake.
  const disagrees = async (summary: string, atStakeKes: number, details: object) => {
    await addPaymentEvent(tx, actor, event(summary));
    const exceptionId = await openException(tx, actor, {
      type: "query_disagrees",
      dedupeKey: `reversal_result:${e.receipt}:${input.rawCallbackId ?? "-"}`,
      summary,
      paymentId: payment.id,
      rawCallbackId: input.rawCallbackId,
      receipt: e.receipt,
      amountAtStakeKes: atStakeKes,
      details: { reversal: e, ...details },
    });
    return { outcome: "conflict" as const, summary, exceptionId };
  };
  const amountText = e.amountKes === null ? "no amount" : formatKes(e.amountKes);
  if (row?.reversedByReceipt) {
    if (row.reversedByReceipt === e.reversalReceipt)
      return {
        outcome: "duplicate",
        summary: `Receipt ${e.receipt} is already recorded as reversed`,
      };
    // Another reversal receipt for the same original: M-Pesa says the money went back twice (or the
    // result is wrong). Recorded, and a person decides; the payment is not refunded twice.
    return disagrees(
      `M-Pesa reports receipt ${e.receipt} reversed again, by ${e.reversalReceipt ?? "no reversal receipt"} (${amountText}), after ${row.reversedByReceipt}: the customer may have been paid back twice; a person must check`,
      e.amountKes ?? row.amountKes,
      { firstReversalReceipt: row.reversedByReceipt },
    );
  }
  const incomplete =
    !isWellFormedReceipt(e.reversalReceipt) ||
    !row ||
    e.amountKes !== row.amountKes ||
    e.originalReceipt !== e.receipt;
  if (incomplete)
    return disagrees(
      `Reversal result for receipt ${e.receipt} is incomplete or disagrees (reversal receipt ${e.reversalReceipt ?? "missing"}, ${amountText}${row ? ` for ${formatKes(row.amountKes)}` : ", receipt unknown"}${e.originalReceipt === e.receipt ? "" : `, original transaction ${e.originalReceipt ?? "not named"}`}); a person must check`,
      row?.amountKes ?? 0,
      {},
    );
  await markReceiptReversed(tx, e.receipt, e.reversalReceipt!);
  const summary = `Receipt ${e.receipt} reversed by ${e.reversalReceipt}: ${formatKes(e.amountKes!)} back to the customer`;
  if (payment.status === "paid" && payment.receipt === e.receipt) {
    await writePaymentStatus(tx, actor, payment, "refunded", {
      now: input.now,
      rawCallbackId: input.rawCallbackId,
      reason: `Reversed through Daraja (${e.reversalReceipt})`,
      precedingEvent: event(summary),
    });
  } else {
    await addPaymentEvent(tx, actor, event(`${summary}; the payment stays ${payment.status}`));
  }
  return { outcome: "applied", summary };
}

/**
 * M-Pesa refused a reversal as already done (R000001, docs/daraja.md#reversal) while our books hold no
 * reversal of the receipt and the payment is still paid: an earlier reversal whose result never came
 * (one timed out, or recorded as unanswered) may have gone through, or someone reversed it in the
 * M-Pesa portal. The money may be back with the customer while the payment says paid: a case for a
 * person (a statement's Withdrawn line for the receipt settles it when imported). Where the books
 * already say reversed or refunded, the refusal is only a note.
 */
export async function applyReversalRefusedAsDone(
  tx: Db,
  actor: EventActor,
  input: Ref & { receipt: string; why: string },
): Promise<GateOutcome> {
  const payment = await lockPaymentOr404(tx, input.paymentId);
  const row = await lockReceipt(tx, input.receipt);
  const event = (summary: string) => ({
    paymentId: payment.id,
    rawCallbackId: input.rawCallbackId,
    type: "reversal_failed",
    summary,
    data: { receipt: input.receipt, resultCode: "R000001" },
  });
  if (row?.reversedByReceipt || payment.status !== "paid" || payment.receipt !== input.receipt) {
    const summary = `Reversal of receipt ${input.receipt} failed: ${input.why}; the payment is unchanged`;
    await addPaymentEvent(tx, actor, event(summary));
    return { outcome: "applied", summary };
  }
  const summary = `Reversal of receipt ${input.receipt} refused: ${input.why}. No reversal of it is on record and the payment is paid: an earlier reversal whose result never came may have gone through; a person must check the statement`;
  await addPaymentEvent(tx, actor, event(summary));
  const exceptionId = await openException(tx, actor, {
    type: "query_disagrees",
    dedupeKey: `reversal_already_done:${input.receipt}`,
    summary,
    paymentId: payment.id,
    rawCallbackId: input.rawCallbackId,
    receipt: input.receipt,
    amountAtStakeKes: row?.amountKes ?? payment.amountKes,
    details: { resultCode: "R000001" },
  });
  return { outcome: "conflict", summary, exceptionId };
}
