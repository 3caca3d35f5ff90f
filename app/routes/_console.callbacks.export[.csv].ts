// GET /callbacks/export.csv?outcome=&from=&to=: the callback log's filters as a streamed CSV with the
// raw bodies (finance, admin). A resource route, so a normal click downloads the file.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { AppError } from "../lib/app-error";
import { apiHandler } from "../lib/http.server";
import { eatDay } from "../lib/time";
import { parseWith } from "../lib/validation";
import { requirePermission } from "../modules/auth/guards.server";
import { exportCallbacksCsv } from "../modules/callbacks/export.server";
import { CallbackFiltersSchema, callbackListQuery } from "../modules/callbacks/list-params";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "callbacks:read");
  await requirePermission(context, request, "exports:csv");
  const query = callbackListQuery(new URL(request.url).searchParams);
  return apiHandler(async () => {
    if (query.error) throw new AppError("invalid_request", query.error, { field: "from" });
    const filters = parseWith(CallbackFiltersSchema, query.filters);
    return exportCallbacksCsv(context.db, filters, `callbacks-${eatDay(context.now())}.csv`);
  });
}
