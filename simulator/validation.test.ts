import { describe, expect, it } from "vitest";
import { checkAmount, checkCallbackUrl, checkMsisdn, checkTimestamp } from "./validation";

describe("field checks", () => {
  it.each([
    ["https://shop.example/hooks/daraja/stk/abc", true],
    ["http://127.0.0.1:3000/hooks/daraja/stk/abc", true],
    ["https://shop.example/cb?token=abc", true],
    [" https://shop.example/cb", false],
    ["https://shop.example/cb ", false],
    ["https://shop.example/c b", false],
    ["https://Shop.example/cb", false],
    ["https://shop.example/mpesa/cb", false],
    ["https://shop.example/M-PESA/cb", false],
    ["https://safaricom-callbacks.example/cb", false],
    ["https://shop.example/{token}", false],
    ["https://shop.example/<TOKEN>", false],
    ["ftp://shop.example/cb", false],
    ["shop.example/cb", false],
    ["", false],
  ])("CallBackURL %j accepted: %s", (url, ok) => {
    expect(checkCallbackUrl(url) !== null).toBe(ok);
  });

  it.each([
    [1, 1],
    ["1", 1],
    [250000, 250000],
    [0, null],
    [250001, null],
    [1.5, null],
    ["1.5", null],
    ["1,250", null],
    [" 10", null],
    [null, null],
  ])("Amount %j → %j", (value, expected) => {
    expect(checkAmount(value)).toBe(expected);
  });

  it.each([
    ["254712345678", true],
    [254712345678, true],
    ["254112345678", true],
    ["0712345678", false],
    ["+254712345678", false],
    ["254812345678", false],
    ["25471234567", false],
  ])("MSISDN %j accepted: %s", (value, ok) => {
    expect(checkMsisdn(value) !== null).toBe(ok);
  });

  it("accepts timestamps within ten minutes of the clock", () => {
    const now = Date.parse("2025-03-14T07:15:12Z");
    expect(checkTimestamp("20250314101512", now)).toBe("20250314101512");
    expect(checkTimestamp("20250314102412", now)).not.toBeNull();
    expect(checkTimestamp("20250314102613", now)).toBeNull();
    // The classic bug: a UTC timestamp is three hours off.
    expect(checkTimestamp("20250314071512", now)).toBeNull();
  });
});
