// What became of the payments requested in each bucket, stacked: paid (and paid, later refunded)
// against cancelled, expired, failed — then unknown, so money M-Pesa never told us about is visible,
// and still pending on top; the bars of a bucket add up to the payments requested in it.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { RevenueReport } from "../../modules/reports/report-types";
import { ChartFrame } from "./chart-frame";
import { COLORS, countAxis, countTooltip } from "./chart-format";

const STACK = [
  { key: "paid", name: "Paid" },
  { key: "refunded", name: "Paid, later refunded" },
  { key: "cancelled", name: "Cancelled" },
  { key: "expired", name: "Expired" },
  { key: "failed", name: "Failed" },
  { key: "unknown", name: "Unknown" },
  { key: "pending", name: "Still pending" },
] as const;

export function OutcomesChart({ report }: { report: RevenueReport }) {
  const o = report.totals.outcomes;
  const n = (x: number) => x.toLocaleString("en-KE");
  const refunded = o.refunded ? ` (${n(o.refunded)} of them later refunded)` : "";
  const pending = o.pending ? `, ${n(o.pending)} still pending` : "";
  const summary = `Of ${n(report.totals.payments)} payments requested: ${n(o.paid + o.refunded)} paid${refunded}, ${n(o.cancelled)} cancelled, ${n(o.expired)} expired, ${n(o.failed)} failed, ${n(o.unknown)} unknown${pending}.`;
  return (
    <ChartFrame
      title="Outcomes over time"
      summary={summary}
      testId="chart-outcomes"
      empty={report.totals.payments === 0 ? "No payments were requested in this period." : null}
    >
      {() => (
        <BarChart
          maxBarSize={56}
          data={report.series}
          margin={{ top: 8, right: 8, left: 0, bottom: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={12} />
          <YAxis
            allowDecimals={false}
            tickFormatter={countAxis}
            tick={{ fontSize: 11 }}
            width={48}
          />
          <Tooltip formatter={countTooltip} />
          <Legend />
          {STACK.map((s) => (
            <Bar
              key={s.key}
              dataKey={s.key}
              name={s.name}
              stackId="outcomes"
              fill={COLORS[s.key]}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      )}
    </ChartFrame>
  );
}
