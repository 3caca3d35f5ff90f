// Daraja's C2B validation (SPEC §8.2): stored raw like every callback and always accepted, since a
// refusal turns the customer's payment away; matching waits for the confirmation.
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { readBodyLimited } from "../lib/body.server";
import { clientIp } from "../lib/http.server";
import { MAX_CALLBACK_BYTES, recordCallback } from "../modules/callbacks/intake.server";
import { callbackTokenMatches } from "../modules/callbacks/token.server";
import { processC2bValidation } from "../modules/reconciliation/c2b.server";

export async function loader() {
  return json({ error: { code: "method_not_allowed", message: "POST only" } }, { status: 405, headers: { Allow: "POST" } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const tokenValid = callbackTokenMatches(context, params.token);
  const body = await readBodyLimited(request, MAX_CALLBACK_BYTES);
  const raw = await recordCallback(context, {
    kind: "c2b_validation", tokenValid, body: body.bytes, sizeBytes: body.size, headers: request.headers,
    sourceIp: clientIp(request, context.config.mpesa.trustProxy),
    refused: body.tooLarge ? `body of ${body.size} bytes is over the ${MAX_CALLBACK_BYTES}-byte limit (first ${MAX_CALLBACK_BYTES} bytes kept)` : undefined,
  });
  if (!tokenValid) return json({ ResultCode: "C2B00016", ResultDesc: "Rejected" }, { status: 404 });
  if (body.tooLarge) return json({ ResultCode: "C2B00016", ResultDesc: "Rejected" }, { status: 413 });
  try {
    await processC2bValidation(context, raw.id);
  } catch (error) {
    context.log.error({ err: error, rawCallbackId: raw.id }, "C2B validation processing failed");
  }
  // SPEC §8.2: the accept answer carries ResultCode as the string "0" (the confirmation's is a number).
  return json({ ResultCode: "0", ResultDesc: "Accepted" });
}
