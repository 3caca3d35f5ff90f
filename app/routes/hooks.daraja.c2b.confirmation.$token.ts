// Daraja's C2B confirmation (docs/daraja.md#c2b-confirmation; resource route, the path token is the
// credential). Exactly the STK hook's rules: store raw → acknowledge with HTTP 200 → the applier
// claims and applies it (and the sweep retries it if that fails or the process stops).
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { methodNotAllowed, receiveWebhook } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { refusal } = await receiveWebhook(context, request, params.token, "c2b_confirmation");
  if (refusal)
    return json({ ResultCode: 1, ResultDesc: refusal.message }, { status: refusal.status });
  context.callbackQueue.wake();
  // docs/daraja.md#c2b-confirmation: ResultCode is always 0 here, as a number.
  return json({ ResultCode: 0, ResultDesc: "Success" });
}
