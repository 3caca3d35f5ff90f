// What one STK Query answer does to its attempt (docs/daraja.md#stk-query, #query-answers). A final
// answer goes through applyStkEvidence, the path callbacks take (so a query never downgrades a
// receipt); an answer that says Daraja is failing (or is rate limiting us) leaves the attempt due for
// after the pause; anything else books the next check, or gives up into `unknown` with an
// unknown_outcome exception once the give-up time (not counting outage pauses) is over. Every answer
// leaves poll_count / last_polled_at / last_poll_answer and a timeline event, in one transaction.
import { eq, max, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { stkAttempts, type Payment, type StkAttempt } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { formatEat } from "../../lib/time";
import { noteHeldSuccess } from "../callbacks/untrusted.server";
import { isDarajaDown, isDarajaUnavailable, type QueryAnswer } from "../daraja/errors";
import { classifyStkResult } from "../daraja/result-codes";
import { openException } from "../ledger/cases.server";
import { applyStkEvidence, lockAttempt, writePaymentStatus } from "../ledger/payments.server";
import { addPaymentEvent, type EventActor } from "../ledger/events.server";
import { describeAnswer, planNextCheck } from "./poll-schedule";
import { isOpenPayment, type FinalOutcome } from "../ledger/transitions";
import { markAttemptUnknown } from "../ledger/attempts.server";

/** final: a final answer was applied; waiting: asked again later (also when Daraja is unavailable:
 * the sweep pauses); gave_up: now unknown; rate_limited: the sweep pauses. */
export type PollOutcome = {
  kind: "final" | "waiting" | "gave_up" | "rate_limited";
  changed: boolean;
  answer: string;
};

const OPEN_ATTEMPT = new Set<StkAttempt["status"]>(["initiating", "pending", "unknown"]);

export async function recordPollAnswer(
  ctx: AppContext,
  input: {
    attemptId: string;
    answer: QueryAnswer;
    actor: EventActor;
    claimedBy: string;
    /** The sweep-wide pause this answer started or met (poll-rate.server.ts), if any. */
    pausedUntil?: Date | null;
  },
): Promise<PollOutcome> {
  if (input.answer.kind === "final")
    return recordFinalAnswer(ctx, { ...input, answer: input.answer });
  const { attemptId, answer, actor } = input;
  const label = describeAnswer(answer);

  return ctx.db.transaction(async (tx) => {
    const { payment, attempt } = await lockAttempt(tx, attemptId);
    const now = ctx.now();
    const book = {
      pollCount: attempt.pollCount + 1,
      lastPolledAt: now,
      lastPollAnswer: label,
      updatedAt: now,
      // Another instance may hold the claim if ours expired; its claim is not ours to clear.
      ...(attempt.pollClaimedBy === input.claimedBy
        ? { pollClaimedBy: null, pollClaimedUntil: null }
        : {}),
    };
    const ref = { paymentId: payment.id, attemptId };

    if (answer.kind === "rate_limited") {
      // Not an answer about the payment: it stays due and is asked again once the pause is over.
      await tx.update(stkAttempts).set(book).where(eq(stkAttempts.id, attemptId));
      await addPaymentEvent(tx, actor, {
        ...ref,
        type: "poll",
        summary:
          "STK Query: M-Pesa rate limit (Spike Arrest / quota); the poller pauses before asking again",
        data: { answer: label },
      });
      return { kind: "rate_limited", changed: false, answer: label };
    }
    // Time the poller spent paused by an M-Pesa outage is given back (poll-rate.server.ts).
    const plan = () =>
      planNextCheck({
        now,
        attemptCreatedAt: attempt.createdAt,
        pollCount: book.pollCount,
        giveUpAfterS: ctx.config.poller.giveUpAfterS + attempt.pollOutageS,
      });
    const open = OPEN_ATTEMPT.has(attempt.status) && attempt.nextPollAt !== null;
    // Daraja (or our access to it) is failing: nothing was learnt about the payment. It stays due and
    // is asked again once the pause is over. M-Pesa being down does not count toward giving up;
    // refused credentials or configuration (ours to fix) do, so the give-up still comes.
    const down = isDarajaDown(answer);
    if (isDarajaUnavailable(answer) && (down || !open || !plan().giveUp)) {
      await tx.update(stkAttempts).set(book).where(eq(stkAttempts.id, attemptId));
      const until = input.pausedUntil ? ` until ${formatEat(input.pausedUntil)}` : "";
      await addPaymentEvent(tx, actor, {
        ...ref,
        type: "poll",
        summary: down
          ? `STK Query: M-Pesa unavailable (${label}); the poller pauses${until} and that time does not count toward giving up`
          : `STK Query: M-Pesa refused our access (${label}); the poller pauses${until}. Check the Daraja credentials and settings: this time counts toward giving up`,
        data: { answer: label },
      });
      return { kind: "waiting", changed: false, answer: label };
    }

    // A callback (or a statement match) settled the attempt while we were asking: nothing to plan.
    if (!open) {
      await tx
        .update(stkAttempts)
        .set({ ...book, nextPollAt: null })
        .where(eq(stkAttempts.id, attemptId));
      await addPaymentEvent(tx, actor, {
        ...ref,
        type: "poll",
        summary: `STK Query: ${label}; the attempt is already ${attempt.status}`,
        data: { answer: label },
      });
      return { kind: "waiting", changed: false, answer: label };
    }

    const next = plan();
    if (next.giveUp) {
      const changed = await giveUp(tx, ctx, actor, {
        payment,
        attempt,
        label,
        pollCount: book.pollCount,
        now,
      });
      await tx
        .update(stkAttempts)
        .set({ ...book, nextPollAt: null })
        .where(eq(stkAttempts.id, attemptId));
      return { kind: "gave_up", changed, answer: label };
    }
    await tx
      .update(stkAttempts)
      .set({ ...book, nextPollAt: next.at })
      .where(eq(stkAttempts.id, attemptId));
    await addPaymentEvent(tx, actor, {
      ...ref,
      type: "poll",
      summary: `STK Query: ${label} (check ${book.pollCount}); next check ${formatEat(next.at)}`,
      data: { answer: label, nextPollAt: next.at.toISOString() },
    });
    return { kind: "waiting", changed: false, answer: label };
  });
}

async function recordFinalAnswer(
  ctx: AppContext,
  input: {
    attemptId: string;
    answer: Extract<QueryAnswer, { kind: "final" }>;
    actor: EventActor;
    claimedBy: string;
  },
): Promise<PollOutcome> {
  const { attemptId, answer, actor } = input;
  const label = describeAnswer(answer);
  const result = classifyStkResult(answer.resultCode);
  const success = result.outcome === "paid";
  return ctx.db.transaction(async (tx) => {
    const now = ctx.now();
    // applyStkEvidence takes the row locks (payment, then attempt) and ends polling on a final status.
    const applied = await applyStkEvidence(tx, actor, {
      attemptId,
      now,
      evidence: {
        source: "query",
        outcome: result.outcome as FinalOutcome,
        resultCode: result.code,
        resultDesc: answer.resultDesc,
        receipt: null,
        amountKes: null,
      },
    });
    // Read under the attempt's lock (taken above): an untrusted success held meanwhile (it locks the
    // attempt too, untrusted.server.ts) is either seen here or finds the attempt final and is a case.
    const [before] = await tx
      .select({ held: stkAttempts.sourceUntrustedSuccess, paymentId: stkAttempts.paymentId })
      .from(stkAttempts)
      .where(eq(stkAttempts.id, attemptId));
    // A held, untrusted success callback: this 0 vouches that the customer paid (the payment is
    // paid above, its receipt still to come), not for the receipt or amount the callback claimed.
    if (before?.held && success)
      await noteHeldSuccess(tx, actor, {
        attemptId,
        paymentId: before.paymentId,
        now,
      });
    if (before?.held && !success) await contradictHeldSuccess(tx, actor, attemptId, result.code);
    const mine = sql`${stkAttempts.pollClaimedBy} = ${input.claimedBy}`;
    await tx
      .update(stkAttempts)
      .set({
        pollCount: sql`${stkAttempts.pollCount} + 1`,
        lastPolledAt: now,
        lastPollAnswer: label,
        nextPollAt: null,
        sourceUntrustedSuccess: false,
        updatedAt: now,
        pollClaimedBy: sql`case when ${mine} then null else ${stkAttempts.pollClaimedBy} end`,
        pollClaimedUntil: sql`case when ${mine} then null else ${stkAttempts.pollClaimedUntil} end`,
      })
      .where(eq(stkAttempts.id, attemptId));
    return {
      kind: "final",
      changed: applied.decision.outcome !== "duplicate",
      answer: label,
    };
  });
}

/** docs/daraja.md#stk-query, #callback-delivery: after the give-up time, the attempt and (if it
 * speaks for it) the payment become unknown. */
async function giveUp(
  tx: Db,
  ctx: AppContext,
  actor: EventActor,
  input: { payment: Payment; attempt: StkAttempt; label: string; pollCount: number; now: Date },
): Promise<boolean> {
  const { payment, attempt, now } = input;
  const outage = attempt.pollOutageS
    ? `, not counting ${attempt.pollOutageS} s while M-Pesa was unavailable`
    : "";
  const reason = `No final answer from M-Pesa ${ctx.config.poller.giveUpAfterS} s after the prompt${outage} (last answer: ${input.label}); needs reconciliation`;
  await addPaymentEvent(tx, actor, {
    paymentId: payment.id,
    attemptId: attempt.id,
    type: "poll_gave_up",
    summary: `Poller gave up: ${reason}`,
    data: { answer: input.label, pollCount: input.pollCount },
  });
  const changedAttempt = await markAttemptUnknown(tx, attempt, now);
  const [{ latest }] = await tx
    .select({ latest: max(stkAttempts.seq) })
    .from(stkAttempts)
    .where(eq(stkAttempts.paymentId, payment.id));
  const paymentSpeaks = latest === attempt.seq && isOpenPayment(payment.status);
  if (paymentSpeaks)
    await writePaymentStatus(tx, actor, payment, "unknown", { now, reason, attemptId: attempt.id });
  const exceptionId = await openException(tx, actor, {
    type: "unknown_outcome",
    dedupeKey: `unknown_outcome:${attempt.id}:poll`,
    paymentId: payment.id,
    attemptId: attempt.id,
    amountAtStakeKes: attempt.amountKes,
    summary: reason,
    details: {
      stage: "poll",
      lastAnswer: input.label,
      pollCount: input.pollCount,
      checkoutRequestId: attempt.checkoutRequestId,
      givenUpAt: now.toISOString(),
    },
  });
  return changedAttempt || paymentSpeaks || exceptionId !== null;
}

/** A held success callback that STK Query contradicts may be forged
 * (docs/daraja.md#callback-delivery): a person looks. */
async function contradictHeldSuccess(
  tx: Db,
  actor: EventActor,
  attemptId: string,
  resultCode: string,
) {
  const [attempt] = await tx.select().from(stkAttempts).where(eq(stkAttempts.id, attemptId));
  await openException(tx, actor, {
    type: "conflicting_callback",
    dedupeKey: `conflicting_callback:${attempt.id}:untrusted`,
    paymentId: attempt.paymentId,
    attemptId: attempt.id,
    amountAtStakeKes: attempt.amountKes,
    summary: `A success callback from an address outside the allow-list was contradicted by STK Query (ResultCode ${resultCode}); it may be forged`,
    details: { queryResultCode: resultCode },
  });
}
