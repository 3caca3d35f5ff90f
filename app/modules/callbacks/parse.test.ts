import { describe, expect, it } from "vitest";
import { parseStkCallback, type StkCallback } from "./parse";

// docs/daraja.md#stk-callback-body success shape, item order and the value-less Balance exactly as
// in production traffic.
const SPEC_SUCCESS = `{"Body":{"stkCallback":{
  "MerchantRequestID":"4f1c-4a6b-9e2d-7b3a9c2e1d5f1283746","CheckoutRequestID":"ws_CO_14032025101512345712345678",
  "ResultCode":0,"ResultDesc":"The service request is processed successfully.",
  "CallbackMetadata":{"Item":[
    {"Name":"Amount","Value":1250},
    {"Name":"MpesaReceiptNumber","Value":"TCE4XK2P7Q"},
    {"Name":"Balance"},
    {"Name":"TransactionDate","Value":20250314101539},
    {"Name":"PhoneNumber","Value":254712345678}]}}}}`;

const SPEC_FAILURE =
  '{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":1032,"ResultDesc":"Request Cancelled by user."}}}';

const PAID: StkCallback = {
  merchantRequestId: "4f1c-4a6b-9e2d-7b3a9c2e1d5f1283746",
  checkoutRequestId: "ws_CO_14032025101512345712345678",
  resultCode: "0",
  resultDesc: "The service request is processed successfully.",
  amountKes: 1250,
  receipt: "TCE4XK2P7Q",
  transactionAt: new Date("2025-03-14T07:15:39.000Z"),
  phone: "254712345678",
  phoneKind: "full",
};

/** A success body with the given raw JSON text for each item's Value (undefined = no Value key). */
function successWith(values: {
  Amount?: string;
  TransactionDate?: string;
  PhoneNumber?: string;
  ResultCode?: string;
}): string {
  const item = (name: keyof typeof values, fallback: string) => {
    const value = Object.hasOwn(values, name) ? values[name] : fallback;
    return value === undefined ? `{"Name":"${name}"}` : `{"Name":"${name}","Value":${value}}`;
  };
  return `{"Body":{"stkCallback":{"MerchantRequestID":"m-1","CheckoutRequestID":"ws_CO_1","ResultCode":${values.ResultCode ?? "0"},"ResultDesc":"ok",
    "CallbackMetadata":{"Item":[${item("Amount", "1250")},{"Name":"MpesaReceiptNumber","Value":"TCE4XK2P7Q"},{"Name":"Balance"},
    ${item("TransactionDate", "20250314101539")},${item("PhoneNumber", "254712345678")}]}}}}`;
}

function parsed(body: string): StkCallback {
  const result = parseStkCallback(body);
  if (!result.ok) throw new Error(`expected a callback, got: ${result.reason}`);
  return result.callback;
}

describe("parseStkCallback: docs/daraja.md#stk-callback-body bodies", () => {
  it("reads the production success shape", () => {
    expect(parsed(SPEC_SUCCESS)).toEqual(PAID);
    expect(parsed(SPEC_SUCCESS)).not.toHaveProperty("amountProblem");
  });

  it("reads a failure body that has no CallbackMetadata at all", () => {
    expect(parsed(SPEC_FAILURE)).toEqual({
      merchantRequestId: "29115-34620561-1",
      checkoutRequestId: "ws_CO_191220191020363925",
      resultCode: "1032",
      resultDesc: "Request Cancelled by user.",
      amountKes: null,
      receipt: null,
      transactionAt: null,
      phone: null,
      phoneKind: "absent",
    });
  });

  it("reads the official sample, which omits Balance and sends Amount 1.00", () => {
    const body = `{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925","ResultCode":0,
      "ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},
      {"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}`;
    expect(parsed(body)).toMatchObject({
      amountKes: 1,
      receipt: "NLJ7RT61SV",
      phone: "254708374149",
      transactionAt: new Date("2019-12-19T07:21:15.000Z"),
    });
  });

  it("reads the 2017-era body with the [STK_CB - ] prefix and a value-less Balance", () => {
    const body = `{"Body":{"stkCallback":{"MerchantRequestID":"19465-780693-1","CheckoutRequestID":"ws_CO_27072017154747416","ResultCode":0,
      "ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[{"Name":"Amount","Value":1},
      {"Name":"MpesaReceiptNumber","Value":"LGR7OWQX0R"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20170727154800},
      {"Name":"PhoneNumber","Value":254721566839}]}}}}`;
    expect(parsed(body)).toMatchObject({
      amountKes: 1,
      receipt: "LGR7OWQX0R",
      phone: "254721566839",
    });
  });
});

