// GET /api/reports/revenue?from=YYYY-MM-DD&to=YYYY-MM-DD&interval=day|week|month — the dashboard's
// figures as JSON for a merchant's BI (API key, or a signed-in staff session). Days are EAT days.
// Masked for the caller's role as the dashboard is: a failure reason quotes what M-Pesa sent.
import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { parseQuery } from "../lib/validation";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { RevenueQuerySchema } from "../modules/reports/revenue-query";
import { getRevenueDashboard } from "../modules/reports/revenue.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireApiActor(context, request, "reports:read", { allowSession: true });
  const viewer = viewerOf(actor);
  return apiHandler(async () => {
    const dashboard = await getRevenueDashboard(context, parseQuery(RevenueQuerySchema, request));
    return json(viewFor(viewer, dashboard), { headers: { "Cache-Control": "no-store" } });
  }, viewer);
}
