import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TEST_NUMBERS, TEST_PHONE } from "./outcomes";
import { sleep, startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ enforceSubscriberLock: false, enforceRuleLimit: false });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function pushTo(phone: string, overrides: Record<string, unknown> = {}) {
  const res = await h.push({ PhoneNumber: phone, PartyA: phone, ...overrides });
  expect(res.status).toBe(200);
  return res.json.CheckoutRequestID as string;
}

const callbacks = (id: string, count: number) =>
  waitFor(() => h.callbacksFor(id).length >= count && h.callbacksFor(id));
const stk = (r: { json: any }) => r.json.Body.stkCallback;
const promptOf = async (id: string) =>
  (await h.control("state")).json.prompts.find((p: any) => p.checkoutRequestId === id);

async function expectQuery(id: string, resultCode: string, resultDesc: string) {
  const res = await h.query(id);
  expect(res.status).toBe(200);
  expect(res.json).toEqual({
    ResponseCode: "0",
    ResponseDescription: "The service request has been accepted successsfully",
    MerchantRequestID: expect.any(String),
    CheckoutRequestID: id,
    ResultCode: resultCode,
    ResultDesc: resultDesc,
  });
}

describe("the test-number table", () => {
  it("is exported as data with the agreed MSISDNs", () => {
    expect(TEST_NUMBERS.map((t) => t.phone)).toEqual([
      ...Array.from({ length: 14 }, (_, i) => `2547080000${String(i + 1).padStart(2, "0")}`),
      "254708374149",
    ]);
  });
});

describe("254708000001 pays", () => {
  it("sends one success callback shaped exactly like docs/daraja.md#stk-callback-body", async () => {
    const id = await pushTo(TEST_PHONE.paid);
    const [cb] = await callbacks(id, 1);
    expect(cb.path).toBe("/hooks/daraja/stk/tok123");
    expect(cb.headers["content-type"]).toBe("application/json;charset=UTF-8");
    expect(cb.headers["businessshortcode"]).toBe("174379");
    const body = stk(cb);
    expect(Object.keys(body)).toEqual([
      "MerchantRequestID",
      "CheckoutRequestID",
      "ResultCode",
      "ResultDesc",
      "CallbackMetadata",
    ]);
    expect(body).toMatchObject({
      CheckoutRequestID: id,
      ResultCode: 0,
      ResultDesc: "The service request is processed successfully.",
    });
    const items = body.CallbackMetadata.Item;
    expect(items.map((i: any) => i.Name)).toEqual([
      "Amount",
      "MpesaReceiptNumber",
      "Balance",
      "TransactionDate",
      "PhoneNumber",
    ]);
    expect(items[0]).toEqual({ Name: "Amount", Value: 1250 });
    expect(items[1].Value).toMatch(/^[L-Z][A-L][1-9A-V][A-Z0-9]{7}$/);
    expect(items[2]).toEqual({ Name: "Balance" });
    expect(typeof items[3].Value).toBe("number");
    expect(String(items[3].Value)).toMatch(/^20\d{12}$/);
    expect(items[4]).toEqual({ Name: "PhoneNumber", Value: 254708000001 });
    await sleep(60);
    expect(h.callbacksFor(id)).toHaveLength(1);
    await expectQuery(id, "0", "The service request is processed successfully.");
  });

  it("gives every payment a unique receipt", async () => {
    const ids = [
      await pushTo(TEST_PHONE.paid, { Amount: 1 }),
      await pushTo(TEST_PHONE.paid, { Amount: 2 }),
    ];
    const receipts = await Promise.all(
      ids.map(async (id) => stk((await callbacks(id, 1))[0]).CallbackMetadata.Item[1].Value),
    );
    expect(new Set(receipts).size).toBe(2);
  });
});

describe.each([
  [TEST_PHONE.cancelled, 1032, "Request Cancelled by user."],
  [TEST_PHONE.unreachable, 1037, "DS timeout user cannot be reached."],
  [TEST_PHONE.insufficient_funds, 1, "The balance is insufficient for the transaction."],
  [TEST_PHONE.wrong_pin, 2001, "The initiator information is invalid."],
])("%s fails", (phone, code, desc) => {
  it(`with one ${code} callback that has no CallbackMetadata`, async () => {
    const id = await pushTo(phone);
    const [cb] = await callbacks(id, 1);
    expect(cb.json).toEqual({
      Body: {
        stkCallback: {
          MerchantRequestID: expect.any(String),
          CheckoutRequestID: id,
          ResultCode: code,
          ResultDesc: desc,
        },
      },
    });
    expect("CallbackMetadata" in stk(cb)).toBe(false);
    await expectQuery(id, String(code), desc);
  });
});

