import { describe, expect, it } from "vitest";
import {
  PHONE_MESSAGES,
  formatPhoneLocal,
  maskPhone,
  normalizeKenyanPhone,
  phoneSearchVariants,
} from "./phone";

describe("normalizeKenyanPhone", () => {
  it.each([
    ["0712345678", "254712345678"],
    ["0112345678", "254112345678"],
    ["0110345678", "254110345678"],
    ["+254712345678", "254712345678"],
    ["+254112345678", "254112345678"],
    ["254712345678", "254712345678"],
    ["254112345678", "254112345678"],
    ["712345678", "254712345678"],
    ["112345678", "254112345678"],
    ["0712 345 678", "254712345678"],
    ["0712-345-678", "254712345678"],
    ["0712.345.678", "254712345678"],
    ["(0712) 345 678", "254712345678"],
    ["+254 (712) 345-678", "254712345678"],
    ["  0712345678  ", "254712345678"],
    ["0712\u00a0345\u00a0678", "254712345678"],
    ["\t+254 712 345 678\n", "254712345678"],
  ])("accepts %j as %s", (input, msisdn) => {
    expect(normalizeKenyanPhone(input)).toEqual({ ok: true, msisdn });
  });

  it.each([
    ["", PHONE_MESSAGES.empty],
    ["   ", PHONE_MESSAGES.empty],
    ["0712abc678", PHONE_MESSAGES.letters],
    ["O712345678", PHONE_MESSAGES.letters],
    ["0712345678 ext 2", PHONE_MESSAGES.letters],
    ["0712/345/678", PHONE_MESSAGES.characters],
    ["0712*345*678", PHONE_MESSAGES.characters],
    ["07123+45678", PHONE_MESSAGES.characters],
    ["++254712345678", PHONE_MESSAGES.characters],
    ["2547 ***** 678", PHONE_MESSAGES.characters],
    ["+255712345678", PHONE_MESSAGES.foreign],
    ["+1 415 555 0100", PHONE_MESSAGES.foreign],
    ["+44 7700 900123", PHONE_MESSAGES.foreign],
    ["255712345678", PHONE_MESSAGES.foreign],
    ["0712345", PHONE_MESSAGES.tooShort],
    ["071234567", PHONE_MESSAGES.tooShort],
    ["25471234567", PHONE_MESSAGES.tooShort],
    ["+254", PHONE_MESSAGES.tooShort],
    ["71234567", PHONE_MESSAGES.tooShort],
    ["07123456789", PHONE_MESSAGES.tooLong],
    ["2547123456789", PHONE_MESSAGES.tooLong],
    ["7123456789", PHONE_MESSAGES.tooLong],
    ["712345678999", PHONE_MESSAGES.tooLong],
    ["+2540712345678", PHONE_MESSAGES.trunkZero],
    ["254 0712 345 678", PHONE_MESSAGES.trunkZero],
    ["0201234567", PHONE_MESSAGES.notMobile],
    ["0812345678", PHONE_MESSAGES.notMobile],
    ["254912345678", PHONE_MESSAGES.notMobile],
    ["212345678", PHONE_MESSAGES.notMobile],
  ])("refuses %j", (input, message) => {
    expect(normalizeKenyanPhone(input)).toEqual({ ok: false, message });
  });

  it("refuses non-strings that slip through untyped form data", () => {
    expect(normalizeKenyanPhone(undefined as unknown as string)).toEqual({
      ok: false,
      message: PHONE_MESSAGES.empty,
    });
    expect(normalizeKenyanPhone(712345678 as unknown as string)).toEqual({
      ok: false,
      message: PHONE_MESSAGES.empty,
    });
  });

  it("gives messages a support agent can read out", () => {
    expect(PHONE_MESSAGES.notMobile).toBe(
      "Phone number must be a Safaricom number like 0712 345 678",
    );
    for (const message of Object.values(PHONE_MESSAGES))
      expect(message).not.toMatch(/msisdn|regex|invalid input/i);
  });
});

describe("formatPhoneLocal", () => {
  it.each([
    ["254712345678", "0712 345 678"],
    ["254112345678", "0112 345 678"],
    ["+254712345678", "0712 345 678"],
    ["0712345678", "0712 345 678"],
    ["2547 ***** 678", "2547 ***** 678"],
    ["7132104d6aae9c3f", "7132104d6aae9c3f"],
    [null, "—"],
    [undefined, "—"],
    ["", "—"],
  ])("%j → %j", (input, shown) => {
    expect(formatPhoneLocal(input)).toBe(shown);
  });
});

describe("maskPhone", () => {
  it.each([
    ["254712345678", "0712 ••• •78"],
    ["254112345999", "0112 ••• •99"],
    ["0712345678", "0712 ••• •78"],
    ["2547 ***** 126", "•••"],
    ["7132104d6aae9c3fac82095a42c2817952bca48e09d98d5bf4ac08218982fb90", "•••"],
    [null, "—"],
    ["", "—"],
  ])("%j → %j", (input, shown) => {
    expect(maskPhone(input)).toBe(shown);
  });

  it("never shows the middle digits", () => {
    expect(maskPhone("254712345678")).not.toContain("345");
  });
});

describe("phoneSearchVariants", () => {
  it.each([
    ["0712 345 678", "254712345678"],
    ["712345678", "254712345678"],
    ["+254 112 345 678", "254112345678"],
    ["TCE4XK2P7Q", null],
    ["ws_CO_14032025101512345712345678", null],
    ["1250", null],
    ["", null],
  ])("%j → %j", (input, msisdn) => {
    expect(phoneSearchVariants(input)).toBe(msisdn);
  });
});
