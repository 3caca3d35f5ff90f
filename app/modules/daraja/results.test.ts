// The initiator results' documented quirks, one by one, and property tests for the balance string.
import fc from "fast-check";
import {
  isPlaceholderTransactionId,
  parseAccountBalance,
  parseAsyncResult,
  parseBalanceResult,
  parseReversalResult,
  parseStatusResult,
  toCents,
} from "./results";

const statusBody = (over: Record<string, unknown> = {}, params?: unknown) =>
  JSON.stringify({
    Result: {
      ResultType: 0,
      ResultCode: 0,
      ResultDesc: "The service request is processed successfully.",
      OriginatorConversationID: "oc-1",
      ConversationID: "AG_20240206_abc",
      TransactionID: "SB60000000",
      ResultParameters: {
        ResultParameter: params ?? [
          { Key: "DebitPartyName", Value: "254712345678 - JANE DOE" },
          { Key: "CreditPartyName", Value: "600999 - ACME RETAIL LIMITED          " },
          { Key: "InitiatedTime", Value: 20240206143645 },
          { Key: "CreditPartyCharges" },
          { Key: "TransactionReason" },
          { Key: "TransactionStatus", Value: "Completed " },
          { Key: "FinalisedTime", Value: 20240206143645 },
          { Key: "Amount", Value: 1.0 },
          { Key: "ReceiptNo", Value: " SB659DEI29 " },
        ],
      },
      ...over,
    },
  });

describe("Transaction Status results", () => {
  it("takes the receipt from ReceiptNo, never the placeholder TransactionID", () => {
    const r = parseStatusResult(statusBody());
    expect(r.ok && r.result).toMatchObject({
      resultCode: "0",
      receipt: "SB659DEI29",
      amountKes: 1,
      transactionStatus: "Completed",
      creditParty: "600999 - ACME RETAIL LIMITED",
      debitParty: "254712345678 - JANE DOE",
      finalisedAt: new Date("2024-02-06T11:36:45Z"),
      conversationId: "AG_20240206_abc",
    });
    expect(r.ok && r.result.params.CreditPartyCharges).toBeNull();
  });

  it("reads a body with a byte-order mark in front (a proxy may add one)", () => {
    const r = parseStatusResult(`\uFEFF${statusBody()}`);
    expect(r.ok && r.result).toMatchObject({ resultCode: "0", receipt: "SB659DEI29" });
  });

  it("reads a single ResultParameter object and a string ResultCode", () => {
    const r = parseStatusResult(
      statusBody(
        { ResultCode: "2001", ResultDesc: "The initiator information is invalid." },
        {
          Key: "ReceiptNo",
          Value: "SB659DEI29",
        },
      ),
    );
    expect(r.ok && r.result).toMatchObject({
      resultCode: "2001",
      receipt: "SB659DEI29",
      amountKes: null,
    });
  });

  it("says why an amount is unusable instead of guessing", () => {
    const r = parseStatusResult(statusBody({}, [{ Key: "Amount", Value: 10.5 }]));
    expect(r.ok && r.result.amountKes).toBeNull();
    expect(r.ok && r.result.amountProblem).toMatch(/not whole shillings/);
  });

  it("refuses bodies that are not a Result envelope", () => {
    expect(parseAsyncResult("<html>")).toEqual({ ok: false, reason: "body is not JSON" });
    expect(parseAsyncResult('{"Body":{}}').ok).toBe(false);
  });

  it("knows placeholder TransactionIDs from receipts", () => {
    expect(isPlaceholderTransactionId("SB60000000")).toBe(true);
    expect(isPlaceholderTransactionId("OA90000000")).toBe(true);
    expect(isPlaceholderTransactionId("SB659DEI29")).toBe(false);
    expect(isPlaceholderTransactionId(null)).toBe(true);
  });
});

