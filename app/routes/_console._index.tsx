// The manager dashboard (every role may view it): revenue and outcome KPIs, and four charts over a
// date range of EAT days kept in the URL. The figures are the same as GET /api/reports/revenue.
import { json, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { FailureReasonsChart } from "../components/charts/failure-reasons-chart";
import { HourOfDayChart } from "../components/charts/hour-of-day-chart";
import { OutcomesChart } from "../components/charts/outcomes-chart";
import { RevenueChart } from "../components/charts/revenue-chart";
import { KpiCards } from "../components/dashboard/kpi-cards";
import { RangePicker } from "../components/dashboard/range-picker";
import { isAppError, pageError } from "../lib/app-error";
import { eatDay, formatEat } from "../lib/time";
import { parseQuery } from "../lib/validation";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { requirePermission } from "../modules/auth/guards.server";
import { RevenueQuerySchema } from "../modules/reports/revenue-query";
import { getRevenueDashboard } from "../modules/reports/revenue.server";

export const meta: MetaFunction = () => [{ title: "Dashboard · M-Pesa console" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = viewerOf((await requirePermission(context, request, "reports:read")).session.user);
  const today = eatDay(context.now());
  try {
    const dashboard = await getRevenueDashboard(context, parseQuery(RevenueQuerySchema, request));
    return json(viewFor(viewer, { ...dashboard, today, error: null }));
  } catch (error) {
    // A hand-edited URL (bad day, reversed range) shows the default range with the reason, not an error page.
    if (!isAppError(error)) throw error;
    const dashboard = await getRevenueDashboard(context, {});
    return json(viewFor(viewer, { ...dashboard, today, error: pageError(error) }), {
      status: error.status,
    });
  }
}

export default function Dashboard() {
  const { report, kpis, today, error } = useLoaderData<typeof loader>();
  const loading = useNavigation().state === "loading";
  return (
    <div className={loading ? "dashboard is-loading" : "dashboard"}>
      <div className="page-head">
        <h1>Dashboard</h1>
        <p className="muted small">
          Days are East Africa Time. Revenue counts payments by when they were paid; outcomes by
          when they were requested. As of {formatEat(kpis.asOf)}.
        </p>
      </div>
      <RangePicker range={report.range} today={today} />
      {error ? (
        <p className="form-error" role="alert">
          {error.message} Showing the last 30 days instead.
        </p>
      ) : null}
      <KpiCards kpis={kpis} report={report} />
      <div className="grid-2 charts">
        <RevenueChart report={report} />
        <OutcomesChart report={report} />
        <FailureReasonsChart report={report} />
        <HourOfDayChart report={report} />
      </div>
    </div>
  );
}