describe("parseStkCallback: tolerant fields", () => {
  it.each<[string, number]>([
    ["1", 1],
    ["1.0", 1],
    ["1.00", 1],
    ["10500.00", 10500],
    ['"1"', 1],
    ['"1250.00"', 1250],
    ['"1,250.00"', 1250],
    ['" 450 "', 450],
  ])("Amount %s → KES %d", (value, kes) => {
    const callback = parsed(successWith({ Amount: value }));
    expect(callback.amountKes).toBe(kes);
    expect(callback).not.toHaveProperty("amountProblem");
  });

  it.each<[string | undefined, RegExp]>([
    ["1.5", /not whole shillings/],
    ['"1.50"', /not whole shillings/],
    // JSON.parse would turn this into exactly 1; the raw token shows it is not whole shillings.
    ["1.0000000000000001", /not whole shillings/],
    ['"abc"', /not a number/],
    ['""', /not a number/],
    ["1e3", /not a number/],
    ["null", /missing/],
    ["true", /missing/],
    ["0", /below KES 1/],
    ["-60", /below KES 1/],
    ['"-60.00"', /below KES 1/],
    ["123456789012345678901234567890", /too large/],
    ["1e400", /not a number/],
    [undefined, /missing/],
  ])("Amount %s → null with a problem", (value, problem) => {
    const callback = parsed(successWith({ Amount: value }));
    expect(callback.amountKes).toBeNull();
    expect(callback.amountProblem).toMatch(problem);
  });

  it("flags a paid callback without an Amount item, but not a failed one", () => {
    const withoutAmount = SPEC_SUCCESS.replace('{"Name":"Amount","Value":1250},', "");
    expect(parsed(withoutAmount)).toMatchObject({
      amountKes: null,
      amountProblem: "missing Amount",
    });
    expect(parsed(SPEC_FAILURE)).not.toHaveProperty("amountProblem");
  });

  it.each<[string | undefined, string | null]>([
    ["20250314101539", "2025-03-14T07:15:39.000Z"],
    ['"20250314101539"', "2025-03-14T07:15:39.000Z"],
    ["20241231233000", "2024-12-31T20:30:00.000Z"],
    ["20250101003000", "2024-12-31T21:30:00.000Z"],
    ["20250231101512", null],
    ['"2025-03-14 10:15:39"', null],
    ["99999999999999999999", null],
    ["2.0250314101539E13", null],
    [undefined, null],
  ])("TransactionDate %s → %s (EAT)", (value, iso) => {
    expect(
      parsed(successWith({ TransactionDate: value })).transactionAt?.toISOString() ?? null,
    ).toBe(iso);
  });

  it.each<[string | undefined, string | null]>([
    ["254712345678", "254712345678"],
    ["254112345678", "254112345678"],
    ['"254712345678"', "254712345678"],
    ['"0712345678"', "254712345678"],
    ['"+254 712 345 678"', "254712345678"],
    ['"2547 ***** 678"', null],
    ['"7132104d6aae9c3fac82095a42c2817952bca48e09d98d5bf4ac08218982fb90"', null],
    ["2547123456789999", null],
    ["null", null],
    [undefined, null],
  ])("PhoneNumber %s → %s", (value, phone) => {
    expect(parsed(successWith({ PhoneNumber: value })).phone).toBe(phone);
  });

  // 2026: Daraja masks the number (`0722000***`, `254708***430`) or leaves the item out; only a
  // whole number may be used, and each callback says which kind it carried.
  it.each<[string | undefined, string | null, string]>([
    ["254712345678", "254712345678", "full"],
    ['"0712345678"', "254712345678", "full"],
    ['"0722000***"', null, "masked"],
    ['"254708***430"', null, "masked"],
    ['"2547 ***** 678"', null, "masked"],
    ['"7132104d6aae9c3fac82095a42c2817952bca48e09d98d5bf4ac08218982fb90"', null, "masked"],
    ['""', null, "absent"],
    ["null", null, "absent"],
    [undefined, null, "absent"],
  ])("PhoneNumber %s is %s, a %s number", (value, phone, kind) => {
    const cb = parsed(successWith({ PhoneNumber: value }));
    expect({ phone: cb.phone, phoneKind: cb.phoneKind }).toEqual({ phone, phoneKind: kind });
  });

  it("reads a success with no PhoneNumber item and no TransactionDate item", () => {
    const body = `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":"0","ResultDesc":"ok","CallbackMetadata":{"Item":[
      {"Name":"Balance"},{"Name":"MpesaReceiptNumber","Value":"TCE4XK2P7Q"},{"Name":"Amount","Value":"1250"}]}}}}`;
    expect(parsed(body)).toMatchObject({
      amountKes: 1250,
      receipt: "TCE4XK2P7Q",
      transactionAt: null,
      phone: null,
      phoneKind: "absent",
    });
  });

  it.each<[string, string]>([
    ["0", "0"],
    ['"0"', "0"],
    ['" 0 "', "0"],
    ["1032", "1032"],
    ['"1032"', "1032"],
    ['"SFC_IC0003"', "SFC_IC0003"],
    // Kept as the raw token so an unknown code is reported as sent, not as Infinity.
    ["1e400", "1e400"],
  ])("ResultCode %s → %j", (value, code) => {
    expect(parsed(successWith({ ResultCode: value })).resultCode).toBe(code);
  });

  it("finds items by Name whatever their order", () => {
    const reordered = `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"ResultDesc":"ok","CallbackMetadata":{"Item":[
      {"Name":"PhoneNumber","Value":254712345678},{"Name":"Balance"},{"Name":"TransactionDate","Value":20250314101539},
      {"Value":"TCE4XK2P7Q","Name":"MpesaReceiptNumber"},{"Name":"Amount","Value":1250}]}}}}`;
    expect(parsed(reordered)).toEqual({
      ...PAID,
      merchantRequestId: null,
      checkoutRequestId: "ws_CO_1",
      resultDesc: "ok",
    });
  });

  it("survives odd metadata: a single Item object, junk entries, duplicate names (first wins)", () => {
    const body = `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"ResultDesc":"ok","CallbackMetadata":{"Item":
      {"Name":"Amount","Value":5}}}}}`;
    expect(parsed(body).amountKes).toBe(5);
    const junk = `{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0,"ResultDesc":"ok","CallbackMetadata":{"Item":
      [null, 7, "Amount", [], {"Name":"Amount","Value":10}, {"Name":"Amount","Value":20}, {"Name":" MpesaReceiptNumber ","Value":" TCE4XK2P7Q "}]}}}}`;
    expect(parsed(junk)).toMatchObject({ amountKes: 10, receipt: "TCE4XK2P7Q" });
    const notAList =
      '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":1,"ResultDesc":"x","CallbackMetadata":"none"}}}';
    expect(parsed(notAList)).toMatchObject({ amountKes: null, receipt: null });
  });

  it("keeps text as sent, including markup, escapes and unicode (escaping is the renderer's job)", () => {
    const body =
      '{"Body":{"stkCallback":{"CheckoutRequestID":"<script>alert(1)</script>","ResultCode":1032,"ResultDesc":"[STK_CB - ]Request cancelled by user \\u00e9\\n\\"\\/"}}}';
    expect(parsed(body)).toMatchObject({
      checkoutRequestId: "<script>alert(1)</script>",
      resultDesc: '[STK_CB - ]Request cancelled by user é\n"/',
    });
  });

  it("does not let a __proto__ key stand in for Body or pollute objects", () => {
    expect(
      parseStkCallback(
        '{"__proto__":{"Body":{"stkCallback":{"CheckoutRequestID":"x","ResultCode":0}}}}',
      ),
    ).toEqual({ ok: false, reason: "missing Body" });
    expect(({} as Record<string, unknown>).Body).toBeUndefined();
  });
});