describe("Reversal results", () => {
  it("takes the reversal's own receipt from TransactionID", () => {
    const body = JSON.stringify({
      Result: {
        ResultType: 0,
        ResultCode: 0,
        ResultDesc: "ok",
        OriginatorConversationID: "oc-2",
        ConversationID: "AG_x",
        TransactionID: "PDU91HIVIT",
        ResultParameters: {
          ResultParameter: [
            {
              Key: "DebitAccountBalance",
              Value: "Utility Account|KES|7722179.62|7722179.62|0.00|0.00",
            },
            { Key: "Amount", Value: 200 },
            { Key: "TransCompletedTime", Value: 20210709151238 },
            { Key: "OriginalTransactionID", Value: "PDU41HBJ8Z" },
            { Key: "Charge", Value: 0 },
          ],
        },
      },
    });
    const r = parseReversalResult(body);
    expect(r.ok && r.result).toMatchObject({
      reversalReceipt: "PDU91HIVIT",
      originalReceipt: "PDU41HBJ8Z",
      amountKes: 200,
    });
  });

  it("keeps an alphanumeric failure code such as R000001 as text", () => {
    const r = parseReversalResult(
      JSON.stringify({
        Result: { ResultCode: "R000001", ResultDesc: "already reversed", ConversationID: "AG_y" },
      }),
    );
    expect(r.ok && r.result).toMatchObject({
      resultCode: "R000001",
      reversalReceipt: null,
      amountKes: null,
    });
  });
});

describe("Account Balance results", () => {
  const OFFICIAL =
    "Working Account|KES|700000.00|700000.00|0.00|0.00&Float Account|KES|0.008|0.00|0.00|0.00&Utility Account|KES|228037.00|228037.00|0.00|0.00&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00";

  it("parses the official sample, leaving out and naming its corrupt fragment", () => {
    const { accounts, problems } = parseAccountBalance(OFFICIAL);
    expect(accounts.map((a) => [a.name, a.amountCents])).toEqual([
      ["Working Account", 70_000_000],
      ["Utility Account", 22_803_700],
      ["Charges Paid Account", -154_000],
    ]);
    expect(problems).toEqual([expect.stringContaining("Float Account|KES|0.008")]);
  });

  it("reads the whole result with its completion time", () => {
    const r = parseBalanceResult(
      JSON.stringify({
        Result: {
          ResultCode: 0,
          ResultDesc: "ok",
          ConversationID: "AG_b",
          TransactionID: "OA90000000",
          ResultParameters: {
            ResultParameter: [
              { Key: "AccountBalance", Value: OFFICIAL },
              { Key: "BOCompletedTime", Value: 20200109125710 },
            ],
          },
        },
      }),
    );
    expect(r.ok && r.result.accounts).toHaveLength(3);
    expect(r.ok && r.result.completedAt).toEqual(new Date("2020-01-09T09:57:10Z"));
  });

  const account = fc.record({
    name: fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,30}[A-Za-z]$/),
    cents: fc.integer({ min: -10_000_000_000, max: 10_000_000_000 }),
  });
  const money = (cents: number) =>
    `${cents < 0 ? "-" : ""}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;

  it("round-trips any list of well-formed accounts (property)", () => {
    fc.assert(
      fc.property(fc.array(account, { maxLength: 8 }), (list) => {
        const text = list
          .map((a) => `${a.name}|KES|${money(a.cents)}|${money(a.cents)}|0.00|0.00`)
          .join("&");
        const parsed = parseAccountBalance(text);
        expect(parsed.problems).toEqual([]);
        expect(parsed.accounts.map((a) => [a.name, a.amountCents])).toEqual(
          list.map((a) => [a.name.trim(), a.cents]),
        );
      }),
    );
  });

  it("never throws and never invents an account from arbitrary text (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const parsed = parseAccountBalance(text);
        for (const a of parsed.accounts) {
          expect(Number.isSafeInteger(a.amountCents)).toBe(true);
          expect(text).toContain(a.name);
        }
      }),
    );
  });

  it("reads cents exactly", () => {
    expect(toCents("1,234.5")).toBe(123_450);
    expect(toCents("-0.00")).toBe(0);
    expect(toCents("0.008")).toBeNull();
    expect(toCents("12e3")).toBeNull();
  });
});
