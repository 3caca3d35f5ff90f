import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eatTimestamp } from "./clock";
import { passwordFor, startHarness, waitFor, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ enforceSubscriberLock: false, enforceRuleLimit: false });
});
afterAll(() => h.close());
beforeEach(() => h.reset({}));

const PUSH = "/mpesa/stkpush/v1/processrequest";
const invalid = (field: string) => ({
  requestId: expect.any(String),
  errorCode: "400.002.02",
  errorMessage: `Bad Request - Invalid ${field}`,
});

async function expectNoPrompt() {
  expect((await h.control("state")).json.counts.pushesAccepted).toBe(0);
}

describe("STK push transport errors", () => {
  it("answers a missing JSON content type with the misleading Invalid BusinessShortCode", async () => {
    const res = await h.darajaPost(PUSH, h.pushBody(), {
      contentType: "application/x-www-form-urlencoded",
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual(invalid("BusinessShortCode"));
  });

  it.each(['{"BusinessShortCode": 174379,', "[]", "null"])(
    "rejects body %j with 400.002.05",
    async (raw) => {
      const res = await h.darajaPost(PUSH, null, { raw });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        requestId: expect.any(String),
        errorCode: "400.002.05",
        errorMessage: "Invalid Request Payload",
      });
    },
  );

  it("accepts application/json with a charset", async () => {
    const res = await h.darajaPost(PUSH, h.pushBody(), {
      contentType: "application/json; charset=utf-8",
    });
    expect(res.status).toBe(200);
  });
});

describe("STK push field validation", () => {
  const tenMinutesAway = (sign: 1 | -1, extraMs: number) =>
    eatTimestamp(Date.now() + sign * (10 * 60 * 1000 + extraMs));
  const withTimestamp = (timestamp: string) => ({
    Timestamp: timestamp,
    Password: passwordFor(timestamp),
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["a non-numeric shortcode", { BusinessShortCode: "abc" }, "BusinessShortCode"],
    ["a separated timestamp", withTimestamp("2025-03-14 10:15:12"), "Timestamp"],
    ["a 13-digit timestamp", withTimestamp("2025031410151"), "Timestamp"],
    ["a timestamp 10 min + 30 s ahead", withTimestamp(tenMinutesAway(1, 30_000)), "Timestamp"],
    ["a timestamp 10 min + 30 s behind", withTimestamp(tenMinutesAway(-1, 30_000)), "Timestamp"],
    ["a UTC timestamp", withTimestamp(eatTimestamp(Date.now() - 3 * 3600 * 1000)), "Timestamp"],
    ["an unknown TransactionType", { TransactionType: "PayBill" }, "TransactionType"],
    ["amount 0", { Amount: 0 }, "Amount"],
    ["amount 250001", { Amount: 250001 }, "Amount"],
    ["amount 1.5", { Amount: 1.5 }, "Amount"],
    ["amount '1.5'", { Amount: "1.5" }, "Amount"],
    ["a missing amount", { Amount: undefined }, "Amount"],
    ["a local-format phone", { PhoneNumber: "0708000001", PartyA: "0708000001" }, "PhoneNumber"],
    [
      "a non-Safaricom prefix",
      { PhoneNumber: "254808000001", PartyA: "254808000001" },
      "PhoneNumber",
    ],
    ["a short phone", { PhoneNumber: "25470800000", PartyA: "25470800000" }, "PhoneNumber"],
    ["a bad PartyA", { PartyA: "07080" }, "PartyA"],
    ["a bad PartyB", { PartyB: "x" }, "PartyB"],
    [
      "a callback URL with a trailing space",
      { CallBackURL: "https://shop.example/cb " },
      "CallBackURL",
    ],
    [
      "a callback URL with an uppercase host",
      { CallBackURL: "https://Shop.example/cb" },
      "CallBackURL",
    ],
    [
      "a callback URL containing mpesa",
      { CallBackURL: "https://shop.example/mpesa/callback" },
      "CallBackURL",
    ],
    [
      "a callback URL containing M-Pesa",
      { CallBackURL: "https://shop.example/M-Pesa" },
      "CallBackURL",
    ],
    [
      "a callback URL containing safaricom",
      { CallBackURL: "https://shop.example/SafariCom" },
      "CallBackURL",
    ],
    [
      "an unfilled placeholder",
      { CallBackURL: "https://shop.example/hooks/{token}" },
      "CallBackURL",
    ],
    ["a missing callback URL", { CallBackURL: undefined }, "CallBackURL"],
    ["a 13-character AccountReference", { AccountReference: "ABCDEFGHIJKLM" }, "AccountReference"],
    ["a missing TransactionDesc", { TransactionDesc: undefined }, "Remarks"],
    ["a 14-character TransactionDesc", { TransactionDesc: "ABCDEFGHIJKLMN" }, "Remarks"],
  ])("rejects %s", async (_name, overrides, field) => {
    const res = await h.push(overrides);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(invalid(field));
    await expectNoPrompt();
  });

  it.each<[string, Record<string, unknown>]>([
    ["amount 1 as a string", { Amount: "1" }],
    ["amount 250000 as a number", { Amount: 250000 }],
    ["a 2541 number as a JSON number", { PhoneNumber: 254110000001, PartyA: 254110000001 }],
    ["a timestamp 9 minutes old", withTimestamp(eatTimestamp(Date.now() - 9 * 60 * 1000))],
    ["a 12-character AccountReference", { AccountReference: "ABCDEFGHIJKL" }],
  ])("accepts %s", async (_name, overrides) => {
    expect((await h.push(overrides)).status).toBe(200);
  });
});

