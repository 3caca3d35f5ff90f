// Acknowledge first, apply in the gaps: the policy of the callback applier process during a burst.
//
// On a small machine, acknowledging and applying share the CPU (and PostgreSQL's), so applying
// while a burst is being acknowledged makes every answer to Daraja slower (README, "Where intake
// time goes", sixth pass). When callbacks arrive faster than `burstPerSecond`, the applier holds
// off until the stream has been quiet for `quietMs`, or for at most `maxHoldMs`; then it drains
// until it finds nothing left, and only after that may it hold again. So a burst is answered at
// the speed of storing alone and applied right after it, no callback waits more than `maxHoldMs`
// longer than it would have, and under a flood that never ends the applier runs as it always did
// (held at most `maxHoldMs` once per drain). A quiet stream never holds anything.
import type { ApplyGate } from "./queue.server";

export type BurstGateOptions = {
  /** Stores per second (smoothed over about `windowMs`) from which a burst is held. */
  burstPerSecond: number;
  /** A burst has ended when nothing was stored for this long. */
  quietMs: number;
  /** The longest any hold lasts. */
  maxHoldMs: number;
  /** Time constant of the rate estimate. */
  windowMs: number;
};

export const BURST_GATE_DEFAULTS: BurstGateOptions = {
  burstPerSecond: 500,
  quietMs: 50,
  maxHoldMs: 3000,
  windowMs: 100,
};

export type BurstGate = ApplyGate & {
  /** `count` callbacks were stored (acknowledged) at `now`. */
  stored(count: number, now: number): void;
  /** The current estimate of stores per second (for tests and logs). */
  rate(now: number): number;
};

/** What a hold was, reported when it ends (the applier child logs it). */
export type BurstHold = { heldMs: number; storedMeanwhile: number; endedBy: "quiet" | "limit" };

export function createBurstGate(
  options: Partial<BurstGateOptions> = {},
  onReleased: (hold: BurstHold) => void = () => {},
): BurstGate {
  const o = { ...BURST_GATE_DEFAULTS, ...options };
  let storedMeanwhile = 0;
  let estimate = 0; // stores per second, decaying with time constant windowMs
  let estimatedAt = -Infinity;
  let lastStoredAt = -Infinity;
  let holdingSince: number | null = null;
  let draining = false;

  const decayed = (now: number) =>
    estimatedAt === -Infinity
      ? 0
      : estimate * Math.exp(-Math.max(0, now - estimatedAt) / o.windowMs);

  return {
    stored(count, now) {
      if (!(count > 0)) return;
      estimate = decayed(now) + (count * 1000) / o.windowMs;
      estimatedAt = now;
      lastStoredAt = now;
      if (holdingSince !== null) storedMeanwhile += count;
    },
    rate: decayed,
    holdMs(now) {
      if (draining || o.maxHoldMs <= 0) return 0;
      if (holdingSince === null) {
        if (decayed(now) < o.burstPerSecond) return 0;
        holdingSince = now;
        storedMeanwhile = 0;
      }
      const quietLeft = o.quietMs - (now - lastStoredAt);
      const holdLeft = o.maxHoldMs - (now - holdingSince);
      if (quietLeft <= 0 || holdLeft <= 0) {
        onReleased({
          heldMs: now - holdingSince,
          storedMeanwhile,
          endedBy: quietLeft <= 0 ? "quiet" : "limit",
        });
        holdingSince = null;
        draining = true;
        return 0;
      }
      return Math.max(1, Math.ceil(Math.min(quietLeft, holdLeft)));
    },
    caughtUp() {
      draining = false;
    },
  };
}
