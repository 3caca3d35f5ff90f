// Reading the exception queue: lists (oldest first by default, as a queue is worked) and one case.
import {
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  gte,
  inArray,
  lt,
  lte,
  sql,
  sum,
  type SQL,
} from "drizzle-orm";
import type { Db } from "../../../db/client";
import { exceptions, type PaymentException } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { isRealDateTime } from "../../lib/time";
import {
  AGE_BUCKET_KEYS,
  ageBucketBounds,
  type AgeBucket,
  DEFAULT_QUEUE_STATUS,
  eatDayBounds,
  EXCEPTION_PAGE_SIZE,
  type ExceptionListInput,
  type QueueFilters,
} from "./queue-filters";
import type { ExceptionView } from "./exception-view";
import { UUID } from "../../lib/uuid";

export type { ExceptionView } from "./exception-view";

export function toExceptionView(x: PaymentException): ExceptionView {
  return {
    id: x.id,
    type: x.type,
    status: x.status,
    summary: x.summary,
    paymentId: x.paymentId,
    attemptId: x.attemptId,
    rawCallbackId: x.rawCallbackId,
    statementLineId: x.statementLineId,
    receipt: x.receipt,
    amountAtStake: x.amountAtStakeKes,
    details: x.details,
    openedAt: x.openedAt.toISOString(),
    proposedResolution: x.proposedResolution,
    proposedData: x.proposedData,
    proposedByUserId: x.proposedByUserId,
    proposedAt: x.proposedAt?.toISOString() ?? null,
    resolution: x.resolution,
    resolutionNote: x.resolutionNote,
    resolvedByUserId: x.resolvedByUserId,
    approvedByUserId: x.approvedByUserId,
    resolvedAt: x.resolvedAt?.toISOString() ?? null,
    reopenCount: x.reopenCount,
  };
}

function statusCondition(status: QueueFilters["status"]): SQL | undefined {
  if (status === "all") return undefined;
  if (status === "unresolved") return inArray(exceptions.status, ["open", "awaiting_approval"]);
  return eq(exceptions.status, status);
}

/** The queue's filters as SQL conditions; `age: false` leaves the age bucket out (the bucket counts). */
export function queueConditions(
  f: QueueFilters,
  now: Date,
  options: { age?: boolean } = {},
): (SQL | undefined)[] {
  const where: (SQL | undefined)[] = [statusCondition(f.status)];
  if (f.type) where.push(eq(exceptions.type, f.type));
  if (f.minKes !== undefined) where.push(gte(exceptions.amountAtStakeKes, f.minKes));
  if (f.maxKes !== undefined) where.push(lte(exceptions.amountAtStakeKes, f.maxKes));
  if (f.day) {
    const { start, end } = eatDayBounds(f.day);
    where.push(gte(exceptions.openedAt, start), lt(exceptions.openedAt, end));
  }
  if (f.age && options.age !== false) {
    const { after, atOrBefore } = ageBucketBounds(f.age, now);
    if (after) where.push(gt(exceptions.openedAt, after));
    if (atOrBefore) where.push(lte(exceptions.openedAt, atOrBefore));
  }
  return where;
}

// The exact opened_at text a cursor carries (see listExceptions). Checked field by field, not with
// `new Date()`, which rolls 2025-02-30 over to 2 March: Postgres would refuse it (a 500, not a 400).
const EXACT_AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z$/;

function isExactInstant(text: string): boolean {
  const m = EXACT_AT.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
  return isRealDateTime(y, mo, d, h, mi, s);
}

/** A queue cursor read strictly: "urgent" carries `rank|opened_at`, the others opened_at alone. */
function readQueueCursor(
  raw: string | undefined,
  urgent: boolean,
): { rank: number; at: string; id: string } | null {
  const value = decodeCursor(raw, ["any", "uuid"]);
  if (!value || typeof value[0] !== "string") return null;
  const m = urgent ? /^(\d)\|(.+)$/.exec(value[0]) : ([value[0], "0", value[0]] as const);
  if (!m || !isExactInstant(m[2])) return null;
  return { rank: Number(m[1]), at: m[2], id: String(value[1]) };
}

