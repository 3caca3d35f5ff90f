// Merchant JSON API: list payments (keys, or any signed-in staff role) and start one (keys).
import { json, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { capBody, isBodyTooLarge } from "../lib/body.server";
import { apiHandler, errorJson } from "../lib/http.server";
import { parseQuery, parseWith } from "../lib/validation";
import { AppError } from "../lib/app-error";
import { requireApiActor } from "../modules/auth/guards.server";
import { viewerOf, viewFor } from "../modules/auth/viewer";
import { withIdempotency } from "../modules/payments/idempotency.server";
import { initiatePayment, InitiatePaymentSchema } from "../modules/payments/initiate.server";
import { PaymentFiltersSchema } from "../modules/payments/list-filters";
import { listPaymentsAs } from "../modules/payments/search-as.server";

/** A payment request is a few hundred bytes of JSON. */
const MAX_JSON_BYTES = 64 * 1024;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireApiActor(context, request, "payments:read", { allowSession: true });
  const viewer = viewerOf(actor);
  return apiHandler(async () => {
    const filters = parseQuery(PaymentFiltersSchema, request);
    return json(await listPaymentsAs(context, { actor, viewer }, filters));
  }, viewer);
}

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST")
    return errorJson(new AppError("method_not_allowed", "POST only", { status: 405 }));
  const actor = await requireApiActor(context, request, "payments:request");
  const viewer = viewerOf(actor);
  return apiHandler(async () => {
    const body = await capBody(request, MAX_JSON_BYTES)
      .json()
      .catch((error: unknown) => {
        if (isBodyTooLarge(error))
          throw new AppError("too_large", "The request body is over 64 kB.", { status: 413 });
        throw new AppError(
          "invalid_json",
          'The request body must be JSON like {"orderRef":"INV-1","amount":100,"phone":"0712345678"}.',
        );
      });
    const input = parseWith(InitiatePaymentSchema, body);
    const scope = actor.kind === "api_key" ? `key:${actor.apiKeyId}` : `user:${actor.userId}`;
    const result = await withIdempotency(
      context.db,
      { scope, key: request.headers.get("Idempotency-Key"), body: input },
      async () => {
        const payment = await initiatePayment(context, input, actor);
        return { status: 201, body: { payment }, paymentId: payment.id };
      },
    );
    // The caller's own new payment carries the number it just sent; a refusal (a 409 quoting another
    // request's payment, replayed or not) is masked like any read.
    return json(result.status < 300 ? result.body : viewFor(viewer, result.body), {
      status: result.status,
      headers: result.replayed ? { "Idempotent-Replayed": "true" } : undefined,
    });
  }, viewer);
}
