// GET /admin/audit.csv?actor=&action=&entityType=&entityId= — the filtered staff audit as a CSV that
// streams (pages of 500 rows are read as the download proceeds). Admins only.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { staffAuditCsv } from "../modules/admin/audit-log.server";
import { requirePermission } from "../modules/auth/guards.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "audit:read");
  await requirePermission(context, request, "exports:csv");
  return apiHandler(async () =>
    staffAuditCsv(context.db, Object.fromEntries(new URL(request.url).searchParams)),
  );
}
