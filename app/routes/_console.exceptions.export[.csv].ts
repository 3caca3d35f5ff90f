// GET /exceptions/export.csv?<the queue's filters>: the filtered exception queue as a streamed CSV
// (finance, admin). A resource route, so a normal click downloads the file instead of asking for a page.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { eatDay } from "../lib/time";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { exportExceptionsCsv } from "../modules/exceptions/export.server";
import { parseQueueFilters } from "../modules/exceptions/queue-filters";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "exceptions:read");
  const { session } = await requirePermission(context, request, "exports:csv");
  const params = new URL(request.url).searchParams;
  return apiHandler(() =>
    exportExceptionsCsv(context.db, parseQueueFilters(params), {
      fileName: `exceptions-${eatDay(context.now())}.csv`,
      now: context.now(),
      unmasked: can(session.user.role, "phones:unmasked"),
    }),
  );
}
