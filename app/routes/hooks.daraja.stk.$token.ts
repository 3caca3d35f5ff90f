// Daraja's STK callback (resource route; no session, no API key: the path token is the credential).
// Store raw → translate → apply idempotently → acknowledge (intake.server.ts does the work).
import { json, type ActionFunctionArgs } from "@remix-run/node";
import { readBodyLimited } from "../lib/body.server";
import { clientIp } from "../lib/http.server";
import { MAX_CALLBACK_BYTES, processStkCallback, recordCallback } from "../modules/callbacks/intake.server";
import { callbackTokenMatches } from "../modules/callbacks/token.server";

export async function loader() {
  // Daraja only POSTs; a GET here is a person poking at the URL.
  return json({ error: { code: "method_not_allowed", message: "POST only" } }, { status: 405, headers: { Allow: "POST" } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const tokenValid = callbackTokenMatches(context, params.token);
  const body = await readBodyLimited(request, MAX_CALLBACK_BYTES);
  const raw = await recordCallback(context, {
    kind: "stk", tokenValid, body: body.bytes, sizeBytes: body.size, headers: request.headers,
    sourceIp: clientIp(request, context.config.mpesa.trustProxy),
    refused: body.tooLarge ? `body of ${body.size} bytes is over the ${MAX_CALLBACK_BYTES}-byte limit (first ${MAX_CALLBACK_BYTES} bytes kept)` : undefined,
  });
  if (!tokenValid) return json({ ResultCode: 1, ResultDesc: "Not found" }, { status: 404 });
  if (body.tooLarge) return json({ ResultCode: 1, ResultDesc: "Payload too large" }, { status: 413 });
  // The row is durable: acknowledge now and apply it off the request path (a failure there leaves the
  // row `received` for the recovery job and the console's re-process; Daraja cannot fix our bug).
  context.callbackQueue.push(() => processStkCallback(context, raw));
  return json({ ResultCode: 0, ResultDesc: "Accepted" });
}
