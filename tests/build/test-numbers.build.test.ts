// Every simulator test number through the BUILT server: a merchant's system requests the payment with
// its API key and reads, over the JSON API, the final status, the result code and a message support
// can read to the customer. The poller and callbacks run inside the server exactly as in production.
import { handsetPhone, startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import {
  callbacksFor,
  getPayment,
  paidWithReceipt,
  requestPayment,
  revenue,
  settled,
  type Payment,
} from "./support/flows";

let s: BuiltServer;
beforeAll(async () => {
  // A short prompt lifetime so the sandbox's never-answering number ends within the test.
  // No demo data: revenue below must count exactly this suite's payments.
  s = await startSuiteServer({
    label: "test-numbers",
    simConfig: { promptTimeoutMs: 3000 },
    env: { SEED_DEMO_DATA: "false" },
  });
});
afterAll(async () => s?.stop());

const withOpenCase = async (id: string, type: string) => {
  await waitFor(async () => {
    const p = await getPayment(s, id);
    return p.openExceptions.some((x) => x.type === type) ? p : null;
  }, `an open ${type} case on payment ${id}`);
  // Read again: the payment view is several reads, and the one that saw the case may have read the
  // payment row just before the same transaction changed it.
  return getPayment(s, id);
};

const RECEIPT = /^[A-Z0-9]{10}$/;

describe.concurrent("each simulator test number ends as the merchant and support expect", () => {
  it("0708 000 001 pays: paid, ResultCode 0, an M-Pesa receipt for the requested amount", async () => {
    const p = await paidWithReceipt(s, (await requestPayment(s, { phone: "254708000001", amount: 101 })).id);
    expect(p).toMatchObject({ resultCode: "0", receiptPending: false });
    expect(p.receipt).toMatch(RECEIPT);
    expect(p.receipts).toEqual([expect.objectContaining({ receipt: p.receipt, amount: 101 })]);
    expect(p.statusReason).toContain(p.receipt!);
    expect(p.openExceptions).toEqual([]);
  });

  it.each([
    ["254708000002", "cancelled", "1032", "Request Cancelled by user."],
    ["254708000003", "expired", "1037", "DS timeout user cannot be reached."],
    ["254708000004", "failed", "1", "The balance is insufficient for the transaction."],
    ["254708000005", "failed", "2001", "The initiator information is invalid."],
    ["254708374149", "expired", "1037", "No response from user."],
  ])("%s ends %s with ResultCode %s and M-Pesa's words", async (phone, status, code, desc) => {
    const p = await settled(s, (await requestPayment(s, { phone, amount: 102 })).id, status);
    expect(p).toMatchObject({ resultCode: code, receipt: null });
    expect(p.attempts[0]).toMatchObject({ status, resultCode: code, resultDesc: desc });
    expect(p.statusReason, "the reason support reads").toBe(
      `Attempt ${status} (ResultCode ${code})`,
    );
    expect(p.receipts).toEqual([]);
    expect(p.openExceptions).toEqual([]);
  });

  it("0708 000 006 (callback lost): the poller's STK Query makes it paid with the receipt still to come", async () => {
    const p = await settled(s, (await requestPayment(s, { phone: "254708000006", amount: 106 })).id, "paid");
    expect(p).toMatchObject({ resultCode: "0", receipt: null, receiptPending: true });
    expect(p.statusReason).toMatch(/receipt/i);
  });

  it("0708 000 007 (callback twice): one paid payment, one receipt, the second callback recorded as a duplicate", async () => {
    const p = await settled(s, (await requestPayment(s, { phone: "254708000007", amount: 107 })).id, "paid");
    const rows = await waitFor(async () => {
      const r = await callbacksFor(s, p.attempts[0].checkoutRequestId!);
      return r.length === 2 && r.every((x) => x.outcome !== "received") ? r : null;
    }, "both callbacks processed");
    expect(rows.map((r) => r.outcome).sort()).toEqual(["applied", "duplicate"]);
    // Read after both callbacks: under load the poller's STK Query may have made the payment paid
    // (receipt still to come) before the first callback was applied, so `p` may predate the receipt.
    const after = await getPayment(s, p.id);
    expect(after).toMatchObject({ status: "paid", receiptPending: false });
    expect(after.receipt).toMatch(RECEIPT);
    expect(after.receipts).toEqual([expect.objectContaining({ receipt: after.receipt, amount: 107 })]);
  });

  it("0708 000 008 (success, then a 1032): stays paid and opens conflicting_callback for a person", async () => {
    const { id } = await requestPayment(s, { phone: "254708000008", amount: 108 });
    const p = await withOpenCase(id, "conflicting_callback");
    expect(p).toMatchObject({ status: "paid", resultCode: "0" });
    expect(p.receipt).toMatch(RECEIPT);
  });

  it("0708 000 009 (pays one shilling less): not paid, the money recorded, an amount_mismatch case", async () => {
    const { id } = await requestPayment(s, { phone: "254708000009", amount: 109 });
    const p = await withOpenCase(id, "amount_mismatch");
    expect(p.status).toBe("unknown");
    expect(p.receipts).toEqual([expect.objectContaining({ amount: 108 })]);
    expect(p.openExceptions.find((x) => x.type === "amount_mismatch")).toMatchObject({
      amountAtStake: 108,
    });
    expect(p.statusReason).toMatch(/108/);
  });

  it("0708 000 010 (1037, then a late success): stays expired, the receipt recorded, a late_success case", async () => {
    const { id } = await requestPayment(s, { phone: "254708000010", amount: 110 });
    const p = await withOpenCase(id, "late_success");
    expect(p).toMatchObject({ status: "expired", resultCode: "1037" });
    expect(p.receipts).toEqual([expect.objectContaining({ amount: 110 })]);
  });

  it("0708 000 011 (query answers 4999 meanwhile): paid", async () => {
    const p = await paidWithReceipt(s, (await requestPayment(s, { phone: "254708000011", amount: 111 })).id);
    expect(p.resultCode).toBe("0");
    expect(p.receipt).toMatch(RECEIPT);
  });

  it("0708 000 012 (never resolves): unknown after the give-up time, with an unknown_outcome case", async () => {
    const { id } = await requestPayment(s, { phone: "254708000012", amount: 112 });
    const p = await settled(s, id, "unknown", 30_000);
    expect(p.statusReason).toMatch(/no final answer/i);
    expect(p.openExceptions.map((x) => x.type)).toContain("unknown_outcome");
  });

  it("0708 000 013 (M-Pesa busy): failed at once with M-Pesa's reason, no case opened (nothing was charged)", async () => {
    const p = await requestPayment(s, { phone: "254708000013", amount: 113 });
    expect(p.status).toBe("failed");
    expect(p.statusReason).toMatch(/busy/i);
    expect(p.attempts[0]).toMatchObject({ status: "failed", errorCode: "500.003.02" });
    expect(p.openExceptions).toEqual([]);
  });

  it("0708 000 014 (push answer lost): unknown, saying the prompt may still reach the customer, with a case", async () => {
    const p = await requestPayment(s, { phone: "254708000014", amount: 114 });
    expect(p.status).toBe("unknown");
    expect(p.statusReason).toMatch(/did not answer in time/i);
    expect(p.statusReason).not.toMatch(/unexpectedly/i);
    expect(p.openExceptions.map((x) => x.type)).toContain("unknown_outcome");
  });
});

describe("the simulator's forced outcomes (one at a time: a forced outcome applies to the next push)", () => {
  it.each([
    ["rule_limited", "17", "Rule limited."],
    ["product_mismatch", "2028", "The request is not permitted according to product assignment."],
  ])("%s ends failed with ResultCode %s", async (outcome, code, desc) => {
    await s.sim("next-outcome", { outcome });
    const { id } = await requestPayment(s, { phone: handsetPhone(), amount: 120 });
    const p = await settled(s, id, "failed");
    expect(p).toMatchObject({ resultCode: code, receipt: null });
    expect(p.attempts[0]).toMatchObject({ resultCode: code, resultDesc: desc });
    expect(p.openExceptions).toEqual([]);
  });
});

describe("after every number has settled", () => {
  it("revenue counts exactly the paid payments, once each", async () => {
    const res = await s.api<{ payments: Payment[] }>("/api/payments?status=paid&limit=100");
    expect(res.status).toBe(200);
    const paid = res.body.payments;
    // 001, 006, 007, 008, 011 — and nothing from the wrong amount, the late success or the lost answer.
    expect(paid.map((p) => p.amount).sort()).toEqual([101, 106, 107, 108, 111]);
    const totals = await revenue(s);
    expect(totals).toEqual({
      revenueKes: paid.reduce((sum, p) => sum + p.amount, 0),
      paidPayments: paid.length,
    });
  });
});
