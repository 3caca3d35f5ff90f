import {
  normaliseReceiptInput,
  reversalRefusal,
  statusQueryRefusal,
  type MoneyOutPayment,
} from "./eligibility";

const paid: MoneyOutPayment = {
  status: "paid",
  receipt: "SB659DEI29",
  receiptPending: false,
  amountKes: 500,
  openCases: 0,
};
const rules = { allowReversals: true, capKes: 1000, configured: true };

describe("Transaction Status eligibility", () => {
  it.each([
    [{ ...paid, status: "unknown" as const, receipt: null }, null],
    [{ ...paid, receipt: null, receiptPending: true }, null],
    [{ ...paid, openCases: 1 }, null],
    [paid, expect.stringMatching(/unknown, paid without a receipt, or disputed/)],
    [{ ...paid, status: "failed" as const, receipt: null }, expect.any(String)],
  ])("%j → %j", (p, expected) => expect(statusQueryRefusal(p)).toEqual(expected));
});

describe("Reversal eligibility", () => {
  it("allows a paid payment with its receipt under the cap", () =>
    expect(reversalRefusal(paid, rules)).toBeNull());
  it("is off without MPESA_ALLOW_REVERSALS", () =>
    expect(reversalRefusal(paid, { ...rules, allowReversals: false })).toMatch(
      /MPESA_ALLOW_REVERSALS/,
    ));
  it("needs a configured initiator", () =>
    expect(reversalRefusal(paid, { ...rules, configured: false })).toMatch(/not configured/));
  it("keeps to the cap", () =>
    expect(reversalRefusal({ ...paid, amountKes: 1001 }, rules)).toMatch(/cap of KES 1,000/));
  it("needs the receipt", () =>
    expect(reversalRefusal({ ...paid, receipt: null, receiptPending: true }, rules)).toMatch(
      /with its receipt/,
    ));
  it("reads a typed receipt", () => {
    expect(normaliseReceiptInput(" sb659dei29 ")).toBe("SB659DEI29");
    expect(normaliseReceiptInput("SB659DEI2")).toBeNull();
  });
});
