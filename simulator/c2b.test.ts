import { createHash } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "./test-harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

function register(version: "v1" | "v2", overrides: Record<string, unknown> = {}) {
  return h.darajaPost(`/mpesa/c2b/${version}/registerurl`, {
    ShortCode: "174379",
    ResponseType: "Completed",
    ConfirmationURL: `${h.receiver.url}/hooks/c2b/confirm`,
    ValidationURL: `${h.receiver.url}/hooks/c2b/validate`,
    ...overrides,
  });
}

describe("POST /mpesa/c2b/v1|v2/registerurl", () => {
  it.each(["v1", "v2"] as const)(
    "%s stores the URLs and answers with the misspelt key",
    async (version) => {
      const res = await register(version);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({
        OriginatorCoversationID: expect.any(String),
        ResponseCode: "0",
        ResponseDescription: "Success",
      });
      const [reg] = (await h.control("state")).json.c2bRegistrations;
      expect(reg).toMatchObject({
        shortCode: "174379",
        version,
        confirmationUrl: `${h.receiver.url}/hooks/c2b/confirm`,
      });
    },
  );

  it.each([
    [{ ResponseType: "completed" }, "ResponseType"],
    [{ ShortCode: "x" }, "ShortCode"],
    [{ ConfirmationURL: "https://shop.example/mpesa/confirm" }, "ConfirmationURL"],
    [{ ValidationURL: "https://shop.example/validate?query=1" }, "ValidationURL"],
  ])("rejects %j", async (overrides, field) => {
    const res = await register("v1", overrides);
    expect(res.status).toBe(400);
    expect(res.json.errorMessage).toBe(`Bad Request - Invalid ${field}`);
  });
});

describe("POST /__sim/c2b/confirm", () => {
  it("needs registered URLs", async () => {
    const res = await h.control("c2b/confirm", { amount: 5, billRefNumber: "INV-1" });
    expect(res.status).toBe(409);
  });

  it("sends a docs/daraja.md#c2b-confirmation confirmation with string values to the ConfirmationURL", async () => {
    await register("v2");
    const res = await h.control("c2b/confirm", {
      amount: 5,
      billRefNumber: " inv 1 ",
      msisdn: "254712345678",
      msisdnFormat: "plain",
    });
    expect(res.status).toBe(200);
    const [got] = h.receiver.received;
    expect(got.path).toBe("/hooks/c2b/confirm");
    expect(got.json).toEqual({
      TransactionType: "Pay Bill",
      TransID: expect.stringMatching(/^[A-Z0-9]{10}$/),
      TransTime: expect.stringMatching(/^20\d{12}$/),
      TransAmount: "5.00",
      BusinessShortCode: "174379",
      BillRefNumber: " inv 1 ",
      InvoiceNumber: "",
      OrgAccountBalance: "5.00",
      ThirdPartyTransID: "",
      MSISDN: "254712345678",
      FirstName: "JOHN",
      MiddleName: "",
      LastName: "",
    });
    expect(Object.values(got.json).every((v) => typeof v === "string")).toBe(true);
    expect(res.json.delivery).toMatchObject({ kind: "c2b_confirmation", status: 200 });
  });

  it.each([
    ["masked", "2547 ***** 678"],
    ["hashed", "7132104d6aae9c3fac82095a42c2817952bca48e09d98d5bf4ac08218982fb90"],
  ])("formats the MSISDN %s", async (msisdnFormat, expected) => {
    await register("v1");
    await h.control("c2b/confirm", {
      transId: "TCE4XK2P7Q",
      amount: 1250,
      billRefNumber: "A1",
      msisdn: "254712345678",
      msisdnFormat,
    });
    expect(h.receiver.received[0].json).toMatchObject({
      MSISDN: expected,
      TransID: "TCE4XK2P7Q",
      TransAmount: "1250.00",
    });
  });

  it("defaults to hashed for v1 registrations and masked for v2", async () => {
    await register("v1");
    await h.control("c2b/confirm", { amount: 1, billRefNumber: "A1" });
    expect(h.receiver.received[0].json.MSISDN).toBe(
      createHash("sha256").update("254708000001").digest("hex"),
    );
    await register("v2");
    await h.control("c2b/confirm", { amount: 1, billRefNumber: "A1" });
    expect(h.receiver.received[1].json.MSISDN).toBe("2547 ***** 001");
  });
});
