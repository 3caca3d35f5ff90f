// Revenue and outcome figures for the manager dashboard and GET /api/reports/revenue, over a range of
// EAT calendar days, compared with the period just before. Revenue counts paid payments by the EAT day
// they were paid; outcomes count payments by the day they were requested. Success rate = paid ÷ final
// outcomes; `unknown` (M-Pesa never told us) stays out of both sides and is reported beside it.
// Net revenue = gross − M-Pesa's charges on the paid payments' receipts (priced when recorded).
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { eatDay, eatParts, startOfEatDay } from "../../lib/time";
import { classifyStkResult } from "../daraja/result-codes";
import { countOpenExceptions } from "../exceptions/queries.server";
import {
  bucketLabel,
  bucketOf,
  bucketsBetween,
  daysBetween,
  previousRange,
  shiftDays,
  shiftMonths,
} from "./periods";
import {
  OUTCOMES,
  type Dashboard,
  type Kpi,
  type Outcome,
  type Outcomes,
  type PeriodTotals,
  type ReportRange,
  type RevenueKpis,
  type RevenueReport,
  type SeriesPoint,
} from "./report-types";
import type { RevenueQueryInput } from "./revenue-query";
import { foldPaymentStats, readPaidWindows, readStats, type StatsRow } from "./stats.server";

export type { Dashboard, RevenueKpis, RevenueReport } from "./report-types";

export const MAX_RANGE_DAYS = 731;

/** The range asked for, or the last 30 days / 12 weeks / 12 months up to today (EAT). */
export function resolveRange(input: RevenueQueryInput, today: string): ReportRange {
  const q = { ...input, interval: input.interval ?? "day" };
  const to = q.to ?? today;
  const from =
    q.from ??
    (q.interval === "day"
      ? shiftDays(to, -29)
      : q.interval === "week"
        ? shiftDays(bucketOf(to, "week"), -77)
        : shiftMonths(bucketOf(to, "month"), -11));
  if (from > to)
    throw new AppError("invalid_request", "The start day is after the end day.", { field: "from" });
  if (daysBetween(from, to) > MAX_RANGE_DAYS)
    throw new AppError("invalid_request", `Choose at most ${MAX_RANGE_DAYS} days.`, {
      field: "from",
    });
  return { from, to, interval: q.interval };
}

const emptyOutcomes = (): Outcomes => ({
  paid: 0,
  refunded: 0,
  failed: 0,
  cancelled: 0,
  expired: 0,
  unknown: 0,
  pending: 0,
});
const outcomeOf = (status: string): Outcome =>
  status === "initiating"
    ? "pending"
    : (OUTCOMES as readonly string[]).includes(status)
      ? (status as Outcome)
      : "pending";

function totalsOf(days: StatsRow[]): PeriodTotals {
  const outcomes = emptyOutcomes();
  let revenueKes = 0,
    paidPayments = 0,
    payments = 0,
    chargesKes = 0,
    unchargedPayments = 0;
  for (const r of days) {
    if (r.basis === "paid") {
      revenueKes += r.amountKes;
      paidPayments += r.payments;
      chargesKes += r.chargeKes;
      unchargedPayments += r.uncharged;
    } else {
      outcomes[outcomeOf(r.status)] += r.payments;
      payments += r.payments;
    }
  }
  const succeeded = outcomes.paid + outcomes.refunded;
  const final = succeeded + outcomes.failed + outcomes.cancelled + outcomes.expired;
  return {
    revenueKes,
    chargesKes,
    netKes: revenueKes - chargesKes,
    unchargedPayments,
    paidPayments,
    payments,
    outcomes,
    final,
    successRate: final ? succeeded / final : null,
  };
}

function buildSeries(
  range: ReportRange,
  previous: { from: string; to: string },
  current: StatsRow[],
  before: StatsRow[],
): SeriesPoint[] {
  const buckets = bucketsBetween(range.from, range.to, range.interval);
  const previousBuckets = bucketsBetween(previous.from, previous.to, range.interval);
  const points = new Map(
    buckets.map((b, i) => [
      b,
      {
        period: b,
        label: bucketLabel(b, range.interval),
        revenueKes: 0,
        chargesKes: 0,
        netKes: 0,
        paidPayments: 0,
        previousPeriod: previousBuckets[i] ?? null,
        previousRevenueKes: 0,
        previousPaidPayments: 0,
        ...emptyOutcomes(),
      } satisfies SeriesPoint,
    ]),
  );
  for (const r of current) {
    const point = points.get(bucketOf(r.day!, range.interval))!;
    if (r.basis === "paid") {
      point.revenueKes += r.amountKes;
      point.chargesKes += r.chargeKes;
      point.netKes += r.amountKes - r.chargeKes;
      point.paidPayments += r.payments;
    } else point[outcomeOf(r.status)] += r.payments;
  }
  // The n-th previous bucket is drawn beside the n-th current one.
  const byPrevious = new Map(
    [...points.values()].filter((p) => p.previousPeriod).map((p) => [p.previousPeriod!, p]),
  );
  for (const r of before) {
    const point = byPrevious.get(bucketOf(r.day!, range.interval));
    if (point && r.basis === "paid") {
      point.previousRevenueKes += r.amountKes;
      point.previousPaidPayments += r.payments;
    }
  }
  return [...points.values()];
}

