// The burst gate of the applier child (burst-gate.server.ts): a quiet stream is applied at once; a burst is
// held until it goes quiet or for at most maxHoldMs, then drained before anything is held again.
import fc from "fast-check";
import { createBurstGate, type BurstHold } from "./burst-gate.server";

const options = { burstPerSecond: 500, quietMs: 50, maxHoldMs: 3000, windowMs: 100 };

/** Stores `perSecond` callbacks a second, one per tick, from `from` for `ms`; returns the last time. */
function stream(
  gate: ReturnType<typeof createBurstGate>,
  from: number,
  ms: number,
  perSecond: number,
) {
  const step = 1000 / perSecond;
  let t = from;
  for (; t < from + ms; t += step) gate.stored(1, t);
  return t - step;
}

describe("the burst gate", () => {
  it("never holds a quiet stream: 100 callbacks a second are applied as they come", () => {
    const gate = createBurstGate(options);
    const end = stream(gate, 0, 5000, 100);
    expect(gate.rate(end)).toBeGreaterThan(80);
    expect(gate.rate(end)).toBeLessThan(120);
    expect(gate.holdMs(end)).toBe(0);
  });

  it("holds a burst until it has been quiet for quietMs, then drains it, and reports the hold", () => {
    const holds: BurstHold[] = [];
    const gate = createBurstGate(options, (h) => holds.push(h));
    let end = stream(gate, 0, 200, 2000); // 2,000 a second
    expect(gate.rate(end)).toBeGreaterThan(1500);
    expect(gate.holdMs(end)).toBe(50); // wait for the quiet period
    end = stream(gate, end + 0.5, 800, 2000); // the burst goes on: 1,600 more acknowledged first
    expect(gate.holdMs(end + 30)).toBe(20);
    expect(holds).toEqual([]);
    expect(gate.holdMs(end + 50)).toBe(0); // quiet: released
    expect(holds).toEqual([
      { heldMs: expect.closeTo(850, -1), storedMeanwhile: 1600, endedBy: "quiet" },
    ]);
    // Released means draining: a new burst at once does not hold it again before it has caught up.
    const again = stream(gate, end + 60, 500, 2000);
    expect(gate.holdMs(again)).toBe(0);
    gate.caughtUp();
    expect(gate.holdMs(again)).toBeGreaterThan(0);
  });

  it("holds for at most maxHoldMs, however long the burst", () => {
    const holds: BurstHold[] = [];
    const gate = createBurstGate(options, (h) => holds.push(h));
    let t = stream(gate, 0, 200, 2000);
    expect(gate.holdMs(t)).toBe(50);
    const heldAt = t;
    // The burst goes on: every check answers at most what is left of the three seconds.
    for (; t < heldAt + 2990; t += 10) {
      gate.stored(20, t);
      const wait = gate.holdMs(t);
      expect(wait).toBeGreaterThan(0);
      expect(t + wait).toBeLessThanOrEqual(heldAt + 3000);
    }
    gate.stored(20, heldAt + 3000);
    expect(gate.holdMs(heldAt + 3000)).toBe(0);
    expect(holds).toEqual([{ heldMs: 3000, storedMeanwhile: 6000, endedBy: "limit" }]);
    // A flood that never ends is never caught up with, so it is not held again: applied as before.
    for (t = heldAt + 3000; t < heldAt + 10_000; t += 10) {
      gate.stored(20, t);
      expect(gate.holdMs(t)).toBe(0);
    }
  });

  it("holds nothing when maxHoldMs is 0 (CALLBACK_BURST_HOLD_MS=0)", () => {
    const gate = createBurstGate({ ...options, maxHoldMs: 0 });
    const end = stream(gate, 0, 1000, 5000);
    expect(gate.holdMs(end)).toBe(0);
    gate.caughtUp();
    expect(gate.holdMs(end)).toBe(0);
  });

  it("whatever arrives and whenever it is asked, no hold outlasts maxHoldMs and a quiet gate never holds", () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constant("store" as const),
        dt: fc.nat(200),
        count: fc.integer({ min: 1, max: 200 }),
      }),
      fc.record({ kind: fc.constant("ask" as const), dt: fc.nat(200) }),
      fc.record({ kind: fc.constant("caughtUp" as const), dt: fc.nat(200) }),
    );
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 300 }),
        fc.integer({ min: 0, max: 2000 }),
        (events, maxHoldMs) => {
          const gate = createBurstGate({ ...options, maxHoldMs });
          let t = 0;
          let heldSince: number | null = null;
          for (const e of events) {
            t += e.dt;
            if (e.kind === "store") gate.stored(e.count, t);
            else if (e.kind === "caughtUp") gate.caughtUp();
            else {
              const wait = gate.holdMs(t);
              if (wait === 0) heldSince = null;
              else {
                heldSince ??= t;
                if (t + wait > heldSince + maxHoldMs) return false;
                if (gate.rate(heldSince) < options.burstPerSecond && heldSince === t) return false;
              }
            }
          }
          return true;
        },
      ),
    );
  });
});