describe("STK push merchant checks", () => {
  it("answers a wrong password with 500 [MerchantValidate] - Wrong credentials", async () => {
    const res = await h.push({
      Password: passwordFor(eatTimestamp(Date.now()), "174379", "not-the-passkey"),
    });
    expect(res.status).toBe(500);
    expect(res.json).toEqual({
      requestId: expect.any(String),
      errorCode: "500.001.1001",
      errorMessage: "[MerchantValidate] - Wrong credentials",
    });
  });

  it("rejects a password built from a different timestamp than the one sent", async () => {
    const res = await h.push({ Password: passwordFor(eatTimestamp(Date.now() - 1000)) });
    expect(res.json.errorMessage).toBe("[MerchantValidate] - Wrong credentials");
  });

  it("answers an unknown shortcode with Merchant does not exist", async () => {
    const res = await h.push({ BusinessShortCode: "600000", PartyB: "600000" });
    expect(res.status).toBe(500);
    expect(res.json.errorMessage).toBe("Merchant does not exist");
  });

  it("accepts a till/paybill mix-up and then fails it with 2028, as Daraja does", async () => {
    const res = await h.push({ TransactionType: "CustomerBuyGoodsOnline" });
    expect(res.status).toBe(200);
    const id = res.json.CheckoutRequestID;
    const [cb] = await waitFor(() => h.callbacksFor(id).length > 0 && h.callbacksFor(id));
    expect(cb.json.Body.stkCallback).toMatchObject({
      ResultCode: 2028,
      ResultDesc: expect.stringContaining("product assignment"),
    });
  });
});

describe("STK push success", () => {
  it("answers exactly the docs/daraja.md#stk-push-response body", async () => {
    const before = Date.now();
    const res = await h.push({ PhoneNumber: "254712345678", PartyA: "254712345678" });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual([
      "MerchantRequestID",
      "CheckoutRequestID",
      "ResponseCode",
      "ResponseDescription",
      "CustomerMessage",
    ]);
    expect(res.json).toMatchObject({
      MerchantRequestID: expect.stringMatching(
        /^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{7}$/,
      ),
      CheckoutRequestID: expect.stringMatching(/^ws_CO_\d{8}\d{6}\d{3}712345678$/),
      ResponseCode: "0",
      ResponseDescription: "Success. Request accepted for processing",
      CustomerMessage: "Success. Request accepted for processing",
    });
    // DDMMYYYYHHmmss in the ID reads Nairobi time.
    const id: string = res.json.CheckoutRequestID;
    const eat = eatTimestamp(before);
    expect(id.slice(6, 14)).toBe(eat.slice(6, 8) + eat.slice(4, 6) + eat.slice(0, 4));
  });
});
