import { describe, expect, it } from "vitest";
import { KNOWN_STK_RESULT_CODES, type StkOutcome, classifyStkResult } from "./result-codes";

describe("classifyStkResult", () => {
  it.each<[unknown, StkOutcome, boolean, RegExp]>([
    [0, "paid", true, /paid/],
    ["0", "paid", true, /paid/],
    [" 0 ", "paid", true, /paid/],
    [1032, "cancelled", true, /^The customer cancelled the prompt$/],
    ["1032", "cancelled", true, /cancelled/],
    [1031, "cancelled", true, /cancelled/],
    [1037, "expired", true, /^The customer's phone could not be reached/],
    [1019, "expired", true, /expired/],
    ["4999", "pending", false, /still processing/],
    [4999, "pending", false, /still processing/],
    [1, "failed", true, /^Not enough money in the customer's M-Pesa \(or Fuliza\)$/],
    [2, "failed", true, /below the M-Pesa minimum/],
    [3, "failed", true, /above the M-Pesa maximum of KES 250,000/],
    [4, "failed", true, /daily M-Pesa limit/],
    [8, "failed", true, /maximum balance/],
    [17, "failed", true, /^Same amount to the same phone within 2 minutes — wait and retry$/],
    [26, "failed", true, /busy/],
    [1001, "failed", true, /already had an M-Pesa prompt/],
    [1025, "failed", true, /could not send the prompt/],
    [1036, "failed", true, /could not deliver/],
    [2001, "failed", true, /^Wrong M-Pesa PIN entered$/],
    [2028, "failed", true, /admin must check/],
    [8006, "failed", true, /PIN is locked/],
    [9999, "failed", true, /error sending the prompt/],
    ["SFC_IC0003", "failed", true, /admin must check/],
    ["E3008", "failed", true, /sandbox/],
  ])("%j → %s (final %s)", (code, outcome, final, reason) => {
    const result = classifyStkResult(code);
    expect(result).toMatchObject({ code: String(code).trim(), outcome, final, known: true });
    expect(result.reason).toMatch(reason);
  });

  it.each<[unknown, string]>([
    [1234, "1234"],
    ["R000001", "R000001"],
    ["00", "00"],
    ["sfc_ic0003", "sfc_ic0003"],
    [-1, "-1"],
    ["constructor", "constructor"],
    ["__proto__", "__proto__"],
    [true, "true"],
  ])("treats unknown code %j as failed, known:false", (code, text) => {
    expect(classifyStkResult(code)).toEqual({
      code: text,
      outcome: "failed",
      final: true,
      known: false,
      reason: `Unrecognised M-Pesa result code ${text}`,
    });
  });

  it.each([null, undefined, "", "  "])("treats a missing code (%j) as failed, unknown", (code) => {
    expect(classifyStkResult(code)).toEqual({
      code: "",
      outcome: "failed",
      final: true,
      known: false,
      reason: "M-Pesa sent no result code",
    });
  });

  it("has exactly one pending code and one paid code", () => {
    const outcomes = KNOWN_STK_RESULT_CODES.map((code) => classifyStkResult(code).outcome);
    expect(outcomes.filter((o) => o === "paid")).toHaveLength(1);
    expect(KNOWN_STK_RESULT_CODES.filter((code) => !classifyStkResult(code).final)).toEqual([
      "4999",
    ]);
  });

  it("covers every code in the docs/daraja.md#result-codes catalogue", () => {
    expect([...KNOWN_STK_RESULT_CODES].sort()).toEqual(
      [
        "0",
        "1",
        "2",
        "3",
        "4",
        "8",
        "17",
        "26",
        "1001",
        "1019",
        "1025",
        "1031",
        "1032",
        "1036",
        "1037",
        "2001",
        "2028",
        "4999",
        "8006",
        "9999",
        "SFC_IC0003",
        "E3008",
      ].sort(),
    );
  });

  it("gives every known code a reason without Daraja jargon", () => {
    for (const code of KNOWN_STK_RESULT_CODES)
      expect(classifyStkResult(code).reason).not.toMatch(/ResultCode|DS timeout|SMSC|initiator/);
  });
});
