// The rules of a tariff version, pure so the page and the server share them: bands per transaction
// type, whole shillings, inclusive bounds, sorted, with neither gaps nor overlaps, so every amount a
// version covers falls in exactly one band. The form sends each type's bands as lines "from, to, charge".
import { z } from "zod";
import { TXN_TYPES, type TxnType } from "../../../db/schema";
import { fromEatWallClock } from "../../lib/time";

export type Band = { minKes: number; maxKes: number; chargeKes: number };
export type BandsByType = Record<TxnType, Band[]>;

export const TXN_TYPE_LABELS: Record<TxnType, string> = {
  paybill: "Paybill (CustomerPayBillOnline, C2B “Pay Bill”)",
  buy_goods: "Buy Goods / till (CustomerBuyGoodsOnline, C2B “Buy Goods”)",
};

export const MAX_BANDS = 100;
const MAX_KES = 10_000_000;

/** The band covering `amountKes`, or null ("no tariff"). Bands of a valid version never overlap. */
export function findBand(bands: Band[], amountKes: number): Band | null {
  return bands.find((b) => amountKes >= b.minKes && amountKes <= b.maxKes) ?? null;
}

/** What is wrong with one type's bands, in words, or null when they are a valid schedule. */
export function bandProblem(bands: Band[]): string | null {
  if (bands.length > MAX_BANDS) return `At most ${MAX_BANDS} bands.`;
  for (const [i, b] of bands.entries()) {
    const n = i + 1;
    if (b.maxKes < b.minKes) return `Band ${n}: “to” (${b.maxKes}) is below “from” (${b.minKes}).`;
    const prev = bands[i - 1];
    if (!prev) continue;
    if (b.minKes <= prev.maxKes)
      return `Band ${n} (${b.minKes}–${b.maxKes}) overlaps band ${i} (${prev.minKes}–${prev.maxKes}).`;
    if (b.minKes > prev.maxKes + 1)
      return `Gap between band ${i} (up to ${prev.maxKes}) and band ${n} (from ${b.minKes}): amounts ${prev.maxKes + 1}–${b.minKes - 1} would have no charge.`;
  }
  return null;
}

const wholeKes = (what: string) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be a whole number of shillings (no decimals or signs)`)
    .transform(Number)
    .refine((n) => n <= MAX_KES, `${what} is too large`);

const BandLineSchema = z.tuple([wholeKes("From"), wholeKes("To"), wholeKes("Charge")]);

/** One type's textarea: one band per line, "from, to, charge" (commas, spaces or tabs between). */
export function bandLinesSchema(type: TxnType) {
  const label = type === "paybill" ? "Paybill" : "Buy Goods";
  return z
    .string()
    .max(20_000)
    .transform((text, ctx) => {
      const bands: Band[] = [];
      for (const [i, line] of text.split(/\r?\n/).entries()) {
        if (!line.trim() || line.trim().startsWith("#")) continue;
        const cells = BandLineSchema.safeParse(line.trim().split(/[\s,;]+/));
        if (!cells.success) {
          ctx.addIssue({
            code: "custom",
            message: `${label}, line ${i + 1} (“${line.trim().slice(0, 40)}”): ${cells.error.issues[0]?.path.length ? cells.error.issues[0].message : "write three whole numbers: from, to, charge"}.`,
          });
          return z.NEVER;
        }
        const [minKes, maxKes, chargeKes] = cells.data;
        bands.push({ minKes, maxKes, chargeKes });
      }
      bands.sort((a, b) => a.minKes - b.minKes);
      const problem = bandProblem(bands);
      if (problem) {
        ctx.addIssue({ code: "custom", message: `${label}: ${problem}` });
        return z.NEVER;
      }
      return bands;
    });
}

const EAT_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/;

/** A new tariff version as the admin's form sends it; the effective time is EAT wall-clock. */
export const TariffVersionFormSchema = z
  .object({
    effectiveFrom: z
      .string()
      .trim()
      .regex(EAT_LOCAL, "Give the effective time as a date and time (East Africa Time).")
      .transform((v, ctx) => {
        const [, y, mo, d, h, mi] = v.match(EAT_LOCAL)!.map(Number);
        const at = fromEatWallClock(y, mo, d, h, mi);
        if (!at) {
          ctx.addIssue({ code: "custom", message: "That effective date does not exist." });
          return z.NEVER;
        }
        return at;
      }),
    label: z
      .string()
      .trim()
      .min(3, "Name the version (e.g. the contract or the date of Safaricom's notice).")
      .max(120),
    paybill: bandLinesSchema("paybill"),
    buy_goods: bandLinesSchema("buy_goods"),
  })
  .refine((v) => v.paybill.length + v.buy_goods.length > 0, {
    message: "Enter at least one band.",
    path: ["paybill"],
  });

export type TariffVersionInput = z.output<typeof TariffVersionFormSchema>;

/** Bands back to the form's text, one "from, to, charge" line each. */
export function bandLines(bands: Band[]): string {
  return bands.map((b) => `${b.minKes}, ${b.maxKes}, ${b.chargeKes}`).join("\n");
}

export const emptyBands = (): BandsByType =>
  Object.fromEntries(TXN_TYPES.map((t) => [t, [] as Band[]])) as BandsByType;
