// The console's "check status now": one STK Query about one payment, at once, through the poller's
// own claim, rate budget and answer path (poller.server.ts), recorded as a poller run and in the
// staff audit.
import { and, desc, eq } from "drizzle-orm";
import { stkAttempts } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError, notFound } from "../../lib/app-error";
import { formatEat } from "../../lib/time";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import type { EventActor } from "../ledger/events.server";
import type { PollOutcome } from "./poll-answer.server";
import { getPaymentView, type PaymentView } from "./queries.server";
import {
  askAndRecord,
  claimFree,
  newLease,
  releaseClaims,
  withRun,
  type Claim,
} from "./poller.server";

/**
 * The console's "check status now": asks about the payment's latest attempt at once, whatever its
 * next check time, through the same rate budget and answer path as the sweep. Respects a claim
 * another instance holds. Recorded as a poller run (trigger "console") and in the staff audit.
 */
export async function checkPaymentNow(
  ctx: AppContext,
  paymentId: string,
  actor: Actor,
): Promise<{ answer: string; message: string; payment: PaymentView }> {
  const before = await getPaymentView(ctx.db, paymentId);
  if (!before) throw notFound("That payment");
  const [attempt] = await ctx.db
    .select()
    .from(stkAttempts)
    .where(eq(stkAttempts.paymentId, paymentId))
    .orderBy(desc(stkAttempts.seq))
    .limit(1);
  if (!attempt?.checkoutRequestId) {
    throw new AppError(
      "cannot_query",
      "M-Pesa never accepted this payment's prompt, so there is nothing to ask it about.",
      { status: 409 },
    );
  }
  const { pollClaimedUntil, claimedUntil } = newLease(ctx, 1);
  const [claimed] = await ctx.db
    .update(stkAttempts)
    .set({ pollClaimedBy: ctx.instanceId, pollClaimedUntil })
    .where(and(eq(stkAttempts.id, attempt.id), claimFree()))
    .returning({ id: stkAttempts.id });
  if (!claimed)
    throw new AppError(
      "check_in_progress",
      "The poller is asking M-Pesa about this payment right now; look again in a few seconds.",
      { status: 409, retryable: true },
    );

  let outcome: PollOutcome | null = null;
  const claim: Claim = {
    id: attempt.id,
    paymentId,
    checkoutRequestId: attempt.checkoutRequestId,
    claimedUntil,
  };
  const actorLabel: EventActor = { kind: "poller", label: `check now by ${actor.label}` };
  const run = await withRun(ctx, "console", async (summary, timed) => {
    summary.due = 1;
    outcome = await askAndRecord(ctx, claim, {
      summary,
      halt: new AbortController(),
      timed,
      actor: actorLabel,
    });
  });
  if (!outcome) {
    await releaseClaims(ctx, [attempt.id]);
    if (run.backoffUntil)
      throw new AppError(
        "rate_limited",
        `M-Pesa asked us to slow down; try again after ${formatEat(run.backoffUntil)}.`,
        { status: 503, retryable: true },
      );
    throw new AppError("check_failed", "Checking with M-Pesa failed; try again in a minute.", {
      status: 502,
      retryable: true,
    });
  }
  const { answer, kind } = outcome as PollOutcome;
  const after = (await getPaymentView(ctx.db, paymentId))!;
  await recordStaffAction(ctx.db, actor, {
    action: "payment.check_status",
    entityType: "payment",
    entityId: paymentId,
    before: { status: before.status },
    after: { status: after.status, answer },
  });
  const status = `${after.status}${after.receiptPending ? " (receipt pending)" : ""}`;
  const message = {
    final: `M-Pesa answered "${answer}". The payment is ${status}.`,
    waiting: `M-Pesa has no final answer yet (${answer}). The payment stays ${status}; ${after.attempts.at(-1)?.nextPollAt ? "the poller will ask again" : "the poller has stopped asking, so reconcile it from the statement"}.`,
    gave_up: `M-Pesa still has no final answer (${answer}). The payment is ${status} and waits for reconciliation.`,
    rate_limited: `M-Pesa asked us to slow down; the poller asks again after ${formatEat(run.backoffUntil)}.`,
  }[kind];
  return { answer, message, payment: after };
}
