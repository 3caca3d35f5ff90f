// The shared first step of every Daraja webhook route: read the body (at most 64 KB), check the path
// token, and store the request in the raw log before anything else. The route then answers in the
// shape its Daraja API expects.
import type { AppContext } from "../../context.server";
import type { RawCallback } from "../../../db/schema";
import { MAX_CALLBACK_BYTES, recordCallback, type IncomingCallback } from "./intake.server";
import { callbackTokenMatches } from "./token.server";
import { readBodyLimited } from "../../lib/body.server";
import { clientIp } from "../../lib/http.server";

export type Received = { raw: RawCallback; refusal: null | { status: 404 | 413 } };

export async function receiveWebhook(
  ctx: AppContext,
  request: Request,
  token: string | undefined,
  kind: IncomingCallback["kind"],
): Promise<Received> {
  const tokenValid = callbackTokenMatches(ctx, token);
  const body = await readBodyLimited(request, MAX_CALLBACK_BYTES);
  const raw = await recordCallback(ctx, {
    kind,
    tokenValid,
    body: body.bytes,
    sizeBytes: body.size,
    headers: request.headers,
    sourceIp: clientIp(request, ctx.config.mpesa.trustProxy),
    refused: body.tooLarge
      ? `body of ${body.size} bytes is over the ${MAX_CALLBACK_BYTES}-byte limit (first ${MAX_CALLBACK_BYTES} bytes kept)`
      : undefined,
  });
  if (!tokenValid) return { raw, refusal: { status: 404 } };
  if (body.tooLarge) return { raw, refusal: { status: 413 } };
  return { raw, refusal: null };
}

export function methodNotAllowed() {
  // Daraja only POSTs; a GET here is a person poking at the URL.
  return Response.json(
    { error: { code: "method_not_allowed", message: "POST only" } },
    { status: 405, headers: { Allow: "POST" } },
  );
}
