import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { parseQuery } from "../lib/validation";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { listExceptions } from "../modules/exceptions/queries.server";
import { ExceptionFiltersSchema } from "../modules/exceptions/queue-filters";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = viewerOf(
    await requireApiActor(context, request, "exceptions:read", { allowSession: true }),
  );
  return apiHandler(async () => {
    const filters = parseQuery(ExceptionFiltersSchema, request);
    const page = await listExceptions(context.db, filters, context.now());
    return json(viewFor(viewer, page));
  }, viewer);
}
