import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_PHONE } from "./outcomes";
import { sleep, startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ enforceRuleLimit: false, enforceSubscriberLock: false });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const state = async () => (await h.control("state")).json;
const pushTo = async (phone: string) =>
  (await h.push({ PhoneNumber: phone, PartyA: phone })).json.CheckoutRequestID as string;
const callbacks = (id: string, n: number) =>
  waitFor(() => h.callbacksFor(id).length >= n && h.callbacksFor(id));

describe("GET /__sim/state and POST /__sim/reset", () => {
  it("reports prompts and counts, and reset clears them but keeps tokens valid", async () => {
    const id = await pushTo(TEST_PHONE.paid);
    await callbacks(id, 1);
    await h.query(id);
    const before = await state();
    expect(before.counts).toMatchObject({
      pushes: 1,
      pushesAccepted: 1,
      queries: 1,
      callbacksSent: 1,
      callbacksDelivered: 1,
    });
    // A token issued now (the harness's own may predate the reset) is counted, and reset clears it.
    const basic = Buffer.from("sim-consumer-key:sim-consumer-secret").toString("base64");
    const issued = await h.call("/oauth/v1/generate?grant_type=client_credentials", {
      headers: { Authorization: `Basic ${basic}` },
    });
    expect(issued.status).toBe(200);
    expect((await state()).counts.tokensIssued).toBe(before.counts.tokensIssued + 1);
    expect(before.prompts[0]).toMatchObject({
      checkoutRequestId: id,
      status: "paid",
      outcome: "paid",
      amount: 1250,
      callbacksSent: 1,
    });
    expect(before.deliveries[0]).toMatchObject({
      kind: "stk_callback",
      checkoutRequestId: id,
      status: 200,
      error: null,
    });

    await h.control("reset", {});
    const after = await state();
    expect(after.prompts).toEqual([]);
    expect(after.counts).toMatchObject({
      pushes: 0,
      queries: 0,
      tokensIssued: 0,
      callbacksSent: 0,
    });
    expect((await h.push()).status).toBe(200);
  });

  it("keeps config across a plain reset and restores it with {config: true}", async () => {
    await h.control("config", { latencyMs: 5 });
    await h.control("reset", {});
    expect((await state()).config.latencyMs).toBe(5);
    await h.control("reset", { config: true });
    expect((await state()).config.latencyMs).toBe(20);
  });

  it("omits per-prompt lists with ?summary", async () => {
    await pushTo(TEST_PHONE.never);
    const summary = (await h.control("state?summary")).json;
    expect(summary.prompts).toBeUndefined();
    expect(summary.counts.pendingPrompts).toBe(1);
  });
});

describe("POST /__sim/config", () => {
  it("rejects unknown keys and wrong types", async () => {
    expect((await h.control("config", { latency: 5 })).status).toBe(400);
    expect((await h.control("config", { latencyMs: "5" })).status).toBe(400);
  });

  it("fixes the clock, which drives IDs and timestamp validation", async () => {
    const res = await h.control("config", { clock: { now: "2025-03-14T07:15:12.345Z" } });
    expect(res.json.now).toBe("2025-03-14T07:15:12.345Z");
    const push = await h.push({
      Timestamp: "20250314101500",
      Password: Buffer.from(
        "174379" +
          "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919" +
          "20250314101500",
      ).toString("base64"),
    });
    expect(push.json.CheckoutRequestID).toBe("ws_CO_14032025101512345708000001");
    expect((await h.push()).json.errorMessage).toBe("Bad Request - Invalid Timestamp");
  });
});

describe("POST /__sim/next-outcome", () => {
  it("forces the next push's behaviour, in queue order", async () => {
    await h.control("next-outcome", { outcome: "cancelled" });
    await h.control("next-outcome", { outcome: "insufficient_funds" });
    const a = await pushTo(TEST_PHONE.paid);
    const b = await pushTo(TEST_PHONE.paid);
    const c = await pushTo(TEST_PHONE.paid);
    expect((await callbacks(a, 1))[0].json.Body.stkCallback.ResultCode).toBe(1032);
    expect((await callbacks(b, 1))[0].json.Body.stkCallback.ResultCode).toBe(1);
    expect((await callbacks(c, 1))[0].json.Body.stkCallback.ResultCode).toBe(0);
  });

  it("can make a push busy", async () => {
    await h.control("next-outcome", { outcome: "busy" });
    expect((await h.push()).json.errorCode).toBe("500.003.02");
    expect((await h.push()).status).toBe(200);
  });

  it("rejects an unknown outcome", async () => {
    expect((await h.control("next-outcome", { outcome: "maybe" })).status).toBe(400);
  });
});