describe("parseStkCallback: refusals", () => {
  it.each<[string, string]>([
    ["", "empty body"],
    ["  \n ", "empty body"],
    ["<script>alert(1)</script>", 'invalid JSON at position 0: unexpected "<"'],
    ['{"Body":', "invalid JSON at position 8: unexpected end of input"],
    ['{"Body":}', 'invalid JSON at position 8: unexpected "}"'],
    ['{"Body":{"stkCallback":{"ResultCode":01}}}', 'invalid JSON at position 38: unexpected "1"'],
    ['{"Body":{},}', 'invalid JSON at position 11: unexpected "}"'],
    ["{'Body':{}}", `invalid JSON at position 1: unexpected "'"`],
    ['{"a":"\\x"}', "invalid JSON at position 7: bad escape"],
    ['{"a":"\\u12"}', "invalid JSON at position 6: bad \\u escape"],
    ['{"a":"line\nbreak"}', "invalid JSON at position 10: control character in string"],
    ['{"a":"open', "invalid JSON at position 10: unexpected end of input"],
    ["{} {}", 'invalid JSON at position 3: unexpected "{"'],
    ["\ufeff{}", 'invalid JSON at position 0: unexpected "\ufeff"'],
    ["[]", "body is an array, not a JSON object"],
    ["null", "body is null, not a JSON object"],
    ['"<script>alert(1)</script>"', "body is a string, not a JSON object"],
    ["12345678901234567890123", "body is a number, not a JSON object"],
    ["true", "body is a boolean, not a JSON object"],
    ["{}", "missing Body"],
    ['{"body":{"stkCallback":{}}}', "missing Body"],
    ['{"Body":[]}', "missing Body"],
    ['{"Body":{}}', "missing Body.stkCallback"],
    ['{"Body":{"stkCallback":null}}', "missing Body.stkCallback"],
    ['{"Body":{"stkCallback":"x"}}', "missing Body.stkCallback"],
    ['{"Body":{"stkCallback":{"ResultCode":0}}}', "missing CheckoutRequestID"],
    [
      '{"Body":{"stkCallback":{"CheckoutRequestID":"  ","ResultCode":0}}}',
      "missing CheckoutRequestID",
    ],
    [
      '{"Body":{"stkCallback":{"CheckoutRequestID":{},"ResultCode":0}}}',
      "missing CheckoutRequestID",
    ],
    ['{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1"}}}', "missing ResultCode"],
    [
      '{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":null}}}',
      "missing ResultCode",
    ],
  ])("%j → %s", (body, reason) => {
    expect(parseStkCallback(body)).toEqual({ ok: false, reason });
  });

  it("refuses hostile nesting without overflowing the stack", () => {
    const result = parseStkCallback("[".repeat(100_000));
    expect(result).toEqual({ ok: false, reason: "invalid JSON at position 65: nested too deeply" });
  });

  it("refuses a non-string body handed over by mistake", () => {
    expect(parseStkCallback(null as unknown as string)).toEqual({
      ok: false,
      reason: "empty body",
    });
  });
});

