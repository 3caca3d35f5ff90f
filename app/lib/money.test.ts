import { describe, expect, it } from "vitest";
import {
  AMOUNT_MESSAGES,
  MAX_STK_AMOUNT_KES,
  MIN_STK_AMOUNT_KES,
  formatKes,
  parseAmountJson,
  parseAmountText,
  parseKesAmount,
} from "./money";

describe("parseKesAmount", () => {
  it.each<[unknown, number]>([
    [1, 1],
    [1.0, 1],
    [1250, 1250],
    [0, 0],
    [-0, 0],
    ["1", 1],
    ["1.0", 1],
    ["1.00", 1],
    ["10500.00", 10500],
    ["1250", 1250],
    ["1,250", 1250],
    ["1,250.00", 1250],
    ["1,234,567.00", 1234567],
    ["-60.00", -60],
    ["-1,250.00", -1250],
    ["-0.00", 0],
    [" 5.00 ", 5],
    ['"1250.00"', 1250],
    ["0012", 12],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])("reads %j as KES %d", (raw, kes) => {
    expect(parseKesAmount(raw)).toEqual({ ok: true, kes });
  });

  it("never returns negative zero (it would print as KES -0)", () => {
    const zero = parseKesAmount(-0);
    expect(zero.ok && Object.is(zero.kes, 0)).toBe(true);
  });

  it.each<[unknown, RegExp]>([
    [1.5, /not whole shillings/],
    [0.01, /not whole shillings/],
    ["1.50", /not whole shillings/],
    ["1.05", /not whole shillings/],
    ["1,250.50", /not whole shillings/],
    ["abc", /not a number/],
    ["", /not a number/],
    ["   ", /not a number/],
    ["1.", /not a number/],
    [".5", /not a number/],
    ["+5", /not a number/],
    ["1e3", /not a number/],
    ["1,25.00", /not a number/],
    ["12,50", /not a number/],
    ["KES 100", /not a number/],
    ["1 250", /not a number/],
    [null, /missing/],
    [undefined, /missing/],
    [true, /missing/],
    [{ value: 1 }, /missing/],
    [NaN, /not a finite number/],
    [Infinity, /not a finite number/],
    [-Infinity, /not a finite number/],
    [1e21, /too large/],
    [Number.MAX_SAFE_INTEGER + 1, /too large/],
    ["99999999999999999999", /too large/],
    ["99,999,999,999,999,999,999.00", /too large/],
  ])("refuses %j", (raw, reason) => {
    const result = parseKesAmount(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe("amounts people type (forms and filters)", () => {
  it.each<[string, number]>([
    ["1250", 1250],
    ["1,250", 1250],
    ["1 250", 1250],
    ["KES 1,250", 1250],
    ["ksh 1 250", 1250],
    ["KSh. 1250", 1250],
    ["1,250.00", 1250],
    [" 40 ", 40],
    ["1,234,567", 1234567],
  ])("reads %j as KES %d", (text, kes) => {
    expect(parseAmountText(text)).toEqual({ ok: true, kes });
  });

  it.each<[string, string]>([
    ["12.50", AMOUNT_MESSAGES.notWhole],
    ["1,250.05", AMOUNT_MESSAGES.notWhole],
    ["", AMOUNT_MESSAGES.missing],
    ["twelve", AMOUNT_MESSAGES.missing],
    ["1,2,5,0", AMOUNT_MESSAGES.missing],
    ["12,50", AMOUNT_MESSAGES.missing],
    ["1,250 000", AMOUNT_MESSAGES.missing],
    ["1e3", AMOUNT_MESSAGES.missing],
    ["USD 10", AMOUNT_MESSAGES.missing],
  ])("refuses %j", (text, reason) => {
    expect(parseAmountText(text)).toEqual({ ok: false, reason });
  });
});

describe("amounts in JSON (the API)", () => {
  it("takes a JSON number of whole shillings", () => {
    expect(parseAmountJson(1250)).toEqual({ ok: true, kes: 1250 });
    expect(parseAmountJson(JSON.parse("1250.0"))).toEqual({ ok: true, kes: 1250 });
  });

  it.each<[unknown, string]>([
    ["1,250", AMOUNT_MESSAGES.notJsonNumber],
    ["1250", AMOUNT_MESSAGES.notJsonNumber],
    [12.5, AMOUNT_MESSAGES.notWhole],
    [Number.NaN, AMOUNT_MESSAGES.notJsonNumber],
    [undefined, AMOUNT_MESSAGES.missing],
    [null, AMOUNT_MESSAGES.missing],
    [1e21, AMOUNT_MESSAGES.tooLarge],
  ])("refuses %j", (value, reason) => {
    expect(parseAmountJson(value)).toEqual({ ok: false, reason });
  });
});

describe("formatKes", () => {
  it.each<[number | bigint, string]>([
    [0, "KES 0"],
    [1, "KES 1"],
    [1250, "KES 1,250"],
    [250_000, "KES 250,000"],
    [-60, "KES -60"],
    [12_345_678_901n, "KES 12,345,678,901"],
  ])("%s → %s", (kes, shown) => {
    expect(formatKes(kes)).toBe(shown);
  });
});

describe("STK amount limits (docs/daraja.md#stk-push-request)", () => {
  it("are KES 1 to KES 250,000", () => {
    expect([MIN_STK_AMOUNT_KES, MAX_STK_AMOUNT_KES]).toEqual([1, 250_000]);
  });
});
