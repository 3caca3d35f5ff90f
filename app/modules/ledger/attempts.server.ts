// The attempt side of the ledger: what Daraja answered to a push, and the poller giving up. Each is a
// named command that writes the attempt's status (with the payment's, through writePaymentStatus) in
// the caller's transaction; bookkeeping that is not status (poll claims, next check time) stays with
// the poller.
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { payments, stkAttempts, type Payment, type StkAttempt } from "../../../db/schema";
import type { EventActor } from "./events.server";
import { writePaymentStatus } from "./payments.server";

/** M-Pesa accepted the prompt: the attempt is pending under its CheckoutRequestID. */
export async function markPushAccepted(
  tx: Db,
  attempt: StkAttempt,
  accepted: {
    checkoutRequestId: string;
    merchantRequestId: string;
    requestBody: unknown;
    responseBody: unknown;
    nextPollAt: Date;
    now: Date;
  },
): Promise<void> {
  await tx
    .update(stkAttempts)
    .set({
      checkoutRequestId: accepted.checkoutRequestId,
      merchantRequestId: accepted.merchantRequestId,
      requestBody: accepted.requestBody,
      responseBody: accepted.responseBody,
      // A callback faster than the push's own answer may have settled it already.
      status: attempt.status === "initiating" ? "pending" : attempt.status,
      nextPollAt: accepted.nextPollAt,
      updatedAt: accepted.now,
    })
    .where(eq(stkAttempts.id, attempt.id));
}

/** The push was refused (failed) or its answer lost (unknown: the prompt may have reached the phone). */
export async function markPushUnanswered(
  tx: Db,
  attempt: StkAttempt,
  failure: { status: "failed" | "unknown"; errorCode: string; errorMessage: string; now: Date },
): Promise<void> {
  await tx
    .update(stkAttempts)
    .set({
      status: failure.status,
      errorCode: failure.errorCode,
      errorMessage: failure.errorMessage,
      updatedAt: failure.now,
    })
    .where(eq(stkAttempts.id, attempt.id));
}

/** The poller's verdict after the give-up time: the attempt's outcome is unknown. */
export async function markAttemptUnknown(tx: Db, attempt: StkAttempt, now: Date): Promise<boolean> {
  if (attempt.status === "unknown") return false;
  await tx
    .update(stkAttempts)
    .set({ status: "unknown", updatedAt: now })
    .where(eq(stkAttempts.id, attempt.id));
  return true;
}

/** A re-send reopens a closed, unpaid payment (optionally to a corrected phone number). */
export async function reopenForResend(
  tx: Db,
  actor: EventActor,
  payment: Payment,
  input: { attemptId: string; phone?: string | null; now: Date },
): Promise<void> {
  if (payment.status !== "initiating")
    await writePaymentStatus(tx, actor, payment, "initiating", {
      now: input.now,
      reason: "Prompt re-sent",
      attemptId: input.attemptId,
    });
  if (input.phone && input.phone !== payment.phone)
    await tx.update(payments).set({ phone: input.phone }).where(eq(payments.id, payment.id));
}
