import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { apiHandler } from "../lib/http.server";
import { notFound } from "../lib/app-error";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { getPaymentView } from "../modules/payments/queries.server";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const viewer = viewerOf(
    await requireApiActor(context, request, "payments:read", { allowSession: true }),
  );
  return apiHandler(async () => {
    const payment = await getPaymentView(context.db, params.paymentId ?? "");
    if (!payment) throw notFound("That payment");
    return json(viewFor(viewer, { payment }));
  }, viewer);
}
