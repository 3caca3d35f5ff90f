// GET /payments/export.csv?<the list's filters>: the payments list as a streamed CSV (finance, admin).
// A resource route, so the browser gets the file itself rather than a page.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { AppError } from "../lib/app-error";
import { apiHandler } from "../lib/http.server";
import { eatDay } from "../lib/time";
import { parseWith } from "../lib/validation";
import { requirePermission } from "../modules/auth/guards.server";
import { can } from "../modules/auth/permissions";
import { exportPaymentsCsv } from "../modules/payments/export.server";
import { PaymentFiltersSchema } from "../modules/payments/list-filters";
import { paymentListQuery } from "../modules/payments/list-params";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session } = await requirePermission(context, request, "exports:csv");
  const query = paymentListQuery(new URL(request.url).searchParams, context.now());
  return apiHandler(async () => {
    if (query.error)
      throw new AppError("invalid_request", query.error.message, { field: query.error.field });
    const unmasked = can(session.user.role, "phones:unmasked");
    return exportPaymentsCsv(context.db, parseWith(PaymentFiltersSchema, query.filters), {
      unmasked,
      fileName: `payments-${eatDay(context.now())}.csv`,
    });
  });
}
