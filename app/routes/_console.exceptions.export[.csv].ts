// GET /exceptions/export.csv?status=&type=: the exception queue's filters as a streamed CSV (finance,
// admin). A resource route, so a normal click downloads the file instead of asking for a page.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { eatDay } from "../lib/time";
import { requirePermission } from "../modules/auth/guards.server";
import { exportExceptionsCsv } from "../modules/exceptions/export.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "exceptions:read");
  await requirePermission(context, request, "exports:csv");
  const params = new URL(request.url).searchParams;
  const filters = {
    status: params.get("status") || "unresolved",
    type: params.get("type") || undefined,
  };
  return apiHandler(() =>
    exportExceptionsCsv(context.db, filters, `exceptions-${eatDay(context.now())}.csv`),
  );
}
