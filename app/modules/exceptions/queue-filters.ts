// The exception queue's filters as they travel in the URL (status, type, age bucket, amount at stake,
// EAT day of opening), parsed with zod: a query string is hostile input, so a bad value is a 400 with
// a sentence naming the field, never a 500. Pure: the queue page, the bulk preview, the CSV and the
// JSON API read the same names.
import { z } from "zod";
import type { ExceptionStatus, ExceptionType } from "../../../db/schema";
import { pageLimit, parseWith, type WithDefaults } from "../../lib/validation";
import { addDays, startOfEatDay } from "../../lib/time";
import { EXCEPTION_TYPE_LIST } from "./actions";
import { CaseIdsSchema } from "./resolve-input";

/** How long a case has waited, in the buckets finance reports on. Bounds are days since opening. */
export const AGE_BUCKETS = {
  "under-1d": { label: "Under 1 day", fromDays: 0, toDays: 1 },
  "1-7d": { label: "1–7 days", fromDays: 1, toDays: 7 },
  "7-30d": { label: "7–30 days", fromDays: 7, toDays: 30 },
  "over-30d": { label: "Over 30 days", fromDays: 30, toDays: null },
} as const;
export type AgeBucket = keyof typeof AGE_BUCKETS;
export const AGE_BUCKET_KEYS = Object.keys(AGE_BUCKETS) as [AgeBucket, ...AgeBucket[]];

// Spelled out (not imported from db/schema) so the browser bundle of the filter form stays small.
const EXCEPTION_STATUSES = [
  "open",
  "awaiting_approval",
  "resolved",
] as const satisfies readonly ExceptionStatus[];
const EXCEPTION_TYPES = EXCEPTION_TYPE_LIST as [ExceptionType, ...ExceptionType[]];
export const QUEUE_STATUSES = [...EXCEPTION_STATUSES, "unresolved", "all"] as const;
export const DEFAULT_QUEUE_STATUS = "unresolved" satisfies (typeof QUEUE_STATUSES)[number];
export const EXCEPTION_PAGE_SIZE = 50;

// A form leaves empty fields as "": that means "no filter", not a bad value.
const blankIsAbsent = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <S extends z.ZodType>(schema: S) => z.preprocess(blankIsAbsent, schema.optional());

// "1,250" and "KES 1 250" are how people write amounts; the filter wants whole shillings.
const shillings = (what: string) =>
  z.coerce
    .string()
    .transform((v) => v.replace(/kes|ksh|[,\s]/gi, ""))
    .refine((v) => /^\d{1,12}$/.test(v), `The ${what} is whole shillings, like 1250.`)
    .transform(Number);

const eatDayText = z.string().refine((v) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  try {
    startOfEatDay(v);
    return true;
  } catch {
    return false;
  }
}, "The day is a calendar date, like 2025-03-14.");

export const QueueFilterFields = z.object({
  status: z.preprocess(
    blankIsAbsent,
    z
      .enum(QUEUE_STATUSES, { message: `status must be one of ${QUEUE_STATUSES.join(", ")}` })
      .default(DEFAULT_QUEUE_STATUS),
  ),
  type: optional(
    z.enum(EXCEPTION_TYPES, { message: `type must be one of ${EXCEPTION_TYPES.join(", ")}` }),
  ),
  age: optional(
    z.enum(AGE_BUCKET_KEYS, { message: `age must be one of ${AGE_BUCKET_KEYS.join(", ")}` }),
  ),
  minKes: optional(shillings("smallest amount")),
  maxKes: optional(shillings("largest amount")),
  day: optional(eatDayText),
});

/** The one rule across fields; every schema built on QueueFilterFields adds it. */
export const minNotAboveMax: [
  (f: { minKes?: number; maxKes?: number }) => boolean,
  { message: string; path: string[] },
] = [
  (f) => f.minKes === undefined || f.maxKes === undefined || f.minKes <= f.maxKes,
  { message: "The smallest amount is larger than the largest.", path: ["maxKes"] },
];

export const QueueFiltersSchema = QueueFilterFields.refine(...minNotAboveMax);
export type QueueFilters = z.output<typeof QueueFiltersSchema>;
/** The queue as a list (GET /api/exceptions, the page, the CSV): the filters plus order and paging. */
export const ExceptionFiltersSchema = QueueFilterFields.extend({
  paymentId: z.string().trim().min(1).optional().catch(undefined),
  sort: z.enum(["oldest", "newest", "urgent"]).default("oldest"),
  limit: pageLimit(200, EXCEPTION_PAGE_SIZE),
  cursor: z.string().trim().min(1).optional().catch(undefined),
}).refine(...minNotAboveMax);
/** listExceptions' input: the parsed filters; status (unresolved), sort (oldest), limit may be left out. */
export type ExceptionListInput = WithDefaults<
  z.output<typeof ExceptionFiltersSchema>,
  "status" | "sort" | "limit"
>;
export const QUEUE_FILTER_KEYS = ["status", "type", "age", "minKes", "maxKes", "day"] as const;

/** The filters from a query string (the last value of a repeated key); throws a 400 AppError. */
export function parseQueueFilters(params: URLSearchParams): QueueFilters {
  const raw: Record<string, string> = {};
  for (const key of QUEUE_FILTER_KEYS) {
    const value = params.get(key);
    if (value !== null) raw[key] = value;
  }
  return parseWith(QueueFiltersSchema, raw);
}

/** The filters as the form shows them (strings, as typed), whether or not they parse. */
export function queueFilterForm(
  params: URLSearchParams,
): Record<(typeof QUEUE_FILTER_KEYS)[number], string> {
  const get = (key: string) => (params.get(key) ?? "").trim();
  return {
    status: get("status") || "unresolved",
    type: get("type"),
    age: get("age"),
    minKes: get("minKes"),
    maxKes: get("maxKes"),
    day: get("day"),
  };
}

/** The filters back as a query string (only those set), for links, the CSV and the bulk preview. */
export function queueFilterQuery(f: Partial<QueueFilters>): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of QUEUE_FILTER_KEYS) {
    const value = f[key];
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  return params;
}

/**
 * The opened_at bounds of an age bucket: age = now − opened_at, so "1–7 days" is opened after
 * now − 7 d and at or before now − 1 d. Each case falls in exactly one bucket.
 */
export function ageBucketBounds(bucket: AgeBucket, now: Date): { after?: Date; atOrBefore?: Date } {
  const b = AGE_BUCKETS[bucket];
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  return {
    after: b.toDays === null ? undefined : daysAgo(b.toDays),
    atOrBefore: b.fromDays > 0 ? daysAgo(b.fromDays) : undefined,
  };
}

/** An EAT calendar day as the instants it spans: [start, end). */
export function eatDayBounds(day: string): { start: Date; end: Date } {
  return { start: startOfEatDay(day), end: startOfEatDay(addDays(day, 1)) };
}

const SelectionSchema = z.object({
  scope: z.enum(["filtered", "checked"], { message: "scope must be filtered or checked" }),
});

/**
 * What a bulk preview acts on: every case the filters match (`scope=filtered`), or the cases ticked
 * in the queue (`scope=checked&id=…&id=…`). Throws a 400 AppError for anything else.
 */
export function parseBulkSelection(params: URLSearchParams): {
  filters: QueueFilters;
  ids?: string[];
} {
  const filters = parseQueueFilters(params);
  const { scope } = parseWith(SelectionSchema, { scope: params.get("scope") ?? "filtered" });
  if (scope === "filtered") return { filters };
  const ids = parseWith(z.object({ id: CaseIdsSchema }), { id: params.getAll("id").join(",") }).id;
  return { filters, ids };
}
