// What the STK applier writes beside the gate's decision: the timeline note about what a success
// callback did not carry, the case (and unowned receipt) for a callback whose attempt we do not know,
// and the link (and case) for a callback we could not read at all.
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { stkAttempts, type CallbackOutcome, type RawCallback } from "../../../db/schema";
import { formatEat } from "../../lib/time";
import { linkOrphanToLostPush, openException } from "../ledger/cases.server";
import {
  addPaymentEvent,
  DARAJA_ACTOR,
  type EventActor,
  type NewEvent,
} from "../ledger/events.server";
import { boundedKey, caseKey } from "../ledger/payments.server";
import { setOutcome } from "../ledger/raw-callbacks.server";
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
    dedupeKey: boundedKey(`orphan_callback:${cb.checkoutRequestId}:${cb.receipt ?? cb.resultCode}`),
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

/** Attempts the poller still asks about (payments/poller.server.ts) while they have no final answer. */
const POLLED_STATUSES = ["initiating", "pending", "unknown"];

/**
 * An STK callback whose body could not be read at all (`reason`: not JSON, no Body, an identifier
 * too long to be one…). Its row ends `invalid` either way. When intake nevertheless found
 * a CheckoutRequestID in it (identifiers.ts scans bodies that are not JSON) and that names one of our
 * attempts, the row is linked to the attempt and its payment, so it shows on the payment's timeline.
 * If the attempt already has its final answer (or is paid), nothing else will look at it again, and
 * the unreadable body may say something else about money already settled: a `conflicting_callback`
 * case asks a person. While the attempt is still open and polled, no case: the poller settles it by
 * STK Query, which is the answer we would have wanted from this callback anyway.
 * The caller holds the CheckoutRequestID's lock (intake.server.ts checkoutLock) when there is one.
 */
export async function recordUnreadable(
  tx: Db,
  now: Date,
  raw: RawCallback,
  reason: string,
): Promise<CallbackOutcome> {
  const [attempt] = raw.checkoutRequestId
    ? await tx
        .select({
          id: stkAttempts.id,
          paymentId: stkAttempts.paymentId,
          status: stkAttempts.status,
          resultCode: stkAttempts.resultCode,
          amountKes: stkAttempts.amountKes,
          nextPollAt: stkAttempts.nextPollAt,
        })
        .from(stkAttempts)
        .where(eq(stkAttempts.checkoutRequestId, raw.checkoutRequestId))
    : [];
  if (!attempt) {
    await setOutcome(tx, raw.id, "invalid", { outcomeDetail: reason }, now);
    return "invalid";
  }
  const polled =
    POLLED_STATUSES.includes(attempt.status) &&
    attempt.resultCode === null &&
    attempt.nextPollAt !== null;
  if (!polled)
    await openException(tx, DARAJA_ACTOR, {
      type: "conflicting_callback",
      dedupeKey: caseKey("conflicting_callback", {
        attemptId: attempt.id,
        detail: "unreadable-callback",
      }),
      summary: `A callback for this ${attempt.status} attempt could not be read (${reason.slice(0, 120)}); look at its raw body`,
      paymentId: attempt.paymentId,
      attemptId: attempt.id,
      rawCallbackId: raw.id,
      // A paid attempt's money is already counted; otherwise the body may be the customer's payment.
      amountAtStakeKes: attempt.status === "paid" ? 0 : attempt.amountKes,
      details: {
        reason,
        checkoutRequestId: raw.checkoutRequestId,
        attemptStatus: attempt.status,
        recordedResultCode: attempt.resultCode,
      },
    });
  await setOutcome(
    tx,
    raw.id,
    "invalid",
    {
      checkoutRequestId: raw.checkoutRequestId,
      attemptId: attempt.id,
      paymentId: attempt.paymentId,
      outcomeDetail: `${reason} (its CheckoutRequestID names a ${attempt.status} attempt: ${
        polled ? "STK Query settles it" : "a person is asked to look"
      })`,
    },
    now,
  );
  return "invalid";
}
