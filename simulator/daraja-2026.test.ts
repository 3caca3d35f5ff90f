// The 2026 Daraja behaviours (docs/daraja.md: "STK callback body", "Query answers", "Polling"), over real HTTP: masked or absent
// payer numbers, a query asked too early, the SpikeArrest budget, callback shape variants, and HTML
// gateway pages with HTTP 200.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GATEWAY_HTML } from "./gateway";
import { TEST_PHONE } from "./outcomes";
import { startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ enforceSubscriberLock: false, enforceRuleLimit: false });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function pushTo(phone: string = TEST_PHONE.paid) {
  const res = await h.push({ PhoneNumber: phone, PartyA: phone });
  expect(res.status).toBe(200);
  return res.json.CheckoutRequestID as string;
}
const firstCallback = async (id: string) =>
  (await waitFor(() => h.callbacksFor(id).length > 0 && h.callbacksFor(id)))[0].json.Body
    .stkCallback;
const items = (stk: any): Array<{ Name: string; Value?: unknown }> => stk.CallbackMetadata.Item;
const valueOf = (stk: any, name: string) => items(stk).find((i) => i.Name === name)?.Value;

describe("masked and absent phone numbers in STK callbacks", () => {
  it.each([
    ["masked_tail", "0708000***"],
    ["masked_middle", "254708***001"],
  ])("phoneForm %s writes PhoneNumber as %s", async (phoneForm, shown) => {
    await h.control("config", { phoneForm });
    const stk = await firstCallback(await pushTo());
    expect(valueOf(stk, "PhoneNumber")).toBe(shown);
  });

  it("phoneForm absent leaves the PhoneNumber item out", async () => {
    await h.control("config", { phoneForm: "absent" });
    const stk = await firstCallback(await pushTo());
    expect(items(stk).map((i) => i.Name)).toEqual([
      "Amount",
      "MpesaReceiptNumber",
      "Balance",
      "TransactionDate",
    ]);
  });

  it("a per-number form changes only that number, and null removes it", async () => {
    await h.control("config", { phoneFormByNumber: { [TEST_PHONE.duplicate_callback]: "absent" } });
    const masked = await firstCallback(await pushTo(TEST_PHONE.duplicate_callback));
    const plain = await firstCallback(await pushTo(TEST_PHONE.paid));
    expect(valueOf(masked, "PhoneNumber")).toBeUndefined();
    expect(valueOf(plain, "PhoneNumber")).toBe(254708000001);
    const cleared = await h.control("config", {
      phoneFormByNumber: { [TEST_PHONE.duplicate_callback]: null },
    });
    expect(cleared.json.config.phoneFormByNumber).toEqual({});
  });

  it("rejects an unknown form", async () => {
    const res = await h.control("config", { phoneForm: "hidden" });
    expect(res.status).toBe(400);
  });
});

describe("masked and absent MSISDN in C2B confirmations", () => {
  beforeEach(async () => {
    await h.darajaPost("/mpesa/c2b/v2/registerurl", {
      ShortCode: "174379",
      ResponseType: "Completed",
      ConfirmationURL: `${h.receiver.url}/hooks/c2b/confirm`,
      ValidationURL: `${h.receiver.url}/hooks/c2b/validate`,
    });
  });
  const confirm = async (body: Record<string, unknown>) =>
    (await h.control("c2b/confirm", { amount: 100, billRefNumber: "INV1", ...body })).json.payload;

  it("follows the number's configured form", async () => {
    await h.control("config", { phoneFormByNumber: { "254712345678": "masked_middle" } });
    expect((await confirm({ msisdn: "254712345678" })).MSISDN).toBe("254712***678");
    // Another number keeps the v2 default.
    expect((await confirm({ msisdn: "254712000001" })).MSISDN).toBe("2547 ***** 001");
  });

  it("msisdnFormat absent leaves MSISDN out; masked_tail writes 07…***", async () => {
    expect(await confirm({ msisdnFormat: "absent" })).not.toHaveProperty("MSISDN");
    expect((await confirm({ msisdnFormat: "masked_tail" })).MSISDN).toBe("0708000***");
  });
});