describe("POST /__sim/next-callback and resend", () => {
  it("drops the next callback; resend delivers it later", async () => {
    await h.control("next-callback", { action: "drop" });
    const id = await pushTo(TEST_PHONE.paid);
    const prompt = await waitFor(async () =>
      (await state()).prompts.find(
        (p: any) => p.checkoutRequestId === id && p.callbacksDropped === 1,
      ),
    );
    expect(prompt.status).toBe("paid");
    await sleep(40);
    expect(h.callbacksFor(id)).toHaveLength(0);

    const res = await h.control(`callbacks/${id}/resend`, {});
    expect(res.json.delivery).toMatchObject({ status: 200, checkoutRequestId: id });
    const [cb] = h.callbacksFor(id);
    expect(cb.json.Body.stkCallback.CallbackMetadata.Item[1].Value).toBe(prompt.receipt);
  });

  it("duplicates the next callback", async () => {
    await h.control("next-callback", { action: "duplicate" });
    const id = await pushTo(TEST_PHONE.cancelled);
    const [a, b] = await callbacks(id, 2);
    expect(a.raw).toBe(b.raw);
  });

  it("refuses to resend what does not exist or has no result", async () => {
    expect((await h.control("callbacks/ws_CO_nope/resend", {})).status).toBe(404);
    const id = await pushTo(TEST_PHONE.never);
    expect((await h.control(`callbacks/${id}/resend`, {})).status).toBe(409);
  });
});

describe("callback delivery failures", () => {
  it("records a refused connection and an error status without throwing", async () => {
    const closed = "http://127.0.0.1:9/hooks/x";
    const res = await h.push({ CallBackURL: closed });
    const delivery = await waitFor(async () =>
      (await state()).deliveries.find((d: any) => d.url === closed),
    );
    expect(delivery).toMatchObject({
      checkoutRequestId: res.json.CheckoutRequestID,
      status: null,
      error: expect.any(String),
    });
    expect((await state()).counts.callbacksDelivered).toBe(0);
  });
});

describe("POST /__sim/transactions", () => {
  it("creates accepted transactions that never call back and answer the query by outcome", async () => {
    const paid = (await h.control("transactions", { count: 3, outcome: "paid", amount: 10 })).json
      .checkoutRequestIds;
    const cancelled = (await h.control("transactions", { count: 2, outcome: "cancelled" })).json
      .checkoutRequestIds;
    const never = (await h.control("transactions", { count: 1, outcome: "never" })).json
      .checkoutRequestIds;
    expect(new Set([...paid, ...cancelled]).size).toBe(5);
    for (const id of paid) expect((await h.query(id)).json.ResultCode).toBe("0");
    for (const id of cancelled) expect((await h.query(id)).json.ResultCode).toBe("1032");
    expect((await h.query(never[0])).json.errorMessage).toBe("The transaction is being processed");
    await sleep(40);
    expect(h.receiver.received).toHaveLength(0);
  });

  it("stays pending for pendingMs, in the outcome's pending form", async () => {
    const [id] = (
      await h.control("transactions", { count: 1, outcome: "pending_4999", pendingMs: 80 })
    ).json.checkoutRequestIds;
    expect((await h.query(id)).json.ResultCode).toBe("4999");
    await waitFor(async () => (await h.query(id)).json.ResultCode === "0");
  });

  it("rejects busy and silly counts", async () => {
    expect((await h.control("transactions", { count: 1, outcome: "busy" })).status).toBe(400);
    expect((await h.control("transactions", { count: 0, outcome: "paid" })).status).toBe(400);
  });
});

describe("GET /__sim/requests", () => {
  it("logs Daraja requests newest last, with status and CheckoutRequestID", async () => {
    await h.getToken();
    const id = await pushTo(TEST_PHONE.never);
    await h.query(id);
    const all = (await h.control("requests")).json.requests;
    expect(all.map((r: any) => r.path)).toEqual([
      "/oauth/v1/generate",
      "/mpesa/stkpush/v1/processrequest",
      "/mpesa/stkpushquery/v1/query",
    ]);
    const pushes = (await h.control("requests?path=/mpesa/stkpush/v1/processrequest")).json
      .requests;
    expect(pushes).toEqual([
      {
        method: "POST",
        path: "/mpesa/stkpush/v1/processrequest",
        status: 200,
        checkoutRequestId: id,
        at: expect.any(String),
      },
    ]);
  });
});

describe("GET /__sim/outcomes", () => {
  it("serves the test-number table", async () => {
    const res = await h.control("outcomes");
    expect(res.json.testNumbers[0]).toEqual({
      phone: "254708000001",
      outcome: "paid",
      behaviour: expect.any(String),
    });
  });
});
