// Daraja's C2B validation (docs/daraja.md#c2b-validation): stored raw like every callback and
// always accepted, since a refusal turns the customer's payment away; matching waits for the
// confirmation.
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { methodNotAllowed, receiveWebhook } from "../modules/callbacks/webhook.server";

export const loader = methodNotAllowed;

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { refusal } = await receiveWebhook(context, request, params.token, "c2b_validation");
  if (refusal)
    return json({ ResultCode: "C2B00016", ResultDesc: "Rejected" }, { status: refusal.status });
  context.callbackQueue.wake(); // its outcome (accepted, readable or not) is recorded off the request path
  // docs/daraja.md#c2b-validation: the accept answer carries ResultCode as the string "0" (the
  // confirmation's is a number).
  return json({ ResultCode: "0", ResultDesc: "Accepted" });
}
