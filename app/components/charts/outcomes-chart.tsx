// What became of the payments requested in each bucket, stacked: paid against cancelled, expired,
// failed — and unknown on top, so money M-Pesa never told us about is visible, not hidden.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { RevenueReport } from "../../modules/reports/report-types";
import { ChartFrame } from "./chart-frame";
import { COLORS, countAxis, countTooltip } from "./chart-format";

const STACK = [
  { key: "paid", name: "Paid" },
  { key: "cancelled", name: "Cancelled" },
  { key: "expired", name: "Expired" },
  { key: "failed", name: "Failed" },
  { key: "unknown", name: "Unknown" },
] as const;

export function OutcomesChart({ report }: { report: RevenueReport }) {
  const o = report.totals.outcomes;
  const summary = `Of ${report.totals.payments.toLocaleString("en-KE")} payments requested: ${o.paid + o.refunded} paid, ${o.cancelled} cancelled, ${o.expired} expired, ${o.failed} failed, ${o.unknown} unknown.`;
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
