import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { requireApiActor } from "../modules/auth/guards.server";
import { listExceptions } from "../modules/exceptions/queries.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireApiActor(context, request, "exceptions:read", { allowSession: true });
  return apiHandler(async () => {
    return json(
      await listExceptions(context.db, Object.fromEntries(new URL(request.url).searchParams)),
    );
  });
}