const FAILED_OUTCOMES = new Set(["failed", "cancelled", "expired"]);

function failureReasons(rows: StatsRow[]): RevenueReport["failureReasons"] {
  const byCode = new Map<string, RevenueReport["failureReasons"][number]>();
  for (const r of rows) {
    if (r.set !== "code" || !r.current || r.basis !== "created" || !FAILED_OUTCOMES.has(r.status))
      continue;
    const code = r.resultCode ?? "";
    const key = `${r.status}:${code}`;
    // A failure with no ResultCode is a push M-Pesa refused outright (no prompt ever reached the phone).
    const reason = code
      ? classifyStkResult(code).reason
      : "M-Pesa refused the request before a prompt was sent";
    const entry = byCode.get(key) ?? { code: code || "none", reason, outcome: r.status, count: 0 };
    entry.count += r.payments;
    byCode.set(key, entry);
  }
  return [...byCode.values()].sort(
    (a, b) =>
      b.count - a.count || a.outcome.localeCompare(b.outcome) || a.code.localeCompare(b.code),
  );
}

function hourOfDay(rows: StatsRow[]): RevenueReport["hourOfDay"] {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, payments: 0, paid: 0 }));
  for (const r of rows) {
    if (r.set !== "hour" || !r.current || r.basis !== "created" || r.hourOfDay == null) continue;
    hours[r.hourOfDay].payments += r.payments;
    if (r.status === "paid" || r.status === "refunded") hours[r.hourOfDay].paid += r.payments;
  }
  return hours;
}

async function revenueReport(ctx: AppContext, range: ReportRange): Promise<RevenueReport> {
  const previous = previousRange(range.from, range.to, range.interval);
  const [rows, open] = await Promise.all([
    readStats(ctx.db, { from: previous.from, to: shiftDays(range.to, 1), currentFrom: range.from }),
    countOpenExceptions(ctx.db),
  ]);
  const days = rows.filter((r) => r.set === "day");
  const current = days.filter((r) => r.day! >= range.from && r.day! <= range.to);
  const before = days.filter((r) => r.day! >= previous.from && r.day! <= previous.to);
  return {
    timeZone: "Africa/Nairobi",
    range: { ...range, days: daysBetween(range.from, range.to) },
    previousRange: previous,
    totals: totalsOf(current),
    previousTotals: totalsOf(before),
    series: buildSeries(range, previous, current, before),
    failureReasons: failureReasons(rows),
    hourOfDay: hourOfDay(rows),
    exceptions: {
      open: open.reduce((n, t) => n + t.count, 0),
      amountAtStakeKes: open.reduce((n, t) => n + t.amountAtStake, 0),
      byType: open.sort((a, b) => b.count - a.count || a.type.localeCompare(b.type)),
    },
  };
}

const HOUR_MS = 3_600_000;

/** `2025-03-14 10:00`: the EAT wall-clock hour an instant falls in, the rollup's key. */
function eatHourOf(at: Date): string {
  const p = eatParts(at);
  return `${eatDay(at)} ${String(p.hour).padStart(2, "0")}:00`;
}

/** Revenue today, this week (from Monday) and this month, each against the period before up to the same hour. */
async function revenueKpis(ctx: AppContext): Promise<RevenueKpis> {
  const now = ctx.now();
  const today = eatDay(now);
  const end = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS; // through the current hour
  const pair = (start: string, previousStart: string) => {
    const from = startOfEatDay(start).getTime();
    // Same elapsed time into the previous period, but never past its end (a 31st has no 31st last month).
    const previousEnd = Math.min(startOfEatDay(previousStart).getTime() + (end - from), from);
    return [
      { from: `${start} 00:00`, to: eatHourOf(new Date(end)) },
      { from: `${previousStart} 00:00`, to: eatHourOf(new Date(previousEnd)) },
    ] as const;
  };
  const [t, y] = pair(today, shiftDays(today, -1));
  const [w, lw] = pair(bucketOf(today, "week"), shiftDays(bucketOf(today, "week"), -7));
  const [m, lm] = pair(bucketOf(today, "month"), shiftMonths(bucketOf(today, "month"), -1));
  const f = await readPaidWindows(ctx.db, { t, y, w, lw, m, lm });
  const kpi = (c: typeof f.t, p: typeof f.t): Kpi => ({
    revenueKes: c.amountKes,
    chargesKes: c.chargeKes,
    netKes: c.amountKes - c.chargeKes,
    unchargedPayments: c.uncharged,
    paidPayments: c.payments,
    previousRevenueKes: p.amountKes,
    previousPaidPayments: p.payments,
  });
  return {
    asOf: now.toISOString(),
    today: kpi(f.t, f.y),
    week: kpi(f.w, f.lw),
    month: kpi(f.m, f.lm),
  };
}

/** Everything the dashboard and the revenue API show, for the range asked (from, to, interval). */
export async function getRevenueDashboard(
  ctx: AppContext,
  query: RevenueQueryInput,
): Promise<Dashboard> {
  const range = resolveRange(query, eatDay(ctx.now()));
  await foldPaymentStats(ctx.db);
  const [report, kpis] = await Promise.all([revenueReport(ctx, range), revenueKpis(ctx)]);
  return { report, kpis };
}
