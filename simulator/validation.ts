// STK Push and Query field checks, in the order Daraja reports them (docs/daraja.md#stk-push,
// #stk-query): field errors are 400.002.02 "Bad Request - Invalid <Field>"; only once every field
// is well formed do the merchant checks run, which fail as 500.001.1001. Pure: the caller supplies
// the clock.
import { parseEatTimestamp } from "./clock";
import { ERRORS, invalidField, type DarajaError } from "./daraja-errors";

export interface Merchant {
  shortcode: string;
  passkey: string;
  tillNumber: string | null;
}

export interface ValidPush {
  transactionType: "CustomerPayBillOnline" | "CustomerBuyGoodsOnline";
  amount: number;
  phone: string;
  partyB: string;
  callbackUrl: string;
  accountReference: string;
  transactionDesc: string;
  /** False for a till/paybill mix-up, which Daraja accepts and then fails with 2028. */
  productMatches: boolean;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; error: DarajaError };

const MSISDN = /^254[17]\d{8}$/;
const SHORTCODE = /^\d{5,7}$/;
const TIMESTAMP_SKEW_MS = 10 * 60 * 1000;
const MAX_AMOUNT = 250_000;

const fail = (error: DarajaError): { ok: false; error: DarajaError } => ({ ok: false, error });

/** Daraja takes most identifiers as a JSON string or number alike
 * (docs/daraja.md#stk-push-request). */
function asText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

export function checkShortcode(value: unknown): string | null {
  const text = asText(value);
  return text !== null && SHORTCODE.test(text) ? text : null;
}

export function checkMsisdn(value: unknown): string | null {
  const text = asText(value);
  return text !== null && MSISDN.test(text) ? text : null;
}

/** Whole shillings 1–250,000, as a JSON number or a digits-only string. */
export function checkAmount(value: unknown): number | null {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  return Number.isInteger(n) && n >= 1 && n <= MAX_AMOUNT ? n : null;
}

export function checkTimestamp(value: unknown, nowMs: number): string | null {
  if (typeof value !== "string") return null;
  const at = parseEatTimestamp(value);
  return at !== null && Math.abs(at - nowMs) <= TIMESTAMP_SKEW_MS ? value : null;
}

/**
 * The rejection triggers reported for STK (docs/daraja.md#callback-url): whitespace anywhere,
 * unfilled template placeholders, an uppercase host, and the words mpesa/m-pesa/safaricom. Plain
 * http is allowed here because the simulator calls back to local receivers.
 */
export function checkCallbackUrl(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  if (/\s/.test(value) || /[{}<>]/.test(value) || /m-?pesa|safaricom/i.test(value)) return null;
  // Read the host from the raw text: URL() would lowercase it and hide the uppercase trigger.
  const host = /^https?:\/\/(?:[^@/?#]*@)?([^/?#:]+)/i.exec(value)?.[1];
  if (!host || host !== host.toLowerCase()) return null;
  return URL.canParse(value) ? value : null;
}

export function expectedPassword(shortcode: string, passkey: string, timestamp: string): string {
  return Buffer.from(shortcode + passkey + timestamp).toString("base64");
}

function checkMerchant(
  body: Record<string, unknown>,
  shortcode: string,
  timestamp: string,
  m: Merchant,
): DarajaError | null {
  if (shortcode !== m.shortcode) return ERRORS.merchantMissing;
  if (body.Password !== expectedPassword(shortcode, m.passkey, timestamp))
    return ERRORS.wrongCredentials;
  return null;
}

export function validateStkPush(
  body: Record<string, unknown>,
  m: Merchant,
  nowMs: number,
): Checked<ValidPush> {
  const shortcode = checkShortcode(body.BusinessShortCode);
  if (shortcode === null) return fail(invalidField("BusinessShortCode"));
  const timestamp = checkTimestamp(body.Timestamp, nowMs);
  if (timestamp === null) return fail(invalidField("Timestamp"));
  const transactionType = body.TransactionType;
  if (transactionType !== "CustomerPayBillOnline" && transactionType !== "CustomerBuyGoodsOnline") {
    return fail(invalidField("TransactionType"));
  }
  const amount = checkAmount(body.Amount);
  if (amount === null) return fail(invalidField("Amount"));
  const phone = checkMsisdn(body.PhoneNumber);
  if (phone === null) return fail(invalidField("PhoneNumber"));
  if (checkMsisdn(body.PartyA) === null) return fail(invalidField("PartyA"));
  const partyB = checkShortcode(body.PartyB);
  if (partyB === null) return fail(invalidField("PartyB"));
  const callbackUrl = checkCallbackUrl(body.CallBackURL);
  if (callbackUrl === null) return fail(invalidField("CallBackURL"));
  const accountReference = asText(body.AccountReference);
  if (accountReference === null || accountReference === "" || accountReference.length > 12) {
    return fail(invalidField("AccountReference"));
  }
  // Daraja calls TransactionDesc "Remarks" internally, hence the error text
  // (docs/daraja.md#stk-push-request).
  const transactionDesc = asText(body.TransactionDesc);
  if (transactionDesc === null || transactionDesc === "" || transactionDesc.length > 13) {
    return fail(invalidField("Remarks"));
  }
  const merchantError = checkMerchant(body, shortcode, timestamp, m);
  if (merchantError) return fail(merchantError);
  const productMatches =
    transactionType === "CustomerPayBillOnline"
      ? partyB === m.shortcode
      : m.tillNumber !== null && partyB === m.tillNumber;
  return {
    ok: true,
    value: {
      transactionType,
      amount,
      phone,
      partyB,
      callbackUrl,
      accountReference,
      transactionDesc,
      productMatches,
    },
  };
}

export function validateStkQuery(
  body: Record<string, unknown>,
  m: Merchant,
  nowMs: number,
): Checked<string> {
  const shortcode = checkShortcode(body.BusinessShortCode);
  if (shortcode === null) return fail(invalidField("BusinessShortCode"));
  const checkoutRequestId = body.CheckoutRequestID;
  if (typeof checkoutRequestId !== "string" || checkoutRequestId === "")
    return fail(invalidField("CheckoutRequestID"));
  const timestamp = checkTimestamp(body.Timestamp, nowMs);
  if (timestamp === null) return fail(invalidField("Timestamp"));
  const merchantError = checkMerchant(body, shortcode, timestamp, m);
  if (merchantError) return fail(merchantError);
  return { ok: true, value: checkoutRequestId };
}
