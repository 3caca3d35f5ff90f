// Why payments did not go through, by M-Pesa result code, in plain English (daraja/result-codes.ts).
import { Bar, BarChart, CartesianGrid, Cell, Tooltip, XAxis, YAxis } from "recharts";
import { resultLabel } from "../../modules/daraja/result-words";
import type { RevenueReport } from "../../modules/reports/report-types";
import { ChartFrame, useNarrow } from "./chart-frame";
import { COLORS, countAxis, countTooltip } from "./chart-format";

const TOP = 8;

export function FailureReasonsChart({ report }: { report: RevenueReport }) {
  const narrow = useNarrow();
  // On a phone the full reason would crowd out the bars: the axis shows the short plain words, the tooltip the reason.
  const reasons = report.failureReasons.slice(0, TOP).map((r) => ({
    ...r,
    label: narrow ? (resultLabel(r.code) ?? r.code) : `${r.reason} (${r.code})`,
  }));
  const summary = reasons.length
    ? `Most common reasons: ${reasons
        .slice(0, 3)
        .map((r) => `${r.reason} (${r.count})`)
        .join("; ")}.`
    : "No failed, cancelled or expired payments.";
  return (
    <ChartFrame
      title="Why payments did not go through"
      summary={summary}
      testId="chart-failures"
      height={Math.max(200, reasons.length * 44 + 40)}
      empty={reasons.length ? null : "No failed, cancelled or expired payments in this period."}
    >
      {() => (
        <BarChart
          data={reasons}
          layout="vertical"
          margin={{ top: 4, right: 16, left: 8, bottom: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis
            type="number"
            allowDecimals={false}
            tickFormatter={countAxis}
            tick={{ fontSize: 11 }}
          />
          <YAxis
            type="category"
            dataKey="label"
            width={narrow ? 96 : 190}
            tick={{ fontSize: 11 }}
            interval={0}
          />
          <Tooltip
            formatter={countTooltip}
            labelFormatter={(_, items) =>
              String((items?.[0]?.payload as { reason?: string } | undefined)?.reason ?? "")
            }
          />
          <Bar dataKey="count" name="Payments" isAnimationActive={false}>
            {reasons.map((r) => (
              <Cell
                key={`${r.outcome}:${r.code}`}
                fill={COLORS[r.outcome as "failed" | "cancelled" | "expired"] ?? COLORS.failed}
              />
            ))}
          </Bar>
        </BarChart>
      )}
    </ChartFrame>
  );
}
