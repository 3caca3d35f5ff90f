import { eq } from "drizzle-orm";
import { rawCallbacks } from "../../../db/schema";
import {
  startTestApp,
  stkCallbackBody,
  storeCallback,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";
import { recoverStaleCallbacks } from "./recovery.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

describe("recovering acknowledged but unapplied callbacks", () => {
  it("applies a stored callback that was never processed, once", async () => {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 55, phone: PHONES.neverResolves },
      actorFor(await makeUser(app.ctx, "support")),
    );
    const body = stkCallbackBody({
      checkoutRequestId: payment.attempts[0].checkoutRequestId!,
      amount: 55,
      receipt: "TKL3RECOVR",
    });
    // As if the process had stopped right after storing and acknowledging it.
    const raw = await storeCallback(app.ctx, body);
    expect(raw.outcome).toBe("received");

    expect(await recoverStaleCallbacks(app.ctx, { olderThanMs: 0 })).toEqual({
      recovered: 1,
      failed: 0,
    });
    const [after] = await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, raw.id));
    expect(after.outcome).toBe("applied");
    expect((await getPaymentView(app.ctx.db, payment.id))!).toMatchObject({
      status: "paid",
      receipt: "TKL3RECOVR",
    });
    expect(await recoverStaleCallbacks(app.ctx, { olderThanMs: 0 })).toEqual({
      recovered: 0,
      failed: 0,
    });
  });

  it("leaves fresh rows to the in-process queue", async () => {
    const body = stkCallbackBody({ checkoutRequestId: "ws_CO_FRESH0001" });
    await storeCallback(app.ctx, body);
    expect(await recoverStaleCallbacks(app.ctx, { olderThanMs: 60_000 })).toEqual({
      recovered: 0,
      failed: 0,
    });
  });
});