export async function listExceptions(
  db: Db,
  input: ExceptionListInput,
  now: Date = new Date(),
): Promise<{ exceptions: ExceptionView[]; nextCursor: string | null }> {
  const f = {
    ...input,
    status: input.status ?? DEFAULT_QUEUE_STATUS,
    sort: input.sort ?? "oldest",
    limit: input.limit ?? EXCEPTION_PAGE_SIZE,
  };
  const where = queueConditions(f, now);
  if (f.paymentId) where.push(eq(exceptions.paymentId, f.paymentId));
  const newest = f.sort === "newest";
  const urgent = f.sort === "urgent";
  const cursor = readQueueCursor(f.cursor, urgent);
  if (f.cursor && !cursor)
    throw new AppError(
      "invalid_request",
      "The cursor is not valid; start again from the first page.",
      { field: "cursor" },
    );
  // "urgent", the queue's order: money the customer already paid first (a late success), then any
  // case with money at stake, then the rest; oldest first within each. The rank is part of the cursor.
  const rank = sql<number>`(case when ${exceptions.type} = 'late_success' then 0 when ${exceptions.amountAtStakeKes} > 0 then 1 else 2 end)`;
  if (cursor) {
    // Row comparison on (opened_at, id): the index order, and exact to the microsecond (see below).
    const cmp = newest ? sql`<` : sql`>`;
    where.push(
      urgent
        ? sql`(${rank}, ${exceptions.openedAt}, ${exceptions.id}) > (${cursor.rank}, ${cursor.at}::timestamptz, ${cursor.id}::uuid)`
        : sql`(${exceptions.openedAt}, ${exceptions.id}) ${cmp} (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  }
  const order = newest
    ? [desc(exceptions.openedAt), desc(exceptions.id)]
    : urgent
      ? [asc(rank), asc(exceptions.openedAt), asc(exceptions.id)]
      : [asc(exceptions.openedAt), asc(exceptions.id)];
  // opened_at defaults to the database's now(), which keeps microseconds; a JS Date keeps only
  // milliseconds, so a cursor made from one would repeat or skip rows. The cursor carries the exact text.
  const exactAt = sql<string>`to_char(${exceptions.openedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  const rows = await db
    .select({ row: exceptions, exactAt, rank })
    .from(exceptions)
    .where(and(...where))
    .orderBy(...order)
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > f.limit && last
      ? encodeCursor(
          urgent
            ? [`${Number(last.rank)}|${last.exactAt}`, last.row.id]
            : [last.exactAt, last.row.id],
        )
      : null;
  return {
    exceptions: page.map((r) => toExceptionView(r.row)),
    nextCursor,
  };
}

export async function getException(db: Db, id: string): Promise<ExceptionView | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db.select().from(exceptions).where(eq(exceptions.id, id));
  return row ? toExceptionView(row) : null;
}

/** The most urgent case still needing a person, other than `exceptId`: the queue's "next case". */
export async function getNextOpenException(db: Db, exceptId: string): Promise<string | null> {
  const { exceptions: rows } = await listExceptions(db, { sort: "urgent", limit: 2 });
  return rows.find((x) => x.id !== exceptId)?.id ?? null;
}

/** Open (and awaiting approval) exceptions per type, with the money at stake. */
export async function countOpenExceptions(
  db: Db,
): Promise<{ type: string; count: number; amountAtStake: number }[]> {
  const rows = await db
    .select({ type: exceptions.type, count: count(), amount: sum(exceptions.amountAtStakeKes) })
    .from(exceptions)
    .where(inArray(exceptions.status, ["open", "awaiting_approval"]))
    .groupBy(exceptions.type);
  return rows.map((r) => ({ type: r.type, count: r.count, amountAtStake: Number(r.amount ?? 0) }));
}

export type AgeingBucket = { bucket: AgeBucket; count: number; amountAtStake: number };

/**
 * How long the filtered cases have waited, per age bucket, with the money at stake: one aggregate
 * query (count/sum with FILTER), every filter applied except the age bucket itself.
 */
export async function countByAge(
  db: Db,
  filters: QueueFilters,
  now: Date,
): Promise<AgeingBucket[]> {
  const columns: Record<string, SQL<string | number | null>> = {};
  AGE_BUCKET_KEYS.forEach((bucket, i) => {
    const { after, atOrBefore } = ageBucketBounds(bucket, now);
    const inBucket = and(
      after ? gt(exceptions.openedAt, after) : undefined,
      atOrBefore ? lte(exceptions.openedAt, atOrBefore) : undefined,
    );
    columns[`n${i}`] = sql`count(*) filter (where ${inBucket})`;
    columns[`kes${i}`] =
      sql`coalesce(sum(${exceptions.amountAtStakeKes}) filter (where ${inBucket}), 0)`;
  });
  const [row] = await db
    .select(columns)
    .from(exceptions)
    .where(and(...queueConditions(filters, now, { age: false })));
  return AGE_BUCKET_KEYS.map((bucket, i) => ({
    bucket,
    count: Number(row?.[`n${i}`] ?? 0),
    amountAtStake: Number(row?.[`kes${i}`] ?? 0),
  }));
}
