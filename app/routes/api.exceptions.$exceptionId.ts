import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { notFound } from "../lib/app-error";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { getException } from "../modules/exceptions/queries.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const viewer = viewerOf(
    await requireApiActor(context, request, "exceptions:read", { allowSession: true }),
  );
  return apiHandler(async () => {
    const exception = await getException(context.db, params.exceptionId ?? "");
    if (!exception) throw notFound("That exception");
    return json(viewFor(viewer, { exception }));
  }, viewer);
}
