// Daraja's C2B confirmation (SPEC §8.3; resource route, the path token is the credential). Same rules
// as the STK hook: store raw → translate → apply idempotently → acknowledge with HTTP 200.
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { readBodyLimited } from "../lib/body.server";
import { clientIp } from "../lib/http.server";
import { MAX_CALLBACK_BYTES, recordCallback } from "../modules/callbacks/intake.server";
import { callbackTokenMatches } from "../modules/callbacks/token.server";
import { processC2bConfirmation } from "../modules/reconciliation/c2b.server";

export async function loader() {
  return json({ error: { code: "method_not_allowed", message: "POST only" } }, { status: 405, headers: { Allow: "POST" } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const tokenValid = callbackTokenMatches(context, params.token);
  const body = await readBodyLimited(request, MAX_CALLBACK_BYTES);
  const raw = await recordCallback(context, {
    kind: "c2b_confirmation", tokenValid, body: body.bytes, sizeBytes: body.size, headers: request.headers,
    sourceIp: clientIp(request, context.config.mpesa.trustProxy),
    refused: body.tooLarge ? `body of ${body.size} bytes is over the ${MAX_CALLBACK_BYTES}-byte limit (first ${MAX_CALLBACK_BYTES} bytes kept)` : undefined,
  });
  if (!tokenValid) return json({ ResultCode: 1, ResultDesc: "Not found" }, { status: 404 });
  if (body.tooLarge) return json({ ResultCode: 1, ResultDesc: "Payload too large" }, { status: 413 });
  try {
    await processC2bConfirmation(context, raw.id);
  } catch (error) {
    // The raw row stays `received` for re-processing; Daraja still gets its acknowledgement.
    context.log.error({ err: error, rawCallbackId: raw.id }, "C2B confirmation processing failed");
  }
  // SPEC §8.3: ResultCode is always 0 here, as a number.
  return json({ ResultCode: 0, ResultDesc: "Success" });
}
