// The shape of the revenue report, shared by the server that builds it, the API that sends it and the
// dashboard components that draw it (pure: no server imports).
import type { Interval } from "./periods";

export type ReportRange = { from: string; to: string; interval: Interval };

export const OUTCOMES = [
  "paid",
  "refunded",
  "failed",
  "cancelled",
  "expired",
  "unknown",
  "pending",
] as const;
export type Outcome = (typeof OUTCOMES)[number];
export type Outcomes = Record<Outcome, number>;

/**
 * Gross is what the paid payments brought in; charges are M-Pesa's on their receipts, priced when each
 * receipt was recorded; net = gross − charges. `unchargedPayments` paid payments had no charge known
 * (no tariff covered them, or no receipt yet): net leaves their charge out rather than guess it.
 */
export type NetRevenue = { chargesKes: number; netKes: number; unchargedPayments: number };

export type PeriodTotals = NetRevenue & {
  revenueKes: number;
  paidPayments: number;
  /** Payments requested in the period, whatever became of them. */
  payments: number;
  outcomes: Outcomes;
  /** paid + refunded + failed + cancelled + expired: the denominator of the success rate. */
  final: number;
  /** (paid + refunded) ÷ final, or null when nothing finished. A refund was still a successful payment. */
  successRate: number | null;
};

export type SeriesPoint = {
  period: string;
  label: string;
  revenueKes: number;
  chargesKes: number;
  netKes: number;
  paidPayments: number;
  previousPeriod: string | null;
  previousRevenueKes: number;
  previousPaidPayments: number;
} & Outcomes;

export type RevenueReport = {
  timeZone: "Africa/Nairobi";
  range: ReportRange & { days: number };
  previousRange: { from: string; to: string };
  totals: PeriodTotals;
  previousTotals: PeriodTotals;
  series: SeriesPoint[];
  failureReasons: { code: string; reason: string; outcome: string; count: number }[];
  hourOfDay: { hour: number; payments: number; paid: number }[];
  exceptions: {
    open: number;
    amountAtStakeKes: number;
    byType: { type: string; count: number; amountAtStake: number }[];
  };
};

export type Kpi = NetRevenue & {
  revenueKes: number;
  paidPayments: number;
  previousRevenueKes: number;
  previousPaidPayments: number;
};
export type RevenueKpis = { asOf: string; today: Kpi; week: Kpi; month: Kpi };

export type Dashboard = { report: RevenueReport; kpis: RevenueKpis };
