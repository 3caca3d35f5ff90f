// The applier asks its gate (burst-gate.server.ts in the applier child) before every batch: while the gate
// holds, stored callbacks wait `received` and idle() does not pretend otherwise; once it lets go they
// are applied and the gate hears that the applier caught up; shutdown drains without asking it.
import { inArray } from "drizzle-orm";
import { rawCallbacks } from "../../../db/schema";
import {
  startTestApp,
  storeCallback,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";
import { createCallbackApplier, type ApplyGate } from "./queue.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

/** A gate that holds (asking again in 20 ms) until let go; counts the questions and the catch-ups. */
function manualGate() {
  const gate = { holding: true, asked: 0, caughtUp: 0 };
  const applyGate: ApplyGate = {
    holdMs: () => {
      gate.asked += 1;
      return gate.holding ? 20 : 0;
    },
    caughtUp: () => {
      gate.caughtUp += 1;
    },
  };
  return { gate, applyGate };
}

async function storedCallbacks(n: number, receiptPrefix: string) {
  const support = actorFor(await makeUser(app.ctx, "support"));
  const out = [];
  for (let i = 0; i < n; i++) {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 40 + i, phone: PHONES.neverResolves },
      support,
    );
    const raw = await storeCallback(
      app.ctx,
      stkCallbackBody({
        checkoutRequestId: payment.attempts[0].checkoutRequestId!,
        amount: 40 + i,
        receipt: `${receiptPrefix}${i}`,
      }),
    );
    out.push({ paymentId: payment.id, rawId: raw.id });
  }
  return out;
}

const outcomes = async (ids: number[]) =>
  (
    await app.ctx.db
      .select({ outcome: rawCallbacks.outcome })
      .from(rawCallbacks)
      .where(inArray(rawCallbacks.id, ids))
  ).map((r) => r.outcome);

describe("an applier with a gate", () => {
  it("waits while the gate holds, then applies everything and reports that it caught up", async () => {
    const { gate, applyGate } = manualGate();
    const queue = createCallbackApplier(app.ctx, { workers: 2, batch: 10, gate: applyGate });
    const rows = await storedCallbacks(3, "TKG0HELD0");
    queue.wake();
    let idle = false;
    void queue.idle().then(() => (idle = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(gate.asked).toBeGreaterThan(3); // asked again and again while holding
    expect(await outcomes(rows.map((r) => r.rawId))).toEqual(["received", "received", "received"]);
    expect(idle).toBe(false); // work is waiting: not idle
    expect(gate.caughtUp).toBe(0);

    gate.holding = false;
    await expect.poll(() => idle, { timeout: 10_000 }).toBe(true);
    expect(await outcomes(rows.map((r) => r.rawId))).toEqual(["applied", "applied", "applied"]);
    for (const r of rows)
      expect((await getPaymentView(app.ctx.db, r.paymentId))?.status).toBe("paid");
    expect(gate.caughtUp).toBeGreaterThan(0);
    expect(await queue.stop({ drainMs: 1000 })).toBe(true);
  });

  it("drains at shutdown without asking the gate", async () => {
    const { gate, applyGate } = manualGate();
    const queue = createCallbackApplier(app.ctx, { workers: 1, batch: 10, gate: applyGate });
    queue.start({ sweepMs: 50 });
    const rows = await storedCallbacks(2, "TKG0STOP0");
    await new Promise((r) => setTimeout(r, 200));
    expect(await outcomes(rows.map((r) => r.rawId))).toEqual(["received", "received"]);
    const askedBefore = gate.asked;
    expect(await queue.stop({ drainMs: 5000 })).toBe(true);
    expect(await outcomes(rows.map((r) => r.rawId))).toEqual(["applied", "applied"]);
    expect(gate.asked).toBe(askedBefore);
  });
});
