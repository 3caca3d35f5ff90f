// The burst gate of the applier child (burst-gate.server.ts): a quiet stream is applied at once; a
// burst is held until it goes quiet or for at most maxHoldMs, then drained before anything is held
// again; a burst that outlasts the hold is a flood, applied alongside until it eases off.
import fc from "fast-check";
import { createBurstGate, type BurstHold } from "./burst-gate.server";

const options = { burstPerSecond: 500, quietMs: 50, maxHoldMs: 3000, windowMs: 100 };

/** A gate whose applier has caught up once (a new one first drains what it finds). */
function readyGate(o: Partial<typeof options> = options) {
  const holds: BurstHold[] = [];
  const gate = createBurstGate(o, (h) => holds.push(h));
  gate.caughtUp();
  return { gate, holds };
}

/** Stores `perSecond` callbacks a second, one at a time, from `from` for `ms`; returns the last time. */
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
  it("counts the rate over the last windowMs", () => {
    const { gate } = readyGate();
    const end = stream(gate, 0, 1000, 100);
    expect(gate.rate(end)).toBeGreaterThanOrEqual(90);
    expect(gate.rate(end)).toBeLessThanOrEqual(110);
    expect(gate.rate(end + 200)).toBe(0);
    gate.stored(40, end + 300);
    expect(gate.rate(end + 300)).toBe(400);
  });

  it("never holds a quiet stream: 100 callbacks a second are applied as they come", () => {
    const { gate } = readyGate();
    for (let t = 0; t < 5000; t += 10) {
      gate.stored(1, t);
      expect(gate.holdMs(t)).toBe(0);
    }
  });

  it("lets a new applier drain what it finds before it holds anything", () => {
    const gate = createBurstGate(options);
    const end = stream(gate, 0, 500, 2000);
    expect(gate.holdMs(end)).toBe(0);
    gate.caughtUp();
    expect(gate.holdMs(end)).toBe(50);
  });

  it("holds a burst until it has been quiet for quietMs, then drains it, and reports the hold", () => {
    const { gate, holds } = readyGate();
    let end = stream(gate, 0, 200, 2000); // 2,000 a second
    expect(gate.rate(end)).toBeGreaterThan(1500);
    expect(gate.holdMs(end)).toBe(50); // wait for the quiet period
    end = stream(gate, end + 0.5, 800, 2000); // the burst goes on
    expect(gate.holdMs(end + 30)).toBe(20);
    expect(holds).toEqual([]);
    expect(gate.holdMs(end + 50)).toBe(0); // quiet: released
    expect(holds).toEqual([{ heldMs: 850, waiting: 2000, endedBy: "quiet" }]);
    // Released means draining: a new burst at once does not hold it again before it has caught up.
    const again = stream(gate, end + 60, 500, 2000);
    expect(gate.holdMs(again)).toBe(0);
    gate.caughtUp();
    expect(gate.holdMs(again)).toBeGreaterThan(0);
  });

  it("does not start a hold once the burst has gone quiet", () => {
    const { gate, holds } = readyGate();
    const end = stream(gate, 0, 50, 2000); // 100 stores in 50 ms
    expect(gate.rate(end + 50)).toBeGreaterThanOrEqual(500); // still counted in the window...
    expect(gate.holdMs(end + 50)).toBe(0); // ...but quiet for 50 ms: nothing to wait for
    expect(holds).toEqual([]);
  });

  it("holds for at most maxHoldMs; a longer burst is a flood, applied alongside until it eases off", () => {
    const { gate, holds } = readyGate();
    let t = stream(gate, 0, 200, 2000);
    expect(gate.holdMs(t)).toBe(50);
    const heldAt = t;
    for (; t < heldAt + 2990; t += 10) {
      gate.stored(20, t);
      const wait = gate.holdMs(t);
      expect(wait).toBeGreaterThan(0);
      expect(t + wait).toBeLessThanOrEqual(heldAt + 3000);
    }
    gate.stored(20, heldAt + 3000);
    expect(gate.holdMs(heldAt + 3000)).toBe(0);
    expect(holds).toEqual([{ heldMs: 3000, waiting: 400 + 6000, endedBy: "limit" }]);
    // The flood goes on: not held again while it lasts, even when the applier keeps up with it.
    for (t = heldAt + 3000; t < heldAt + 10_000; t += 10) {
      gate.stored(20, t);
      expect(gate.holdMs(t)).toBe(0);
      gate.caughtUp();
    }
    // Once it has eased off, the next burst is held again.
    t += 1000;
    expect(gate.holdMs(t)).toBe(0);
    t = stream(gate, t, 200, 2000);
    expect(gate.holdMs(t)).toBe(50);
    expect(holds).toHaveLength(1);
  });

  it("holds nothing when maxHoldMs is 0 (CALLBACK_BURST_HOLD_MS=0)", () => {
    const { gate, holds } = readyGate({ ...options, maxHoldMs: 0 });
    const end = stream(gate, 0, 1000, 5000);
    expect(gate.holdMs(end)).toBe(0);
    expect(holds).toEqual([]);
  });

  it("whatever arrives and whenever it is asked, no hold outlasts maxHoldMs and only a burst starts one", () => {
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
          const { gate } = readyGate({ ...options, maxHoldMs });
          let t = 0;
          let heldSince: number | null = null;
          for (const e of events) {
            t += e.dt;
            if (e.kind === "store") gate.stored(e.count, t);
            else if (e.kind === "caughtUp") gate.caughtUp();
            else {
              const rate = gate.rate(t);
              const wait = gate.holdMs(t);
              if (wait === 0) heldSince = null;
              else {
                if (heldSince === null && rate < options.burstPerSecond) return false;
                heldSince ??= t;
                if (t + wait > heldSince + maxHoldMs) return false;
              }
            }
          }
          return true;
        },
      ),
    );
  });
});
