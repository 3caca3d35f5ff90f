// Money is integer Kenyan shillings everywhere (docs/daraja.md#money): Daraja moves whole shillings
// only. Inbound amounts arrive as 1, 1.0, "1.00", "1,250.00" or "-60.00"; they are parsed from
// text, never through float arithmetic on cents.

export type ParsedAmount = { ok: true; kes: number } | { ok: false; reason: string };

const AMOUNT_TEXT = /^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$/;

/** Parses a Daraja or statement amount into whole shillings; fractions other than .00 are refused. */
export function parseKesAmount(raw: unknown): ParsedAmount {
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) return { ok: false, reason: "amount is not a finite number" };
    if (!Number.isInteger(raw))
      return { ok: false, reason: `amount ${raw} is not whole shillings` };
    if (!Number.isSafeInteger(raw)) return { ok: false, reason: "amount is too large" };
    // JSON.parse("-0") yields -0, which formatKes would print as "KES -0".
    return { ok: true, kes: raw === 0 ? 0 : raw };
  }
  if (typeof raw !== "string") return { ok: false, reason: "amount is missing" };
  const text = raw.trim().replace(/^"|"$/g, "");
  if (!AMOUNT_TEXT.test(text)) return { ok: false, reason: `amount "${raw}" is not a number` };
  const [whole, fraction = ""] = text.replace(/,/g, "").split(".");
  if (/[1-9]/.test(fraction))
    return { ok: false, reason: `amount "${raw}" is not whole shillings` };
  const kes = Number(whole);
  if (!Number.isSafeInteger(kes)) return { ok: false, reason: "amount is too large" };
  return { ok: true, kes: Object.is(kes, -0) ? 0 : kes };
}

// Amounts from people and merchants' systems: one rule for each way in, shared by the console and the
// API (both end in the same InitiatePayment schema; see lib/validation.ts's `kesAmount`).
// - Typed into a form: digits, optionally grouped in thousands by commas or by spaces, optionally
//   after "KES"/"KSh", optionally with a zero fraction: "1250", "1,250", "KES 1 250", "1,250.00".
// - Sent as JSON: a JSON number of whole shillings (1250 or 1250.0); text such as "1,250" is refused.
export const AMOUNT_MESSAGES = {
  missing: "Enter the amount in shillings.",
  notWhole: "Amount must be whole shillings (M-Pesa does not take cents).",
  notJsonNumber: "Send the amount as a JSON number of whole shillings, like 1250.",
  tooLarge: "Amount is too large.",
} as const;

const FORM_AMOUNT = /^-?(\d{1,3}(,\d{3})+|\d{1,3}( \d{3})+|\d+)(\.\d+)?$/;

/** An amount a person typed (a form field or a filter in the URL), as whole shillings. */
export function parseAmountText(text: string): ParsedAmount {
  const t = text.trim().replace(/^(kes|ksh)\.?\s*/i, "");
  if (!FORM_AMOUNT.test(t)) return { ok: false, reason: AMOUNT_MESSAGES.missing };
  const [whole, fraction = ""] = t.replace(/[, ]/g, "").split(".");
  if (/[1-9]/.test(fraction)) return { ok: false, reason: AMOUNT_MESSAGES.notWhole };
  const kes = Number(whole);
  if (!Number.isSafeInteger(kes)) return { ok: false, reason: AMOUNT_MESSAGES.tooLarge };
  return { ok: true, kes: Object.is(kes, -0) ? 0 : kes };
}

/** An amount in a JSON request body, as whole shillings: numbers only. */
export function parseAmountJson(value: unknown): ParsedAmount {
  if (value === undefined || value === null) return { ok: false, reason: AMOUNT_MESSAGES.missing };
  if (typeof value !== "number" || !Number.isFinite(value))
    return { ok: false, reason: AMOUNT_MESSAGES.notJsonNumber };
  if (!Number.isInteger(value)) return { ok: false, reason: AMOUNT_MESSAGES.notWhole };
  if (!Number.isSafeInteger(value)) return { ok: false, reason: AMOUNT_MESSAGES.tooLarge };
  return { ok: true, kes: value === 0 ? 0 : value };
}

const kesFormat = new Intl.NumberFormat("en-KE", { maximumFractionDigits: 0 });

/** `KES 1,250` — the one way money is shown to people. */
export function formatKes(kes: number | bigint): string {
  return `KES ${kesFormat.format(kes)}`;
}

export const MIN_STK_AMOUNT_KES = 1;
export const MAX_STK_AMOUNT_KES = 250_000;
