import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_PHONE } from "./outcomes";
import { startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const LOCKED = {
  requestId: expect.any(String),
  errorCode: "500.001.1001",
  errorMessage:
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
};

const pushTo = (phone: string, extra: Record<string, unknown> = {}) =>
  h.push({ PhoneNumber: phone, PartyA: phone, ...extra });

async function settled(id: string) {
  const [cb] = await waitFor(() => h.callbacksFor(id).length > 0 && h.callbacksFor(id));
  return cb.json.Body.stkCallback;
}

describe("subscriber lock", () => {
  it("refuses a second push while a prompt is open on the phone", async () => {
    const first = await pushTo("254722000001");
    expect(first.status).toBe(200);
    const second = await pushTo("254722000001");
    expect(second.status).toBe(500);
    expect(second.json).toEqual(LOCKED);
    expect((await pushTo("254722000002")).status).toBe(200);
  });

  it("releases the lock once the prompt is answered", async () => {
    const first = await pushTo("254722000003");
    await h.control("handset/254722000003/cancel", {});
    await settled(first.json.CheckoutRequestID);
    expect((await pushTo("254722000003")).status).toBe(200);
  });

  it("releases a never-resolving prompt after promptTimeoutMs on the simulator clock", async () => {
    expect((await pushTo(TEST_PHONE.never)).status).toBe(200);
    expect((await pushTo(TEST_PHONE.never)).json).toEqual(LOCKED);
    await h.control("config", { clock: { offsetMs: 500 } });
    expect((await pushTo(TEST_PHONE.never)).status).toBe(200);
  });

  it("can be switched off", async () => {
    await h.control("config", { enforceSubscriberLock: false });
    expect((await pushTo("254722000004")).status).toBe(200);
    expect((await pushTo("254722000004")).status).toBe(200);
  });
});

describe("rule limit: same amount, same phone, within 2 minutes of a payment", () => {
  it("fails the repeat with ResultCode 17 Rule limited.", async () => {
    const first = await pushTo(TEST_PHONE.paid, { Amount: 100 });
    expect((await settled(first.json.CheckoutRequestID)).ResultCode).toBe(0);
    const repeat = await pushTo(TEST_PHONE.paid, { Amount: 100 });
    expect(repeat.status).toBe(200);
    const cb = await settled(repeat.json.CheckoutRequestID);
    expect(cb).toEqual({
      MerchantRequestID: expect.any(String),
      CheckoutRequestID: repeat.json.CheckoutRequestID,
      ResultCode: 17,
      ResultDesc: "Rule limited.",
    });
  });

  it("lets a different amount, or the same amount after 2 minutes, through", async () => {
    const first = await pushTo(TEST_PHONE.paid, { Amount: 100 });
    await settled(first.json.CheckoutRequestID);
    const other = await pushTo(TEST_PHONE.paid, { Amount: 101 });
    expect((await settled(other.json.CheckoutRequestID)).ResultCode).toBe(0);
    await h.control("config", { clock: { offsetMs: 2 * 60 * 1000 + 1000 } });
    const later = await pushTo(TEST_PHONE.paid, { Amount: 100 });
    expect((await settled(later.json.CheckoutRequestID)).ResultCode).toBe(0);
  });

  it("does not count a cancelled attempt", async () => {
    const first = await pushTo(TEST_PHONE.cancelled, { Amount: 100 });
    await settled(first.json.CheckoutRequestID);
    const retry = await pushTo(TEST_PHONE.cancelled, { Amount: 100 });
    expect((await settled(retry.json.CheckoutRequestID)).ResultCode).toBe(1032);
  });

  it("can be switched off", async () => {
    await h.control("config", { enforceRuleLimit: false });
    const first = await pushTo(TEST_PHONE.paid, { Amount: 100 });
    await settled(first.json.CheckoutRequestID);
    const repeat = await pushTo(TEST_PHONE.paid, { Amount: 100 });
    expect((await settled(repeat.json.CheckoutRequestID)).ResultCode).toBe(0);
  });
});
