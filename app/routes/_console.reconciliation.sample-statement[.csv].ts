// GET /reconciliation/sample-statement.csv: a small statement in the layout the importer reads
// (docs/statement-format.md), offered on the import page so finance can see what to upload.
import type { LoaderFunctionArgs } from "@remix-run/node";
import { requirePermission } from "../modules/auth/guards.server";
import { sampleStatementCsv } from "../modules/reconciliation/statement-csv";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requirePermission(context, request, "statements:read");
  return new Response(sampleStatementCsv(), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="sample-statement.csv"',
    },
  });
}
