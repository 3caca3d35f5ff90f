// Daraja's C2B confirmation (docs/daraja.md#c2b-confirmation; resource route, the path token is the
// credential). Same rules as the STK hook: store raw → translate → apply idempotently → acknowledge
// with HTTP 200.
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { methodNotAllowed, receiveWebhook } from "../modules/callbacks/webhook.server";
import { processC2bConfirmation } from "../modules/reconciliation/c2b.server";

export const loader = methodNotAllowed;

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { raw, refusal } = await receiveWebhook(context, request, params.token, "c2b_confirmation");
  if (refusal)
    return json({ ResultCode: 1, ResultDesc: refusal.message }, { status: refusal.status });
  try {
    await processC2bConfirmation(context, raw.id);
  } catch (error) {
    // The raw row stays `received` for re-processing; Daraja still gets its acknowledgement.
    context.log.error({ err: error, rawCallbackId: raw.id }, "C2B confirmation processing failed");
  }
  // docs/daraja.md#c2b-confirmation: ResultCode is always 0 here, as a number.
  return json({ ResultCode: 0, ResultDesc: "Success" });
}
