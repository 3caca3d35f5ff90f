// Revenue per day (or week, month) as bars, with the previous period's revenue beside each bar and
// the net after M-Pesa's charges (charges priced when each receipt was recorded).
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import { formatKes } from "../../lib/money";
import type { RevenueReport } from "../../modules/reports/report-types";
import { ChartFrame } from "./chart-frame";
import { COLORS, kesAxis, kesTooltip } from "./chart-format";

export function RevenueChart({ report }: { report: RevenueReport }) {
  const { totals, previousTotals, range, previousRange } = report;
  const summary = `Revenue ${formatKes(totals.revenueKes)} from ${range.from} to ${range.to} (net of M-Pesa charges ${formatKes(totals.netKes)}), against ${formatKes(previousTotals.revenueKes)} from ${previousRange.from} to ${previousRange.to}.`;
  const nothing = report.series.every((p) => p.revenueKes === 0 && p.previousRevenueKes === 0);
  return (
    <ChartFrame
      title={`Revenue per ${range.interval} (paid, KES)`}
      summary={summary}
      testId="chart-revenue"
      empty={nothing ? "No paid payments in this period or the one before." : null}
    >
      {() => (
        <BarChart
          maxBarSize={56}
          data={report.series}
          margin={{ top: 8, right: 8, left: 8, bottom: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} minTickGap={12} />
          <YAxis tickFormatter={kesAxis} tick={{ fontSize: 11 }} width={72} />
          <Tooltip
            formatter={kesTooltip}
            labelFormatter={(label, items) => {
              const point = items?.[0]?.payload as RevenueReport["series"][number] | undefined;
              return point?.previousPeriod
                ? `${label} (previous: ${point.previousPeriod})`
                : String(label);
            }}
          />
          <Legend />
          <Bar
            dataKey="previousRevenueKes"
            name="Previous period"
            fill={COLORS.previous}
            isAnimationActive={false}
          />
          <Bar
            dataKey="revenueKes"
            name="This period (gross)"
            fill={COLORS.revenue}
            isAnimationActive={false}
          />
          <Bar
            dataKey="netKes"
            name="Net of M-Pesa charges"
            fill={COLORS.net}
            isAnimationActive={false}
          />
        </BarChart>
      )}
    </ChartFrame>
  );
}
