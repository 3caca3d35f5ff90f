// The pending-payment poller's timing rules, pure (docs/daraja.md#stk-query polling policy): when
// an attempt is asked again, when the poller gives up on it, how long the whole sweep pauses after
// Daraja's rate limit or an outage (and how much give-up time an outage gives back), and the short
// text each answer leaves on the attempt.
import type { QueryAnswer } from "../daraja/errors";

/** Re-checks after a non-final answer: 15 s, 30 s, 60 s, 60 s … each ±20 %. */
export const RECHECK_BASE_MS = 15_000;
export const RECHECK_CAP_MS = 60_000;
const JITTER = 0.2;

/** After a rate-limit or outage answer the whole sweep pauses 15 s, doubling while Daraja keeps
 * refusing (or longer when its Retry-After says so). */
export const BACKOFF_FIRST_MS = 15_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** A pause that ended longer ago than this is forgotten: the next one starts small again. */
export const BACKOFF_MEMORY_MS = 2 * 60_000;

export function giveUpAt(attemptCreatedAt: Date, giveUpAfterS: number): Date {
  return new Date(attemptCreatedAt.getTime() + giveUpAfterS * 1000);
}

/** `pollCount` counts this answer too (1 after the first query). */
export function recheckDelayMs(pollCount: number, random: () => number = Math.random): number {
  const base = Math.min(RECHECK_CAP_MS, RECHECK_BASE_MS * 2 ** Math.max(0, pollCount - 1));
  // Jitter spreads attempts pushed in the same second over the sweep, instead of a thundering herd.
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/**
 * What follows a non-final answer: the next check, or giving up. The last check is pulled in to the
 * give-up time itself, so every attempt is asked once more at its deadline before it becomes unknown.
 */
export function planNextCheck(
  input: { now: Date; attemptCreatedAt: Date; pollCount: number; giveUpAfterS: number },
  random: () => number = Math.random,
): { giveUp: true } | { giveUp: false; at: Date } {
  const deadline = giveUpAt(input.attemptCreatedAt, input.giveUpAfterS);
  if (input.now.getTime() >= deadline.getTime()) return { giveUp: true };
  const next = input.now.getTime() + recheckDelayMs(input.pollCount, random);
  return { giveUp: false, at: new Date(Math.min(next, deadline.getTime())) };
}

/** The next sweep-wide pause, given the one before it (if any). */
export function sweepBackoffMs(previous: { setAt: Date; until: Date } | null, now: Date): number {
  if (!previous || now.getTime() - previous.until.getTime() > BACKOFF_MEMORY_MS)
    return BACKOFF_FIRST_MS;
  const last = previous.until.getTime() - previous.setAt.getTime();
  return Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_FIRST_MS, last * 2));
}

/** A Retry-After from Daraja is honoured up to this long; anything longer is taken as this. */
export const RETRY_AFTER_MAX_MS = 10 * 60_000;

/**
 * How long an answer's Retry-After header asks us to wait (delta-seconds or an HTTP date, RFC 9110),
 * at most RETRY_AFTER_MAX_MS; null when the answer has none or it cannot be read.
 */
export function retryAfterMs(answer: QueryAnswer, now: Date): number | null {
  const value = "retryAfter" in answer ? answer.retryAfter?.trim() : undefined;
  if (!value) return null;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now.getTime();
  return Number.isNaN(ms) ? null : Math.min(RETRY_AFTER_MAX_MS, Math.max(0, ms));
}

/** An outage gives back at most this much give-up time in all: past it, a person should look. */
export const OUTAGE_CREDIT_MAX_S = 2 * 3600;

/**
 * How much give-up time an outage pause gives back to every payment being polled, in whole
 * seconds: from the failed query to the pause's end (the time between pauses, when queries could be
 * answered, is not given back).
 */
export function outagePauseS(input: { failedQueryAt: Date; until: Date }): number {
  return Math.max(0, Math.ceil((input.until.getTime() - input.failedQueryAt.getTime()) / 1000));
}

/** The short text kept in stk_attempts.last_poll_answer and shown on the payment page. */
export function describeAnswer(answer: QueryAnswer): string {
  switch (answer.kind) {
    case "final":
      return `${answer.resultCode} ${answer.resultDesc}`.trim().slice(0, 120);
    case "processing":
      return answer.notYetKnown
        ? "not yet known to M-Pesa (400.002.02 Invalid CheckoutRequestID)"
        : "still processing";
    case "not_found":
      return "not found";
    case "rate_limited":
      return "rate limited";
    case "error":
      return `error: ${answer.error.darajaErrorCode ?? answer.error.kind}`.slice(0, 120);
  }
}