describe("parseStkCallback: agrees with JSON.parse on what is JSON", () => {
  it.each([
    '{"a":1}',
    ' {"a" : [ 1 , 2 ] } ',
    '{"a":1,}',
    '{"a":[1,2,]}',
    '{"a":-}',
    '{"a":1.}',
    '{"a":.5}',
    '{"a":-0.5e-3}',
    '{"a":1E+5}',
    '{"a":tru}',
    '{"a":NaN}',
    '{"a":Infinity}',
    '{"a":undefined}',
    '{"a":"\\t\\b\\f\\r"}',
    '{"a":"tab\there"}',
    '{"a":"\\uD83D\\uDE00"}',
    '{"a":{"b":{"c":[{}]}}}',
    '{"a" 1}',
    "{a:1}",
    '{"a":1 "b":2}',
    "[1 2]",
    '{"a":"\\u00E9"}',
    '{"__proto__":1}',
    '{"a":nul}',
    '{"a":true,"b":false,"c":null}',
    '{"a":"\u2028"}',
    "\t\r\n{}\t\r\n",
    "{}\u00a0",
    '{"a":+1}',
    '{"a":0x10}',
  ])("%j", (text) => {
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    const result = parseStkCallback(text);
    const refusedAsJson = !result.ok && result.reason.startsWith("invalid JSON");
    expect(refusedAsJson).toBe(!valid);
  });
});

describe("parseStkCallback: text PostgreSQL cannot store", () => {
  it("turns an escaped NUL or lone surrogate into U+FFFD and keeps a well-formed pair", () => {
    const body = SPEC_FAILURE.replace(
      '"Request Cancelled by user."',
      '"Cancelled\\u0000 by \\ud800 user \\ud83d\\ude00"',
    ).replace('"ws_CO_191220191020363925"', '"ws_CO_\\u00001"');
    const result = parseStkCallback(body);
    if (!result.ok) throw new Error(result.reason);
    expect(result.callback.resultDesc).toBe("Cancelled\uFFFD by \uFFFD user 😀");
    expect(result.callback.checkoutRequestId).toBe("ws_CO_\uFFFD1");
  });
});
