// What the STK applier writes beside the gate's decision: the timeline note about what a success
// callback did not carry, and the case (and unowned receipt) for a callback whose attempt we do not know.
import type { Db } from "../../../db/client";
import type { RawCallback } from "../../../db/schema";
import { formatEat } from "../../lib/time";
import { linkOrphanToLostPush, openException } from "../ledger/cases.server";
import {
  addPaymentEvent,
  DARAJA_ACTOR,
  type EventActor,
  type NewEvent,
} from "../ledger/events.server";
import { recordUnassignedReceipt } from "../ledger/receipts.server";
import { isWellFormedReceipt } from "../ledger/transitions";
import type { StkCallback } from "./parse";

/**
 * Says on the timeline what a success callback did not carry (2026 Daraja): no TransactionDate (the
 * arrival time stands in), a masked or missing phone number (the number we prompted stays on record).
 * Also marks the receipt with the kind of number its callback carried.
 */
export async function noteCallbackGaps(
  tx: Db,
  actor: EventActor,
  input: { raw: RawCallback; cb: StkCallback; attemptId: string; paymentId: string },
) {
  const note = callbackGapNote(input);
  if (note) await addPaymentEvent(tx, actor, note);
}

/** The timeline note `noteCallbackGaps` writes, or null when the callback lacked nothing. */
export function callbackGapNote(input: {
  raw: RawCallback;
  cb: StkCallback;
  attemptId: string;
  paymentId: string;
}): NewEvent | null {
  const { raw, cb } = input;
  const gaps: string[] = [];
  if (!cb.transactionAt)
    gaps.push(
      `it carried no TransactionDate, so the time it arrived (${formatEat(raw.receivedAt)}) stands in for when the customer paid`,
    );
  if (cb.phoneKind !== "full")
    gaps.push(
      cb.phoneKind === "masked"
        ? "its phone number was masked, so the number the prompt was sent to stays on record and the masked one is not used to match anything"
        : "it carried no phone number, so the number the prompt was sent to stays on record",
    );
  if (!gaps.length) return null;
  return {
    paymentId: input.paymentId,
    attemptId: input.attemptId,
    rawCallbackId: raw.id,
    type: "callback_note",
    summary: `Callback note: ${gaps.join("; ")}.`,
    data: {
      phoneKind: cb.phoneKind,
      transactionAt: cb.transactionAt ? "callback" : "arrival",
    },
  };
}

export async function recordOrphan(tx: Db, raw: RawCallback, cb: StkCallback, success: boolean) {
  // An unsigned success from outside the allow-list is no witness of money: it is kept in the log and
  // the case, but records no receipt (which could otherwise vouch for a held C2B confirmation).
  if (
    success &&
    raw.sourceTrusted !== false &&
    isWellFormedReceipt(cb.receipt) &&
    cb.amountKes !== null
  ) {
    // The money may be real even if we cannot place it yet: one receipt row, owned by no payment.
    await recordUnassignedReceipt(tx, {
      receipt: cb.receipt!,
      amountKes: cb.amountKes,
      phone: cb.phone,
      phoneKind: cb.phoneKind,
      transactionAt: cb.transactionAt,
      source: "stk_callback",
    });
  }
  const caseId = await openException(tx, DARAJA_ACTOR, {
    type: "orphan_callback",
    dedupeKey: `orphan_callback:${cb.checkoutRequestId}:${cb.receipt ?? cb.resultCode}`,
    summary: success
      ? `A success callback (receipt ${cb.receipt ?? "none"}, KES ${cb.amountKes ?? "?"}) for a CheckoutRequestID we do not know`
      : `A callback (ResultCode ${cb.resultCode}) for a CheckoutRequestID we do not know`,
    rawCallbackId: raw.id,
    receipt: cb.receipt,
    amountAtStakeKes: success ? (cb.amountKes ?? 0) : 0,
    details: {
      checkoutRequestId: cb.checkoutRequestId,
      resultCode: cb.resultCode,
      resultDesc: cb.resultDesc,
    },
  });
  // A push whose answer was lost and this callback may be the same money: link them, count it once.
  if (caseId && success && cb.phone && cb.amountKes !== null)
    await linkOrphanToLostPush(tx, {
      orphanCaseId: caseId,
      phone: cb.phone,
      amountKes: cb.amountKes,
      at: raw.receivedAt,
    });
}
