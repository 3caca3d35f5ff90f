// When customers pay: payments requested per EAT hour of the day over the range, and how many paid.
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from "recharts";
import type { RevenueReport } from "../../modules/reports/report-types";
import { ChartFrame } from "./chart-frame";
import { COLORS, countAxis, countTooltip, hourLabel } from "./chart-format";

export function HourOfDayChart({ report }: { report: RevenueReport }) {
  const busiest = [...report.hourOfDay].sort((a, b) => b.payments - a.payments)[0];
  const summary = busiest?.payments
    ? `Busiest hour: ${hourLabel(busiest.hour)}–${hourLabel((busiest.hour + 1) % 24)} EAT with ${busiest.payments} payments.`
    : "No payments in this period.";
  const data = report.hourOfDay.map((h) => ({
    ...h,
    label: hourLabel(h.hour),
    notPaid: h.payments - h.paid,
  }));
  return (
    <ChartFrame
      title="Payments by hour of day (EAT)"
      summary={summary}
      testId="chart-hours"
      empty={busiest?.payments ? null : "No payments were requested in this period."}
    >
      {() => (
        <BarChart data={data} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="label"
            tick={{ fontSize: 11 }}
            tickFormatter={(label: string) => label.slice(0, 2)}
            interval="preserveStartEnd"
            minTickGap={6}
          />
          <YAxis
            allowDecimals={false}
            tickFormatter={countAxis}
            tick={{ fontSize: 11 }}
            width={48}
          />
          <Tooltip formatter={countTooltip} />
          <Legend />
          <Bar
            dataKey="paid"
            name="Paid"
            stackId="hour"
            fill={COLORS.paid}
            isAnimationActive={false}
          />
          <Bar
            dataKey="notPaid"
            name="Not paid"
            stackId="hour"
            fill={COLORS.cancelled}
            isAnimationActive={false}
          />
        </BarChart>
      )}
    </ChartFrame>
  );
}
