import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { listExceptions } from "../modules/exceptions/queries.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = viewerOf(
    await requireApiActor(context, request, "exceptions:read", { allowSession: true }),
  );
  return apiHandler(async () => {
    const page = await listExceptions(
      context.db,
      Object.fromEntries(new URL(request.url).searchParams),
      context.now(),
    );
    return json(viewFor(viewer, page));
  }, viewer);
}
