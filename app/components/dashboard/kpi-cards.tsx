// The dashboard's headline numbers: revenue today / this week / this month (each against the same
// stretch of the period before), payments in the range, success rate with `unknown` beside it, and
// the open exceptions with the money they hold up; and the range's revenue net of M-Pesa's charges.
import { Link } from "@remix-run/react";
import { formatKes } from "../../lib/money";
import type { Dashboard, Kpi } from "../../modules/reports/report-types";

function change(current: number, previous: number): { text: string; tone: "up" | "down" | "flat" } {
  if (previous === 0)
    return current === 0 ? { text: "no change", tone: "flat" } : { text: "new", tone: "up" };
  const pct = Math.round(((current - previous) / previous) * 100);
  if (pct === 0) return { text: "no change", tone: "flat" };
  return { text: `${pct > 0 ? "▲" : "▼"} ${Math.abs(pct)}%`, tone: pct > 0 ? "up" : "down" };
}

function RevenueCard({
  label,
  kpi,
  against,
  testId,
}: {
  label: string;
  kpi: Kpi;
  against: string;
  testId: string;
}) {
  const delta = change(kpi.revenueKes, kpi.previousRevenueKes);
  return (
    <div className="card kpi" data-testid={testId}>
      <div className="label">{label}</div>
      <div className="value">{formatKes(kpi.revenueKes)}</div>
      <div className="muted small">
        {kpi.paidPayments.toLocaleString("en-KE")} paid ·{" "}
        <span className={`delta delta-${delta.tone}`}>{delta.text}</span> vs {against} (
        {formatKes(kpi.previousRevenueKes)})
      </div>
      <div className="muted small">Net of M-Pesa charges: {formatKes(kpi.netKes)}</div>
    </div>
  );
}

/** Gross, M-Pesa's charges and net for the range; paid payments with no charge known are named. */
function NetRevenueCard({ report }: Pick<Dashboard, "report">) {
  const { totals, range } = report;
  return (
    <div className="card kpi" data-testid="kpi-net">
      <div className="label">Net revenue</div>
      <div className="value">{formatKes(totals.netKes)}</div>
      <div className="muted small">
        {formatKes(totals.revenueKes)} gross − {formatKes(totals.chargesKes)} M-Pesa charges ·{" "}
        {range.from} – {range.to}
      </div>
      {totals.unchargedPayments ? (
        <div className="unknown-note" data-testid="kpi-no-tariff">
          {totals.unchargedPayments.toLocaleString("en-KE")} paid with no tariff or no receipt yet
          (charge not counted) · <Link to="/tariffs">tariffs</Link>
        </div>
      ) : null}
    </div>
  );
}

const percent = (rate: number | null) => (rate == null ? "—" : `${(rate * 100).toFixed(1)}%`);

export function KpiCards({ kpis, report }: Dashboard) {
  const { totals, previousTotals, exceptions } = report;
  return (
    <div className="cards kpis">
      <RevenueCard
        label="Revenue today"
        kpi={kpis.today}
        against="yesterday, same hour"
        testId="kpi-today"
      />
      <RevenueCard
        label="Revenue this week"
        kpi={kpis.week}
        against="last week so far"
        testId="kpi-week"
      />
      <RevenueCard
        label="Revenue this month"
        kpi={kpis.month}
        against="last month so far"
        testId="kpi-month"
      />
      <NetRevenueCard report={report} />
      <div className="card kpi" data-testid="kpi-payments">
        <div className="label">Payments requested</div>
        <div className="value">{totals.payments.toLocaleString("en-KE")}</div>
        <div className="muted small">
          {report.range.from} – {report.range.to} · {formatKes(totals.revenueKes)} paid
        </div>
      </div>
      <div className="card kpi" data-testid="kpi-success">
        <div className="label">Success rate</div>
        <div className="value">{percent(totals.successRate)}</div>
        <div className="muted small">
          paid ÷ {totals.final.toLocaleString("en-KE")} finished · before:{" "}
          {percent(previousTotals.successRate)}
        </div>
        <div
          className={totals.outcomes.unknown ? "unknown-note" : "muted small"}
          data-testid="kpi-unknown"
        >
          {totals.outcomes.unknown.toLocaleString("en-KE")} unknown (not counted)
          {totals.outcomes.pending ? ` · ${totals.outcomes.pending} still waiting` : ""}
        </div>
      </div>
      <div className="card kpi" data-testid="kpi-exceptions">
        <div className="label">Open exceptions</div>
        <div className="value">{exceptions.open.toLocaleString("en-KE")}</div>
        <div className="muted small">
          {formatKes(exceptions.amountAtStakeKes)} at stake ·{" "}
          <Link to="/exceptions">open the queue</Link>
        </div>
      </div>
    </div>
  );
}
