// Daraja's C2B validation (docs/daraja.md#c2b-validation): stored raw like every callback and
// always accepted, since a refusal turns the customer's payment away; matching waits for the
// confirmation.
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { methodNotAllowed, receiveWebhook } from "../modules/callbacks/webhook.server";
import { processC2bValidation } from "../modules/reconciliation/c2b.server";

export const loader = methodNotAllowed;

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { raw, refusal } = await receiveWebhook(context, request, params.token, "c2b_validation");
  if (refusal)
    return json({ ResultCode: "C2B00016", ResultDesc: "Rejected" }, { status: refusal.status });
  try {
    await processC2bValidation(context, raw.id);
  } catch (error) {
    context.log.error({ err: error, rawCallbackId: raw.id }, "C2B validation processing failed");
  }
  // docs/daraja.md#c2b-validation: the accept answer carries ResultCode as the string "0" (the
  // confirmation's is a number).
  return json({ ResultCode: "0", ResultDesc: "Accepted" });
}
