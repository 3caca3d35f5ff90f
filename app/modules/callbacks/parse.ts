// Reads a raw STK callback body into our shape (docs/daraja.md#stk-callback-body). The raw body is
// stored before this runs, so refusing is safe: every refusal names exactly what was wrong. Numbers
// are kept as their raw JSON text (docs/daraja.md#money: `1.00` must stay readable as sent), which
// a JSON.parse round trip would lose, and JSON errors carry a position, which V8's JSON.parse
// messages no longer do.
import { storableText } from "../../lib/storable-text";
import { MIN_STK_AMOUNT_KES, parseKesAmount } from "../../lib/money";
import { parseDarajaTimestamp } from "../../lib/time";
import { normalizeKenyanPhone } from "../daraja/phone";

/**
 * Which kind of payer number a callback carried. From March 2026 Daraja masks it (`0722000***`,
 * `254708***430`) or leaves it out (docs/daraja.md, "STK callback body"): only a whole number is `full`.
 */
export type PhoneKind = "full" | "masked" | "absent";

export type StkCallback = {
  merchantRequestId: string | null;
  checkoutRequestId: string;
  resultCode: string;
  resultDesc: string;
  amountKes: number | null;
  receipt: string | null;
  /** Null when the callback has no (readable) TransactionDate; the caller falls back to arrival. */
  transactionAt: Date | null;
  /** A whole normalised number only; null when masked or absent, so it can never overwrite or match. */
  phone: string | null;
  phoneKind: PhoneKind;
  /** Why amountKes is null although the callback should have carried one. */
  amountProblem?: string;
};

export type ParsedStkCallback = { ok: true; callback: StkCallback } | { ok: false; reason: string };

export function parseStkCallback(body: string): ParsedStkCallback {
  if (typeof body !== "string" || body.trim() === "") return refuse("empty body");
  let root: Json;
  try {
    root = parseJson(body);
  } catch (error) {
    if (error instanceof JsonSyntaxError)
      return refuse(`invalid JSON at position ${error.position}: ${error.problem}`);
    throw error;
  }
  if (!isObject(root)) return refuse(`body is ${describe(root)}, not a JSON object`);
  if (!isObject(root.Body)) return refuse("missing Body");
  const stk = root.Body.stkCallback;
  if (!isObject(stk)) return refuse("missing Body.stkCallback");
  const checkoutRequestId = scalar(stk.CheckoutRequestID);
  if (!checkoutRequestId) return refuse("missing CheckoutRequestID");
  if (checkoutRequestId.length > MAX_ID_LENGTH)
    return refuse(tooLong("CheckoutRequestID", checkoutRequestId));
  const merchantRequestId = scalar(stk.MerchantRequestID);
  if (merchantRequestId && merchantRequestId.length > MAX_ID_LENGTH)
    return refuse(tooLong("MerchantRequestID", merchantRequestId));
  // Numbers in callbacks, strings on STK Query, alphanumerics in the catalogue: text either way.
  const resultCode = scalar(stk.ResultCode);
  if (!resultCode) return refuse("missing ResultCode");

  // Failure callbacks have no CallbackMetadata at all; items are found by Name, never by position.
  const rawItems = isObject(stk.CallbackMetadata) ? stk.CallbackMetadata.Item : undefined;
  const items = Array.isArray(rawItems) ? rawItems : isObject(rawItems) ? [rawItems] : [];
  const item = (name: string): Json | undefined => {
    const found = items.find((entry) => isObject(entry) && scalar(entry.Name) === name);
    return isObject(found) ? found.Value : undefined;
  };

  const callback: StkCallback = {
    merchantRequestId,
    checkoutRequestId,
    resultCode,
    resultDesc:
      typeof stk.ResultDesc === "string" ? stk.ResultDesc : (scalar(stk.ResultDesc) ?? ""),
    amountKes: null,
    receipt: receiptOf(item("MpesaReceiptNumber")),
    transactionAt: parseDarajaTimestamp(raw(item("TransactionDate"))),
    ...phoneOf(item("PhoneNumber")),
  };
  const amount = item("Amount");
  if (amount !== undefined) {
    const parsed = parseKesAmount(raw(amount));
    if (!parsed.ok) callback.amountProblem = parsed.reason;
    else if (parsed.kes < MIN_STK_AMOUNT_KES)
      callback.amountProblem = `amount ${parsed.kes} is below KES ${MIN_STK_AMOUNT_KES}`;
    else callback.amountKes = parsed.kes;
  } else if (resultCode === "0") {
    // A "paid" callback without an amount cannot be cross-checked against our request
    // (docs/daraja.md#callback-delivery).
    callback.amountProblem = "missing Amount";
  }
  return { ok: true, callback };
}

const refuse = (reason: string): ParsedStkCallback => ({ ok: false, reason });