describe("a query asked too early (earlyQueryMs)", () => {
  it("answers 400 Invalid CheckoutRequestID, then 4999, then the final code", async () => {
    await h.control("config", { earlyQueryMs: 150, latencyMs: 400 });
    const id = await pushTo();
    const early = await h.query(id);
    expect(early.status).toBe(400);
    expect(early.json).toEqual({
      requestId: expect.any(String),
      errorCode: "400.002.02",
      errorMessage: "Bad Request - Invalid CheckoutRequestID",
    });
    await new Promise((r) => setTimeout(r, 200));
    const pending = await h.query(id);
    expect(pending.status).toBe(200);
    expect(pending.json.ResultCode).toBe("4999");
    await firstCallback(id);
    const final = await h.query(id);
    expect(final.json.ResultCode).toBe("0");
  });

  it("is off by default", async () => {
    await h.control("config", { latencyMs: 400 });
    const res = await h.query(await pushTo());
    expect(res.json.errorMessage).toBe("The transaction is being processed");
  });
});

describe("the SpikeArrest query budget", () => {
  it("refuses a query over budget with 429, Apigee's fault and Retry-After; refills on the clock", async () => {
    await h.control("config", {
      queryBudget: { limit: 5, windowMs: 60_000, burst: 1 },
      clock: { now: new Date().toISOString() },
    });
    const id = "ws_CO_anything";
    expect((await h.query(id)).status).toBe(500); // allowed: Daraja says it does not exist
    const refused = await h.query(id);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("12");
    expect(refused.json).toEqual({
      fault: {
        faultstring: expect.stringContaining("Spike arrest violation"),
        detail: { errorcode: "policies.ratelimit.SpikeArrestViolation" },
      },
    });
    // 12 s later (5 per minute = one every 12 s) one more query is allowed, and only one.
    const now = (await h.control("state")).json.now;
    await h.control("config", {
      clock: { now: new Date(Date.parse(now) + 12_000).toISOString() },
    });
    expect((await h.query(id)).status).toBe(500);
    expect((await h.query(id)).status).toBe(429);
    await h.control("config", { queryBudget: null });
    expect((await h.query(id)).status).toBe(500);
  });
});

describe("callback shape variants", () => {
  it("writes string values, no TransactionDate and a reversed item order", async () => {
    await h.control("config", {
      callbackShape: { amount: "string", transactionDate: "absent", itemOrder: "reversed" },
    });
    const stk = await firstCallback(await pushTo());
    expect(items(stk)).toEqual([
      { Name: "PhoneNumber", Value: 254708000001 },
      { Name: "Balance" },
      { Name: "MpesaReceiptNumber", Value: expect.stringMatching(/^[A-Z0-9]{10}$/) },
      { Name: "Amount", Value: "1250" },
    ]);
  });

  it("writes TransactionDate and PhoneNumber as strings", async () => {
    await h.control("config", { callbackShape: { transactionDate: "string", phone: "string" } });
    const stk = await firstCallback(await pushTo());
    expect(valueOf(stk, "TransactionDate")).toMatch(/^\d{14}$/);
    expect(valueOf(stk, "PhoneNumber")).toBe("254708000001");
  });
});

describe("HTTP 200 with an HTML gateway page", () => {
  it("on the push: the page comes back, and the prompt still runs (a callback follows)", async () => {
    await h.control("next-push", { response: "html_200" });
    const res = await h.push();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html");
    expect(res.text).toBe(GATEWAY_HTML);
    const state = await waitFor(async () => {
      const s = (await h.control("state")).json;
      return s.deliveries.length > 0 && s;
    });
    expect(state.prompts).toHaveLength(1);
    expect(state.deliveries[0].body.Body.stkCallback.ResultCode).toBe(0);
  });

  it("on the push with prompt false: nothing reached M-Pesa", async () => {
    await h.control("next-push", { response: "html_200", prompt: false });
    expect((await h.push()).text).toBe(GATEWAY_HTML);
    expect((await h.control("state")).json.prompts).toHaveLength(0);
    expect((await h.push()).json.ResponseCode).toBe("0");
  });

  it("on the query, then the usual answers", async () => {
    const id = await pushTo();
    await firstCallback(id);
    await h.control("next-query", { response: "html_200" });
    const page = await h.query(id);
    expect(page.status).toBe(200);
    expect(page.text).toBe(GATEWAY_HTML);
    expect((await h.query(id)).json.ResultCode).toBe("0");
  });
});
