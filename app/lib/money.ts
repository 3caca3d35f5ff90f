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

const kesFormat = new Intl.NumberFormat("en-KE", { maximumFractionDigits: 0 });

/** `KES 1,250` — the one way money is shown to people. */
export function formatKes(kes: number | bigint): string {
  return `KES ${kesFormat.format(kes)}`;
}

export const MIN_STK_AMOUNT_KES = 1;
export const MAX_STK_AMOUNT_KES = 250_000;
