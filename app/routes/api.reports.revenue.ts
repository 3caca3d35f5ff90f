// GET /api/reports/revenue?from=YYYY-MM-DD&to=YYYY-MM-DD&interval=day|week|month — the dashboard's
// figures as JSON for a merchant's BI (API key, or a signed-in staff session). Days are EAT days.
import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { parseQuery } from "../lib/validation";
import { requireApiActor } from "../modules/auth/guards.server";
import { RevenueQuerySchema } from "../modules/reports/revenue-query";
import { getRevenueDashboard } from "../modules/reports/revenue.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireApiActor(context, request, "reports:read", { allowSession: true });
  return apiHandler(async () => {
    return json(await getRevenueDashboard(context, parseQuery(RevenueQuerySchema, request)), {
      headers: { "Cache-Control": "no-store" },
    });
  });
}
