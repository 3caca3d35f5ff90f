import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { parseQuery } from "../lib/validation";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { CallbackFiltersSchema } from "../modules/callbacks/list-params";
import { listCallbacks } from "../modules/callbacks/queries.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = viewerOf(
    await requireApiActor(context, request, "callbacks:read", { allowSession: true }),
  );
  return apiHandler(async () => {
    const page = await listCallbacks(context.db, parseQuery(CallbackFiltersSchema, request));
    return json(viewFor(viewer, page));
  }, viewer);
}
