// The outcomes chart's words (the placeholder before hydration and the chart's accessible name) name
// every outcome its bars stack, so the bars and the sentence add up to the same payments.
import { renderToString } from "react-dom/server";
import { OUTCOMES, type Outcomes, type RevenueReport } from "../../modules/reports/report-types";
import { OutcomesChart } from "./outcomes-chart";

function reportWith(outcomes: Outcomes): RevenueReport {
  const payments = OUTCOMES.reduce((sum, o) => sum + outcomes[o], 0);
  return { totals: { payments, outcomes }, series: [] } as unknown as RevenueReport;
}

it("counts refunded payments among the paid and says how many were refunded and are still pending", () => {
  const html = renderToString(
    <OutcomesChart
      report={reportWith({
        paid: 7,
        refunded: 3,
        failed: 1,
        cancelled: 2,
        expired: 0,
        unknown: 1,
        pending: 2,
      })}
    />,
  );
  expect(html).toContain(
    "Of 16 payments requested: 10 paid (3 of them later refunded), 2 cancelled, 0 expired, 1 failed, 1 unknown, 2 still pending.",
  );
});

it("leaves the refunded and pending clauses out when there are none", () => {
  const html = renderToString(
    <OutcomesChart
      report={reportWith({
        paid: 1_200,
        refunded: 0,
        failed: 0,
        cancelled: 0,
        expired: 0,
        unknown: 0,
        pending: 0,
      })}
    />,
  );
  expect(html).toContain(
    "Of 1,200 payments requested: 1,200 paid, 0 cancelled, 0 expired, 0 failed, 0 unknown.",
  );
});
