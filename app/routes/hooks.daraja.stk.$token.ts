// Daraja's STK callback (resource route; no session, no API key: the path token is the credential).
// Store raw → acknowledge → translate and apply idempotently off the request path
// (docs/daraja.md#callback-delivery).
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { methodNotAllowed, receiveWebhook } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { refusal } = await receiveWebhook(context, request, params.token, "stk");
  if (refusal)
    return json({ ResultCode: 1, ResultDesc: refusal.message }, { status: refusal.status });
  // The row is durable: acknowledge now and let the applier claim it (a failure there leaves the row
  // `received` for the next sweep and the console's re-process; Daraja cannot fix our bug).
  context.callbackQueue.wake();
  return json({ ResultCode: 0, ResultDesc: "Accepted" });
}
