// Acknowledge first, apply in the gaps: the policy of the callback applier process during a burst.
//
// On a small machine, acknowledging and applying share the CPU (and PostgreSQL's), so applying
// while a burst is being acknowledged makes every answer to Daraja slower (README, "Where intake
// time goes", sixth pass). When callbacks arrive faster than `burstPerSecond` (counted over the
// last `windowMs`), the applier holds off until the stream has been quiet for `quietMs`, or for at
// most `maxHoldMs`; then it drains until it finds nothing left, and only after that may it hold
// again. A burst that outlasts `maxHoldMs` is a flood: holding again would only pile up work for
// later, so the applier keeps applying alongside until the rate falls below `burstPerSecond`. So a
// burst is acknowledged without applying competing for the machine and applied right after it, no
// callback waits more than `maxHoldMs` longer than it would have, and a flood is applied as it
// always was once its first `maxHoldMs` have passed. A quiet stream never holds anything, and a
// new applier drains what it finds before it holds anything.
//
// Times are from a monotonic clock (performance.now()): a wall clock stepped back would stretch a hold.
import type { ApplyGate } from "./queue.server";

export type BurstGateOptions = {
  /** Stores per second, counted over the last `windowMs`, from which a burst is held. */
  burstPerSecond: number;
  /** A burst has ended when nothing was stored for this long. */
  quietMs: number;
  /** The longest any hold lasts; 0 never holds. */
  maxHoldMs: number;
  /** How far back stores are counted for the rate. */
  windowMs: number;
};

export const BURST_GATE_DEFAULTS: BurstGateOptions = {
  burstPerSecond: 500,
  quietMs: 50,
  maxHoldMs: 3000,
  windowMs: 100,
};

export type BurstGate = ApplyGate & {
  /** `count` callbacks were stored (acknowledged) at `now` (ms, monotonic). */
  stored(count: number, now: number): void;
  /** Stores per second over the last `windowMs` (for tests). */
  rate(now: number): number;
};

/**
 * A hold, reported when it ends (the applier child logs it): how long applying waited, how many
 * callbacks were acknowledged since the applier last caught up (what it has to apply now), and
 * whether the burst went quiet or the hold reached its limit.
 */
export type BurstHold = { heldMs: number; waiting: number; endedBy: "quiet" | "limit" };

const SLOTS = 10;

export function createBurstGate(
  options: Partial<BurstGateOptions> = {},
  onReleased: (hold: BurstHold) => void = () => {},
): BurstGate {
  const o: BurstGateOptions = {
    burstPerSecond: options.burstPerSecond ?? BURST_GATE_DEFAULTS.burstPerSecond,
    quietMs: options.quietMs ?? BURST_GATE_DEFAULTS.quietMs,
    maxHoldMs: options.maxHoldMs ?? BURST_GATE_DEFAULTS.maxHoldMs,
    windowMs: options.windowMs ?? BURST_GATE_DEFAULTS.windowMs,
  };
  // Stores per slot of windowMs / SLOTS, in a ring; `slot` is the newest slot counted.
  const slotMs = o.windowMs / SLOTS;
  const counts = new Array<number>(SLOTS).fill(0);
  let slot = -Infinity;
  let lastStoredAt = -Infinity;
  let waiting = 0; // acknowledged since the applier last caught up
  let holdingSince: number | null = null;
  let draining = true; // a new applier first drains what is there
  let flood = false;

  const at = (s: number) => ((s % SLOTS) + SLOTS) % SLOTS;
  const advance = (now: number) => {
    const current = Math.floor(now / slotMs);
    if (!(current > slot)) return; // the same slot (or a clock that did not move forward)
    if (current - slot >= SLOTS) counts.fill(0);
    else for (let s = slot + 1; s <= current; s++) counts[at(s)] = 0;
    slot = current;
  };
  const rate = (now: number) => {
    advance(now);
    return (counts.reduce((a, b) => a + b, 0) * 1000) / o.windowMs;
  };

  return {
    stored(count, now) {
      if (!(count > 0)) return;
      advance(now);
      counts[at(slot)] += count;
      lastStoredAt = Math.max(lastStoredAt, now);
      waiting += count;
    },
    rate,
    holdMs(now) {
      if (draining || !(o.maxHoldMs > 0)) return 0;
      const quietLeft = o.quietMs - (now - lastStoredAt);
      if (holdingSince === null) {
        const burst = quietLeft > 0 && rate(now) >= o.burstPerSecond;
        if (!burst) flood = false;
        if (!burst || flood) return 0;
        holdingSince = now;
      }
      const holdLeft = o.maxHoldMs - (now - holdingSince);
      if (quietLeft <= 0 || holdLeft <= 0) {
        onReleased({
          heldMs: Math.round(now - holdingSince),
          waiting,
          endedBy: quietLeft <= 0 ? "quiet" : "limit",
        });
        flood = quietLeft > 0;
        holdingSince = null;
        draining = true;
        return 0;
      }
      return Math.max(1, Math.ceil(Math.min(quietLeft, holdLeft)));
    },
    caughtUp() {
      draining = false;
      waiting = 0;
    },
  };
}
