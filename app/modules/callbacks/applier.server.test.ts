// Issue 12: what is acknowledged is applied soon after a restart (start-up recovery, then a continuous
// sweep), and a stored callback can be found by its identifiers — or, unreadable, by its raw text —
// the moment it is stored, whatever its processing state.
import { eq } from "drizzle-orm";
import { rawCallbacks } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  storeCallback,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";
import { listCallbacks } from "./queries.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

/** Stores a callback exactly as the route does, without waking the applier: as if the process died. */
const storeOnly = (body: string | Uint8Array, kind: "stk" | "c2b_confirmation" = "stk") =>
  storeCallback(app.ctx, body, kind);

async function pendingPayment(amount: number) {
  const payment = await initiatePayment(
    app.ctx,
    { orderRef: orderRef(), amount, phone: PHONES.neverResolves },
    actorFor(await makeUser(app.ctx, "support")),
  );
  return { id: payment.id, checkoutRequestId: payment.attempts[0].checkoutRequestId! };
}

describe("start-up recovery and the continuous sweep", () => {
  it("applies at start-up what a previous process acknowledged but never applied, then keeps sweeping", async () => {
    const payments = await Promise.all([
      pendingPayment(31),
      pendingPayment(32),
      pendingPayment(33),
    ]);
    const stored = [];
    for (const [i, p] of payments.entries())
      stored.push(
        await storeOnly(
          stkCallbackBody({
            checkoutRequestId: p.checkoutRequestId,
            amount: 31 + i,
            receipt: `TKR${i}START1`, // ten characters: a well-formed receipt
          }),
        ),
      );
    const outcomes = async () =>
      (
        await app.ctx.db
          .select({ outcome: rawCallbacks.outcome })
          .from(rawCallbacks)
          .where(eq(rawCallbacks.checkoutRequestId, payments[0].checkoutRequestId))
      ).map((r) => r.outcome);
    expect(await outcomes()).toEqual(["received"]); // nothing applies it until a process starts

    app.ctx.callbackQueue.start({ sweepMs: 200 });
    try {
      for (const p of payments)
        await expect
          .poll(async () => (await getPaymentView(app.ctx.db, p.id))?.status, { timeout: 15_000 })
          .toBe("paid");

      // Later, a row stored without a wake-up (another instance died after storing it) is swept too.
      const late = await pendingPayment(34);
      const row = await storeOnly(
        stkCallbackBody({
          checkoutRequestId: late.checkoutRequestId,
          amount: 34,
          receipt: "TKR9SWEPTX",
        }),
      );
      await expect
        .poll(
          async () =>
            (await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, row.id)))[0]
              .outcome,
          { timeout: 15_000 },
        )
        .toBe("applied");
      expect((await getPaymentView(app.ctx.db, late.id))?.receipt).toBe("TKR9SWEPTX");
    } finally {
      expect(await app.ctx.callbackQueue.stop({ drainMs: 5_000 })).toBe(true);
    }
    // Each stored callback was applied once: one `applied` row each, no duplicates from double work.
    for (const r of stored) {
      const [after] = await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, r.id));
      expect(after.outcome).toBe("applied");
    }
  });
});

describe("identifiers at intake", () => {
  it("finds a stored, not yet applied callback by CheckoutRequestID, MerchantRequestID and receipt, showing it is received", async () => {
    const body = stkCallbackBody({ checkoutRequestId: "ws_CO_FINDME00001", receipt: "TFN4DME001" });
    const row = await storeOnly(body);
    expect(row).toMatchObject({
      outcome: "received",
      checkoutRequestId: "ws_CO_FINDME00001",
      merchantRequestId: "29115-34620561-1",
      receipt: "TFN4DME001",
    });
    for (const filter of [
      { checkoutRequestId: "ws_CO_FINDME00001" },
      { receipt: "TFN4DME001" },
      { q: "ws_CO_FINDME00001" },
      { q: "TFN4DME001" },
    ]) {
      const { callbacks } = await listCallbacks(app.ctx.db, filter);
      expect(callbacks.map((c) => [c.id, c.outcome])).toEqual([[row.id, "received"]]);
    }
  });

  it("reads identifiers from a body that is not JSON, and finds a body with none by its raw text", async () => {
    const cut = await storeOnly(
      '<html>proxy said: {"Body":{"stkCallback":{"MerchantRequestID":"m-cut-1","CheckoutRequestID":"ws_CO_CUTSHORT01","ResultCode":0,"CallbackMetadata":{"Item":[{"Name":"MpesaReceiptNumber","Value":"TCU7SHORT1"}',
    );
    expect(cut).toMatchObject({
      checkoutRequestId: "ws_CO_CUTSHORT01",
      merchantRequestId: "m-cut-1",
      receipt: "TCU7SHORT1",
    });
    // Not UTF-8, not JSON: still stored byte for byte and found by a piece of its text.
    const garbage = await storeOnly(
      Buffer.concat([Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(" gateway-trace QZX-5512 ")]),
    );
    expect(garbage.checkoutRequestId).toBeNull();
    const { callbacks } = await listCallbacks(app.ctx.db, { q: "QZX-5512" });
    expect(callbacks.map((c) => c.id)).toEqual([garbage.id]);

    // After applying, both end `invalid` and are still found the same way.
    app.ctx.callbackQueue.start({ sweepMs: 200 });
    await app.ctx.callbackQueue.idle();
    await app.ctx.callbackQueue.stop({ drainMs: 5_000 });
    expect(
      (await listCallbacks(app.ctx.db, { q: "QZX-5512" })).callbacks.map((c) => c.outcome),
    ).toEqual(["invalid"]);
    expect(
      (await listCallbacks(app.ctx.db, { checkoutRequestId: "ws_CO_CUTSHORT01" })).callbacks.map(
        (c) => c.outcome,
      ),
    ).toEqual(["invalid"]);
  });

  it("keeps identifiers off requests with a wrong token", async () => {
    const response = await postStkCallback(
      app,
      stkCallbackBody({ checkoutRequestId: "ws_CO_FORGED0001", receipt: "TFO9RGED01" }),
      { token: "wrong-token-123" },
    );
    expect(response.status).toBe(404);
    expect((await listCallbacks(app.ctx.db, { receipt: "TFO9RGED01" })).callbacks).toEqual([]);
    expect(
      (await listCallbacks(app.ctx.db, { checkoutRequestId: "ws_CO_FORGED0001" })).callbacks,
    ).toEqual([]);
    // Still on record (its first 256 bytes only), and findable by that raw text.
    expect(
      (await listCallbacks(app.ctx.db, { q: "ws_CO_FORGED0001" })).callbacks.map((c) => c.outcome),
    ).toEqual(["rejected"]);
  });
});
