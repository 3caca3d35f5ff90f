// The dashboard's figures from payments made for real through the simulator, at chosen EAT times (the
// app's clock and the simulator's move together): EAT day boundaries, the success rate with unknown
// kept apart, failure reasons, the previous-period comparison, and the rollup agreeing with a recount.
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";
import { parseWith } from "../../lib/validation";
import { RevenueQuerySchema } from "./revenue-query";
import { getRevenueDashboard } from "./revenue.server";
import { rebuildPaymentStats } from "./stats.server";

let app: TestApp;
let actor: Actor;
let offsetMs = 0;

beforeAll(async () => {
  app = await startTestApp({
    now: () => new Date(Date.now() + offsetMs),
    env: { DARAJA_TIMEOUT_MS: "1000" },
    simulator: { hangMs: 2500 },
  });
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

/** Moves the app's and the simulator's clocks to an EAT wall-clock time (`2025-03-14T23:30`). */
async function travelTo(eat: string) {
  offsetMs = Date.parse(`${eat}:00+03:00`) - Date.now();
  await app.control("config", { clock: { offsetMs } });
}

async function pay(phone: string, amount: number, until: string) {
  const started = await initiatePayment(
    app.ctx,
    { orderRef: orderRef("REV"), amount, phone },
    actor,
  );
  return waitFor(
    async () => {
      const p = await getPaymentView(app.ctx.db, started.id);
      return p && p.status === until ? p : null;
    },
    6000,
    `payment to become ${until}`,
  );
}

// A query string's values, read by the route's parser first (as GET /api/reports/revenue does).
const dashboard = async (query: Record<string, string>) =>
  getRevenueDashboard(app.ctx, parseWith(RevenueQuerySchema, query));

describe("EAT days", () => {
  beforeAll(async () => {
    await travelTo("2025-03-14T23:30");
    await pay(PHONES.pays, 1000, "paid");
    // 00:30 EAT on the 15th is still the 14th in UTC: a UTC grouping would put both on one day.
    await travelTo("2025-03-15T00:30");
    await pay(PHONES.pays, 500, "paid");
  });

  it("puts a payment made at 23:30 EAT on that day, not the next", async () => {
    const { report } = await dashboard({ from: "2025-03-14", to: "2025-03-15" });
    expect(report.series.map((p) => [p.period, p.revenueKes, p.paid])).toEqual([
      ["2025-03-14", 1000, 1],
      ["2025-03-15", 500, 1],
    ]);
    expect(report.totals).toMatchObject({ revenueKes: 1500, paidPayments: 2, payments: 2 });
    expect(report.hourOfDay[23]).toEqual({ hour: 23, payments: 1, paid: 1 });
    expect(report.hourOfDay[0]).toEqual({ hour: 0, payments: 1, paid: 1 });
  });

  it("counts today's revenue from EAT midnight in the KPIs, against yesterday up to the same hour", async () => {
    const { kpis } = await dashboard({});
    // No tariff in this file: the charge is unknown, so net leaves it out and says how many.
    expect(kpis.today).toEqual({
      revenueKes: 500,
      chargesKes: 0,
      netKes: 500,
      unchargedPayments: 1,
      paidPayments: 1,
      previousRevenueKes: 0,
      previousPaidPayments: 0,
    });
    // 15 March 2025 is a Saturday: the week began on Monday the 10th, so both payments are this week's.
    expect(kpis.week).toMatchObject({ revenueKes: 1500, paidPayments: 2 });
    expect(kpis.month).toMatchObject({ revenueKes: 1500, paidPayments: 2 });
  });

  it("buckets by week (from Monday) and by month", async () => {
    const weekly = await dashboard({ from: "2025-03-10", to: "2025-03-23", interval: "week" });
    expect(weekly.report.series.map((p) => [p.period, p.revenueKes])).toEqual([
      ["2025-03-10", 1500],
      ["2025-03-17", 0],
    ]);
    const monthly = await dashboard({ from: "2025-01-01", to: "2025-03-31", interval: "month" });
    expect(monthly.report.series.map((p) => [p.label, p.revenueKes])).toEqual([
      ["Jan 2025", 0],
      ["Feb 2025", 0],
      ["Mar 2025", 1500],
    ]);
    expect(monthly.report.previousRange).toEqual({ from: "2024-10-01", to: "2024-12-31" });
  });
});

describe("outcomes and the success rate", () => {
  beforeAll(async () => {
    await travelTo("2025-04-10T10:00");
    await pay(PHONES.pays, 200, "paid");
    await pay(PHONES.pays, 300, "paid");
    await pay(PHONES.cancels, 400, "cancelled");
    await pay(PHONES.insufficient, 500, "failed");
    await pay(PHONES.unreachable, 600, "expired");
    // The push hangs past our timeout: we cannot know whether the prompt reached the phone.
    await pay(PHONES.hangs, 700, "unknown");
  });

  it("divides paid by finished payments, leaving unknown out of both and reporting it beside", async () => {
    const { report } = await dashboard({ from: "2025-04-10", to: "2025-04-10" });
    expect(report.totals.outcomes).toEqual({
      paid: 2,
      refunded: 0,
      failed: 1,
      cancelled: 1,
      expired: 1,
      unknown: 1,
      pending: 0,
    });
    expect(report.totals.final).toBe(5);
    expect(report.totals.successRate).toBeCloseTo(2 / 5);
    expect(report.totals).toMatchObject({ payments: 6, revenueKes: 500, paidPayments: 2 });
    expect(report.series[0]).toMatchObject({
      paid: 2,
      cancelled: 1,
      failed: 1,
      expired: 1,
      unknown: 1,
    });
  });

  it("explains failures by result code in plain English", async () => {
    const { report } = await dashboard({ from: "2025-04-10", to: "2025-04-10" });
    expect(report.failureReasons).toEqual(
      expect.arrayContaining([
        {
          code: "1032",
          reason: "The customer cancelled the prompt",
          outcome: "cancelled",
          count: 1,
        },
        {
          code: "1",
          reason: "Not enough money in the customer's M-Pesa (or Fuliza)",
          outcome: "failed",
          count: 1,
        },
        {
          code: "1037",
          reason: expect.stringContaining("could not be reached"),
          outcome: "expired",
          count: 1,
        },
      ]),
    );
    expect(report.failureReasons).toHaveLength(3);
  });

  it("has no success rate for a period where nothing finished", async () => {
    const { report } = await dashboard({ from: "2025-04-01", to: "2025-04-02" });
    expect(report.totals).toMatchObject({ payments: 0, final: 0, successRate: null });
  });
});

describe("comparison with the previous period", () => {
  beforeAll(async () => {
    await travelTo("2025-05-19T12:00");
    await pay(PHONES.pays, 300, "paid");
    await travelTo("2025-05-20T12:00");
    await pay(PHONES.pays, 700, "paid");
  });

  it("sets each day beside the same day of the period before", async () => {
    const { report } = await dashboard({ from: "2025-05-20", to: "2025-05-20" });
    expect(report.previousRange).toEqual({ from: "2025-05-19", to: "2025-05-19" });
    expect(report.series).toEqual([
      expect.objectContaining({
        period: "2025-05-20",
        revenueKes: 700,
        previousPeriod: "2025-05-19",
        previousRevenueKes: 300,
      }),
    ]);
    expect(report.previousTotals).toMatchObject({
      revenueKes: 300,
      paidPayments: 1,
      successRate: 1,
    });
  });

  it("compares two days with the two before them", async () => {
    const { report } = await dashboard({ from: "2025-05-20", to: "2025-05-21" });
    expect(report.previousRange).toEqual({ from: "2025-05-18", to: "2025-05-19" });
    expect(report.series.map((p) => [p.period, p.previousPeriod, p.previousRevenueKes])).toEqual([
      ["2025-05-20", "2025-05-18", 0],
      ["2025-05-21", "2025-05-19", 300],
    ]);
  });
});

describe("the rollup", () => {
  it("agrees with a recount from the payments table after every status change the flows made", async () => {
    const ranges: Record<string, string>[] = [
      { from: "2025-03-01", to: "2025-05-31" },
      { from: "2025-04-10", to: "2025-04-10", interval: "week" },
    ];
    const before = await Promise.all(ranges.map((r) => dashboard(r)));
    await rebuildPaymentStats(app.ctx.db);
    const after = await Promise.all(ranges.map((r) => dashboard(r)));
    expect(after.map((d) => d.report)).toEqual(before.map((d) => d.report));
  });

  it("refuses ranges it cannot draw with a message naming the field", async () => {
    await expect(dashboard({ from: "2025-05-20", to: "2025-05-01" })).rejects.toMatchObject({
      status: 400,
      field: "from",
    });
    await expect(dashboard({ from: "2020-01-01", to: "2025-05-01" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("731"),
    });
    await expect(dashboard({ from: "2025-02-30" })).rejects.toMatchObject({
      status: 400,
      field: "from",
    });
    await expect(dashboard({ interval: "hour" })).rejects.toMatchObject({
      status: 400,
      field: "interval",
    });
  });
});
