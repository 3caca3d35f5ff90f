// Payments per status for the payments list's filter chips: from the reporting rollup when the window
// is whole EAT hours and nothing else is filtered, otherwise capped counts over the index.
import { and, eq, gte, lt, sql } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import type { Db } from "../../../db/client";
import {
  PAYMENT_STATUSES,
  payments,
  paymentStatDeltas,
  paymentStats,
  type Payment,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import type { PaymentCountInput } from "./list-filters";
import { paymentConditions } from "./queries.server";

/** `capped`: some count stopped at COUNT_CAP and is a lower bound ("1,000+"). */
export type PaymentStatusCounts = {
  counts: Record<Payment["status"], number>;
  total: number;
  capped: boolean;
};
export const COUNT_CAP = 1_000;

const HOUR_MS = 3_600_000;
const EAT_OFFSET_MS = 3 * HOUR_MS;
const eatHourKey = (at: Date) =>
  new Date(at.getTime() + EAT_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ");
const onEatHour = (at: Date) => (at.getTime() + EAT_OFFSET_MS) % HOUR_MS === 0;

/**
 * Payments per status for the list's filter chips; the status filter is ignored (the chips offer every
 * status). A window of whole EAT hours with no other filter — the page's default — is read from the
 * reporting rollup (payment_stats plus its unfolded deltas, kept exact by a trigger; see
 * reports/stats.server.ts): exact and instant whatever the range. Anything else counts rows, one
 * `count(*)` per status over payments_status_created_idx, each stopping at COUNT_CAP so a wide range
 * or an amount filter cannot scan a million rows. Unbounded counts need an indexed identifier.
 */
export async function countPaymentsByStatus(
  db: Db,
  f: PaymentCountInput,
): Promise<PaymentStatusCounts> {
  if (!f.from && !f.orderRef && !f.phone && !f.receipt && !f.checkoutRequestId) {
    throw new AppError("invalid_request", "Counting payments needs a start date (from).", {
      field: "from",
    });
  }
  const counts = Object.fromEntries(PAYMENT_STATUSES.map((s) => [s, 0])) as Record<
    Payment["status"],
    number
  >;
  const datesOnly =
    !f.orderRef &&
    !f.phone &&
    !f.receipt &&
    !f.checkoutRequestId &&
    f.minAmount === undefined &&
    f.maxAmount === undefined;
  // `to` is inclusive (…:59.999), so the rollup's exclusive bound is the next millisecond.
  const end = f.to ? new Date(f.to.getTime() + 1) : null;
  let capped = false;
  if (datesOnly && f.from && onEatHour(f.from) && (!end || onEatHour(end))) {
    const bounds = (t: typeof paymentStats | typeof paymentStatDeltas) =>
      and(
        eq(t.basis, "created"),
        gte(t.eatHour, eatHourKey(f.from!)),
        end ? lt(t.eatHour, eatHourKey(end)) : undefined,
      );
    const parts = unionAll(
      db
        .select({ status: paymentStats.status, n: paymentStats.payments })
        .from(paymentStats)
        .where(bounds(paymentStats)),
      db
        .select({ status: paymentStatDeltas.status, n: paymentStatDeltas.payments })
        .from(paymentStatDeltas)
        .where(bounds(paymentStatDeltas)),
    ).as("parts");
    const rows = await db
      .select({ status: parts.status, n: sql<number>`sum(${parts.n})::int` })
      .from(parts)
      .groupBy(parts.status);
    for (const row of rows) counts[row.status as Payment["status"]] = Number(row.n);
  } else {
    const where = paymentConditions(f);
    const perStatus = PAYMENT_STATUSES.map((status) => {
      const capped = db
        .select({ one: sql`1` })
        .from(payments)
        .where(and(eq(payments.status, status), ...where))
        .limit(COUNT_CAP + 1)
        .as(`c_${status}`);
      return db
        .select({
          status: sql<string>`${status}::text`.as("status"),
          n: sql<number>`count(*)::int`.as("n"),
        })
        .from(capped);
    });
    const [first, second, ...rest] = perStatus;
    for (const row of await unionAll(first, second, ...rest))
      counts[row.status as Payment["status"]] = Math.min(Number(row.n), COUNT_CAP);
    capped = PAYMENT_STATUSES.some((s) => counts[s] >= COUNT_CAP);
  }
  return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0), capped };
}
