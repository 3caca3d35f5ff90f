// A push M-Pesa did not answer clearly — a refusal, a timeout, an unexpected error, or a push cut off
// mid-way that no process is still sending — recorded through the payment gate: the attempt (and the
// payment, when it is the payment's latest) becomes failed or unknown, and an unknown outcome opens a
// case for a person, since the customer may have been prompted and may have paid.
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { stkAttempts } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { isDarajaError } from "../daraja/errors";
import { markPushUnanswered } from "../ledger/attempts.server";
import { openException } from "../ledger/cases.server";
import { addPaymentEvent, DARAJA_ACTOR } from "../ledger/events.server";
import { lockAttempt, writePaymentStatus } from "../ledger/payments.server";

/**
 * Longer than any push can take: a token request and the push, each tried again once on an expired
 * token, at up to DARAJA_TIMEOUT_MS (at most 120 s) each, is 8 minutes. Still `initiating` after this,
 * an attempt was cut off.
 */
export const STALLED_PUSH_AFTER_MS = 10 * 60_000;

/**
 * Attempts left `initiating` with no CheckoutRequestID for longer than a push can take: the process
 * stopped, or recording M-Pesa's answer failed, in the middle of the push. Nothing else would ever
 * look at them (the poller asks about CheckoutRequestIDs), so they are recorded as a push with no
 * answer: unknown, with an unknown_outcome case, as a lost answer is. Returns how many. Any instance
 * may run it; the attempt's lock and a second look inside it keep each to one recording.
 */
export async function recoverStalledPushes(ctx: AppContext): Promise<number> {
  const cutoff = new Date(ctx.now().getTime() - STALLED_PUSH_AFTER_MS);
  const stalled = await ctx.db
    .select({ id: stkAttempts.id })
    .from(stkAttempts)
    .where(
      and(
        eq(stkAttempts.status, "initiating"),
        isNull(stkAttempts.checkoutRequestId),
        lt(stkAttempts.createdAt, cutoff),
      ),
    )
    .limit(100);
  let recorded = 0;
  for (const { id } of stalled) {
    // One attempt that cannot be recorded must not stop the others, nor the poller's sweep.
    try {
      await recordPushFailure(ctx, id, null, { stalled: true });
      recorded += 1;
    } catch (error) {
      ctx.log.error({ err: error, attemptId: id }, "recording a cut-off push failed");
    }
  }
  return recorded;
}

export async function recordPushFailure(
  ctx: AppContext,
  attemptId: string,
  error: unknown,
  options: { stalled?: boolean } = {},
): Promise<void> {
  const daraja = isDarajaError(error) ? error : null;
  if (!daraja && !options.stalled)
    ctx.log.error(
      { err: error, attemptId },
      "STK push failed unexpectedly; recording the outcome as unknown",
    );
  const unknown = daraja ? daraja.outcomeUnknown : true;
  const message =
    daraja?.message ??
    (options.stalled
      ? "The push was cut off (the app stopped or failed while sending it); we cannot tell whether the prompt reached the phone."
      : "The push failed unexpectedly; we cannot tell whether the prompt reached the phone.");
  await ctx.db.transaction(async (tx) => {
    const { payment, attempt } = await lockAttempt(tx, attemptId);
    // Another instance recorded it first, or the push's answer was recorded after all.
    if (options.stalled && (attempt.status !== "initiating" || attempt.checkoutRequestId)) return;
    const now = ctx.now();
    const status = unknown ? "unknown" : "failed";
    if (attempt.status !== "initiating") {
      // Settled while the push was in flight (a fast callback, a C2B payment matched to the order):
      // that answer stands, and the push's own failure is only told on the timeline.
      await addPaymentEvent(tx, DARAJA_ACTOR, {
        paymentId: payment.id,
        attemptId,
        type: unknown ? "push_unknown" : "push_failed",
        summary: `${message} (the attempt was already ${attempt.status}; left as it is)`,
        data: { kind: daraja?.kind, darajaErrorCode: daraja?.darajaErrorCode, retryable: false },
      });
      return;
    }
    await markPushUnanswered(tx, attempt, {
      status,
      errorCode: daraja?.darajaErrorCode ?? daraja?.kind ?? "unexpected",
      errorMessage: message,
      now,
    });
    await addPaymentEvent(tx, DARAJA_ACTOR, {
      paymentId: payment.id,
      attemptId,
      type: unknown ? "push_unknown" : "push_failed",
      summary: message,
      data: {
        kind: daraja?.kind,
        darajaErrorCode: daraja?.darajaErrorCode,
        retryable: daraja?.retryable ?? false,
      },
    });
    // A cut-off attempt a re-send has since replaced speaks for itself only, not for the payment.
    const latest =
      !options.stalled ||
      (
        await tx
          .select({ id: stkAttempts.id })
          .from(stkAttempts)
          .where(eq(stkAttempts.paymentId, payment.id))
          .orderBy(desc(stkAttempts.seq))
          .limit(1)
      )[0]?.id === attemptId;
    if (payment.status === "initiating" && latest)
      await writePaymentStatus(tx, DARAJA_ACTOR, payment, status, {
        now,
        reason: message,
        attemptId,
      });
    if (unknown) {
      await openException(tx, DARAJA_ACTOR, {
        type: "unknown_outcome",
        dedupeKey: `unknown_outcome:${attemptId}:push`,
        paymentId: payment.id,
        attemptId,
        amountAtStakeKes: attempt.amountKes,
        summary: `No answer to the push: ${message}`,
        details: { stage: "push", kind: daraja?.kind ?? (options.stalled ? "stalled" : undefined) },
      });
    }
  });
}