/**
 * The longest identifier intake indexes (identifiers.ts): anything longer is no CheckoutRequestID,
 * MerchantRequestID or receipt, and must not reach an index either (PostgreSQL refuses a btree entry
 * over ~2.7 KB, and the row would be retried for ever).
 */
const MAX_ID_LENGTH = 100;

const tooLong = (name: string, text: string) =>
  `${name} is ${text.length} characters long; an identifier has at most ${MAX_ID_LENGTH}`;

/**
 * The receipt as sent, unless it is too long to be one: then a short stand-in that quotes its start
 * and can never be well formed (transitions.ts RECEIPT_PATTERN), so a success carrying it takes the
 * malformed-receipt path (a case when it names a known attempt) instead of refusing the callback.
 */
function receiptOf(value: Json | undefined): string | null {
  const text = scalar(value);
  if (text === null || text.length <= MAX_ID_LENGTH) return text;
  return `${text.slice(0, 40)}… (${text.length} characters)`;
}

function phoneOf(value: Json | undefined): { phone: string | null; phoneKind: PhoneKind } {
  const text = scalar(value);
  if (!text) return { phone: null, phoneKind: "absent" };
  const phone = normalizeKenyanPhone(text);
  // Anything present but not a whole number (masked, hashed, garbled) is treated as masked.
  return phone.ok
    ? { phone: phone.msisdn, phoneKind: "full" }
    : { phone: null, phoneKind: "masked" };
}

// ---- A small strict JSON reader (RFC 8259) that keeps number tokens as text. ----

class JsonNumber {
  constructor(readonly raw: string) {}
}
type Json = null | boolean | string | JsonNumber | Json[] | { [key: string]: Json };

class JsonSyntaxError {
  constructor(
    readonly position: number,
    readonly problem: string,
  ) {}
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof JsonNumber)
  );
}

/** A string or number as trimmed text; null for anything else or blank. */
function scalar(value: Json | undefined): string | null {
  const text = typeof value === "string" ? value : value instanceof JsonNumber ? value.raw : null;
  return text?.trim() || null;
}

/** What parseKesAmount and parseDarajaTimestamp should read: the raw number token or the string. */
function raw(value: Json | undefined): unknown {
  return value instanceof JsonNumber ? value.raw : value;
}

function describe(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof JsonNumber) return "a number";
  return `a ${typeof value}`;
}

// Deeper than any Daraja body; stops a hostile "[[[[…" from overflowing the stack.
const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function parseJson(text: string): Json {
  let i = 0;
  const fail = (problem?: string): never => {
    throw new JsonSyntaxError(
      i,
      problem ??
        (i >= text.length ? "unexpected end of input" : `unexpected ${JSON.stringify(text[i])}`),
    );
  };
  const skipSpace = () => {
    while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i++;
  };
  const expect = (char: string) => {
    skipSpace();
    if (text[i] !== char) fail();
    i++;
  };

  const readString = (): string => {
    i++; // opening quote
    let out = "";
    let start = i;
    let unicodeEscapes = false;
    for (;;) {
      if (i >= text.length) fail();
      const char = text[i];
      if (char === '"') break;
      if (char < " ") fail("control character in string");
      if (char !== "\\") {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const escape = text[i + 1];
      if (escape === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[\da-f]{4}$/i.test(hex)) fail("bad \\u escape");
        out += String.fromCharCode(parseInt(hex, 16));
        unicodeEscapes = true;
        i += 6;
      } else if (escape !== undefined && Object.hasOwn(ESCAPES, escape)) {
        out += ESCAPES[escape];
        i += 2;
      } else {
        i++;
        fail("bad escape");
      }
      start = i;
    }
    out += text.slice(start, i);
    i++; // closing quote
    // Only an escape can put a NUL or a lone surrogate in (lib/storable-text.ts).
    return unicodeEscapes ? storableText(out) : out;
  };

  const readValue = (depth: number): Json => {
    if (depth > MAX_DEPTH) fail("nested too deeply");
    skipSpace();
    const char = text[i];
    if (char === "{") {
      i++;
      // No prototype: a "__proto__" key is just a key.
      const object: { [key: string]: Json } = Object.create(null);
      skipSpace();
      if (text[i] === "}") {
        i++;
        return object;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail();
        const key = readString();
        expect(":");
        object[key] = readValue(depth + 1);
        skipSpace();
        if (text[i] !== ",") break;
        i++;
      }
      expect("}");
      return object;
    }
    if (char === "[") {
      i++;
      const array: Json[] = [];
      skipSpace();
      if (text[i] === "]") {
        i++;
        return array;
      }
      for (;;) {
        array.push(readValue(depth + 1));
        skipSpace();
        if (text[i] !== ",") break;
        i++;
      }
      expect("]");
      return array;
    }
    if (char === '"') return readString();
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (!number) return fail();
    i += number[0].length;
    return new JsonNumber(number[0]);
  };

  const value = readValue(0);
  skipSpace();
  if (i < text.length) fail();
  return value;
}
