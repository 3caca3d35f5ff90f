import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eatTimestamp } from "./clock";
import { TEST_PHONE } from "./outcomes";
import { passwordFor, startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ enforceSubscriberLock: false, enforceRuleLimit: false });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function paidPush() {
  const id: string = (await h.push()).json.CheckoutRequestID;
  await waitFor(() => h.callbacksFor(id).length > 0);
  return id;
}

describe("STK Query", () => {
  it("answers an unknown CheckoutRequestID with The transaction does not Exist", async () => {
    const res = await h.query("ws_CO_01012025000000000700000000");
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      requestId: expect.any(String),
      errorCode: "500.001.1001",
      errorMessage: "The transaction does not Exist",
    });
  });

  it("validates Password and Timestamp like the push", async () => {
    const id = await paidPush();
    const wrong = await h.query(id, {
      Password: passwordFor(eatTimestamp(Date.now()), "174379", "bad"),
    });
    expect(wrong.status).toBe(500);
    expect(wrong.json.errorMessage).toBe("[MerchantValidate] - Wrong credentials");
    const stale = eatTimestamp(Date.now() - 20 * 60 * 1000);
    const old = await h.query(id, { Timestamp: stale, Password: passwordFor(stale) });
    expect(old.status).toBe(400);
    expect(old.json.errorMessage).toBe("Bad Request - Invalid Timestamp");
    const missing = await h.query("");
    expect(missing.json.errorMessage).toBe("Bad Request - Invalid CheckoutRequestID");
  });

  it("needs a valid Bearer token and a JSON body", async () => {
    const bogus = await h.darajaPost("/mpesa/stkpushquery/v1/query", {}, { token: "nope" });
    expect(bogus.status).toBe(404);
    expect(bogus.json.errorCode).toBe("404.001.03");
    const form = await h.darajaPost(
      "/mpesa/stkpushquery/v1/query",
      {},
      { contentType: "text/plain" },
    );
    expect(form.json.errorMessage).toBe("Bad Request - Invalid BusinessShortCode");
  });

  it("counts queries per CheckoutRequestID", async () => {
    const id = await paidPush();
    await h.query(id);
    await h.query(id);
    await h.query("ws_CO_other");
    const state = (await h.control("state")).json;
    expect(state.queriesByCheckoutRequestId).toEqual({ [id]: 2, ws_CO_other: 1 });
    expect(state.counts.queries).toBe(3);
  });
});

describe("POST /__sim/next-query", () => {
  const cases = [
    ["spike_arrest", 500, "500.003.02", "Error Occurred: Spike Arrest Violation"],
    ["quota", 500, "500.003.03", "Quota Violation"],
    ["http_429", 429, "500.003.02", "Error Occurred: Spike Arrest Violation"],
    ["not_found", 500, "500.001.1001", "The transaction does not Exist"],
    ["pending", 500, "500.001.1001", "The transaction is being processed"],
  ] as const;

  it.each(cases)("%s answers %i %s", async (response, status, errorCode, errorMessage) => {
    const id = await paidPush();
    await h.control("next-query", { response });
    const forced = await h.query(id);
    expect(forced.status).toBe(status);
    expect(forced.json).toEqual({ requestId: expect.any(String), errorCode, errorMessage });
    const normal = await h.query(id);
    expect(normal.json.ResultCode).toBe("0");
  });

  it("repeats for `times` queries", async () => {
    const id = await paidPush();
    await h.control("next-query", { response: "spike_arrest", times: 2 });
    expect((await h.query(id)).status).toBe(500);
    expect((await h.query(id)).status).toBe(500);
    expect((await h.query(id)).status).toBe(200);
  });

  it("rejects an unknown response name", async () => {
    const res = await h.control("next-query", { response: "teapot" });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("bad_input");
  });

  it("leaves the table's own pending forms alone otherwise", async () => {
    const id: string = (await h.push({ PhoneNumber: TEST_PHONE.never, PartyA: TEST_PHONE.never }))
      .json.CheckoutRequestID;
    expect((await h.query(id)).json.errorMessage).toBe("The transaction is being processed");
  });
});
