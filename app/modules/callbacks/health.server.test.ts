// The callback health banner's rule: payments pending for ten minutes with no callback for ten
// minutes means callbacks are probably failing at the edge.
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { AppContext } from "../../context.server";
import { initiatePayment } from "../payments/initiate.server";
import { getCallbackHealth } from "./health.server";
import { recordCallback } from "./intake.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

const minutesLater = (minutes: number): AppContext => ({
  ...app.ctx,
  now: () => new Date(Date.now() + minutes * 60_000),
});

describe("getCallbackHealth", () => {
  it("is healthy with nothing pending, and while a pending payment is young", async () => {
    expect(await getCallbackHealth(app.ctx)).toMatchObject({
      healthy: true,
      stalledPending: 0,
      lastCallbackAt: null,
    });
    // 254708000012: the prompt never resolves and no callback ever comes.
    await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 10, phone: PHONES.neverResolves },
      actorFor(await makeUser(app.ctx, "support")),
    );
    expect((await getCallbackHealth(app.ctx)).healthy).toBe(true);
  });

  it("warns once payments have waited ten minutes without any callback", async () => {
    expect(await getCallbackHealth(minutesLater(11))).toMatchObject({
      healthy: false,
      stalledPending: 1,
      lastCallbackAt: null,
    });
  });

  it("is healthy again when a callback arrived in the last ten minutes, and not for wrong-token requests", async () => {
    const later = minutesLater(11);
    const incoming = {
      kind: "stk" as const,
      body: new TextEncoder().encode("{}"),
      sizeBytes: 2,
      headers: new Headers(),
      sourceIp: "127.0.0.1",
    };
    await recordCallback(minutesLater(10.5), { ...incoming, tokenValid: false });
    expect((await getCallbackHealth(later)).healthy).toBe(false);
    await recordCallback(minutesLater(10.5), { ...incoming, tokenValid: true });
    expect(await getCallbackHealth(later)).toMatchObject({ healthy: true, silentMinutes: 0 });
    expect((await getCallbackHealth(minutesLater(25))).healthy).toBe(false);
  });
});
