// GET /admin/audit.csv?actor=&action=&entityType=&entityId= — the filtered staff audit as a CSV that
// streams (pages of 500 rows are read as the download proceeds). Admins only.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { parseQuery } from "../lib/validation";
import { AuditCsvFiltersSchema } from "../modules/admin/audit-filters";
import { staffAuditCsv } from "../modules/admin/audit-log.server";
import { requirePermission } from "../modules/auth/guards.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "audit:read");
  await requirePermission(context, request, "exports:csv");
  // A bad filter is a 400 now, not a broken download later.
  return apiHandler(async () =>
    staffAuditCsv(context.db, parseQuery(AuditCsvFiltersSchema, request)),
  );
}
