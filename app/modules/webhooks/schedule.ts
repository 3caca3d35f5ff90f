// When a failed webhook delivery is tried again (README "Merchant webhooks"): exponential backoff
// over about three days, each wait jittered by ±20% so a merchant's outage does not end in a
// thundering herd of retries. After the last attempt the delivery is marked failed. Pure.

/** Waits after the 1st, 2nd, … failed attempt. Eleven attempts span ≈ 71.6 hours before jitter. */
export const RETRY_DELAYS_S = [
  5,
  60,
  5 * 60,
  30 * 60,
  2 * 3600,
  5 * 3600,
  10 * 3600,
  14 * 3600,
  20 * 3600,
  20 * 3600,
] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_S.length + 1;

/** A receiver has this long to answer; a claim's lease outlives it so no two workers overlap. */
export const SEND_TIMEOUT_MS = 10_000;
export const CLAIM_LEASE_MS = 60_000;

/**
 * When to try again after `attempts` failed attempts, or null when that was the last one.
 * `random` is injectable so tests can pin the jitter.
 */
export function nextAttemptAt(attempts: number, now: Date, random = Math.random): Date | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_S[Math.max(0, attempts - 1)] * 1000;
  const jitter = 0.8 + 0.4 * random();
  return new Date(now.getTime() + Math.round(base * jitter));
}