describe("callback delivery anomalies", () => {
  it("254708000006 pays but never calls back; the query knows ResultCode 0", async () => {
    const id = await pushTo(TEST_PHONE.lost_callback);
    const prompt = await waitFor(async () => {
      const p = await promptOf(id);
      return p.status === "paid" && p;
    });
    expect(prompt.receipt).toMatch(/^[A-Z0-9]{10}$/);
    await sleep(60);
    expect(h.callbacksFor(id)).toHaveLength(0);
    await expectQuery(id, "0", "The service request is processed successfully.");
  });

  it("254708000007 delivers two identical callbacks", async () => {
    const id = await pushTo(TEST_PHONE.duplicate_callback);
    const [first, second] = await callbacks(id, 2);
    expect(second.raw).toBe(first.raw);
    expect(stk(first).ResultCode).toBe(0);
    await sleep(60);
    expect(h.callbacksFor(id)).toHaveLength(2);
  });

  it("254708000008 pays, then sends a conflicting 1032 for the same CheckoutRequestID", async () => {
    const id = await pushTo(TEST_PHONE.conflicting_callback);
    const [first, second] = await callbacks(id, 2);
    expect(stk(first)).toMatchObject({ ResultCode: 0, CallbackMetadata: expect.any(Object) });
    expect(stk(second)).toEqual({
      MerchantRequestID: stk(first).MerchantRequestID,
      CheckoutRequestID: id,
      ResultCode: 1032,
      ResultDesc: "Request Cancelled by user.",
    });
    await expectQuery(id, "0", "The service request is processed successfully.");
  });

  it.each([
    [1250, 1249],
    [1, 2],
  ])("254708000009 asked for %i pays %i", async (requested, paid) => {
    const id = await pushTo(TEST_PHONE.wrong_amount, { Amount: requested });
    const [cb] = await callbacks(id, 1);
    expect(stk(cb).CallbackMetadata.Item[0]).toEqual({ Name: "Amount", Value: paid });
  });

  it("254708000010 sends 1037 first, then a success after lateDelayMs (default 5× latency)", async () => {
    const id = await pushTo(TEST_PHONE.late_success);
    const [failure] = await callbacks(id, 1);
    const failedAt = Date.now();
    expect(stk(failure)).toMatchObject({
      ResultCode: 1037,
      ResultDesc: "DS timeout user cannot be reached.",
    });
    expect("CallbackMetadata" in stk(failure)).toBe(false);
    await expectQuery(id, "1037", "DS timeout user cannot be reached.");
    const [, success] = await callbacks(id, 2);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(60);
    expect(stk(success)).toMatchObject({ ResultCode: 0, CallbackMetadata: expect.any(Object) });
    await expectQuery(id, "0", "The service request is processed successfully.");
  });
});

describe("pending forms of STK Query", () => {
  it("254708000011 answers HTTP 200 ResultCode 4999 while pending, then the result", async () => {
    await h.control("config", { latencyMs: 200 });
    const id = await pushTo(TEST_PHONE.pending_4999);
    const pending = await h.query(id);
    expect(pending.status).toBe(200);
    expect(pending.json).toMatchObject({
      CheckoutRequestID: id,
      ResultCode: "4999",
      ResultDesc: "The transaction is still under processing",
    });
    await callbacks(id, 1);
    await expectQuery(id, "0", "The service request is processed successfully.");
  });

  it("254708000012 never resolves: no callback, and the classic HTTP 500 pending answer", async () => {
    const id = await pushTo(TEST_PHONE.never);
    await sleep(80);
    const res = await h.query(id);
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      requestId: id,
      errorCode: "500.001.1001",
      errorMessage: "The transaction is being processed",
    });
    expect(h.callbacksFor(id)).toHaveLength(0);
    expect((await promptOf(id)).status).toBe("pending");
  });
});

describe("push-level failures", () => {
  it("254708000013 answers 500 500.003.02 System is busy and opens no prompt", async () => {
    const res = await h.push({ PhoneNumber: TEST_PHONE.busy, PartyA: TEST_PHONE.busy });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      requestId: expect.any(String),
      errorCode: "500.003.02",
      errorMessage: "System is busy. Please try again in few minutes.",
    });
    expect((await h.control("state")).json.prompts).toHaveLength(0);
  });

  it("254708000014 never answers the push, yet the prompt exists and pays", async () => {
    await h.control("config", { hangMs: 150 });
    const started = Date.now();
    await expect(
      h.push({ PhoneNumber: TEST_PHONE.hang, PartyA: TEST_PHONE.hang }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const [entry] = (await h.control("requests?path=/mpesa/stkpush/v1/processrequest")).json
      .requests;
    expect(entry.status).toBeNull();
    const [cb] = await callbacks(entry.checkoutRequestId, 1);
    expect(stk(cb).ResultCode).toBe(0);
  });
});

describe("numbers that wait for a person", () => {
  it("254708374149 never answers: 1037 No response from user. after promptTimeoutMs", async () => {
    await h.control("config", { promptTimeoutMs: 150 });
    const id = await pushTo(TEST_PHONE.no_answer);
    await sleep(60);
    expect(h.callbacksFor(id)).toHaveLength(0);
    const [cb] = await callbacks(id, 1);
    expect(stk(cb)).toMatchObject({ ResultCode: 1037, ResultDesc: "No response from user." });
  });

  it("any other number waits for the handset and times out with 1037", async () => {
    await h.control("config", { promptTimeoutMs: 150 });
    const id = await pushTo("254722000111");
    await sleep(60);
    expect((await h.query(id)).status).toBe(500);
    const [cb] = await callbacks(id, 1);
    expect(stk(cb)).toMatchObject({ ResultCode: 1037, ResultDesc: "No response from user." });
  });
});
