import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { requireApiActor } from "../modules/auth/guards.server";
import { listCallbacks } from "../modules/callbacks/queries.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireApiActor(context, request, "callbacks:read", { allowSession: true });
  return apiHandler(async () => {
    return json(
      await listCallbacks(context.db, Object.fromEntries(new URL(request.url).searchParams)),
    );
  });
}
