// The shared first step of every Daraja webhook route: read the body (at most 64 KB), check the path
// token, and store the request in the raw log before anything else. The route then answers in the
// shape its Daraja API expects.
import type { AppContext } from "../../context.server";
import type { RawCallback } from "../../../db/schema";
import { MAX_CALLBACK_BYTES, recordCallback, type IncomingCallback } from "./intake.server";
import { callbackTokenMatches } from "./token.server";
import { hit } from "../auth/rate-limit.server";
import { readBodyLimited } from "../../lib/body.server";
import { clientIp } from "../../lib/http.server";

// A wrong token is someone probing: keep the first bytes only (enough to see what they tried) and
// stop storing anything from an address that keeps at it, so strangers cannot fill the raw log.
export const WRONG_TOKEN_KEPT_BYTES = 256;
export const WRONG_TOKEN_LIMIT = { limit: 30, windowMs: 10 * 60_000 };

type Refusal = { status: 404 | 413 | 429; message: string };
export type Received =
  { raw: RawCallback; refusal: null } | { raw: RawCallback | null; refusal: Refusal };

export async function receiveWebhook(
  ctx: AppContext,
  request: Request,
  token: string | undefined,
  kind: IncomingCallback["kind"],
): Promise<Received> {
  const tokenValid = callbackTokenMatches(ctx, token);
  const sourceIp = clientIp(request, ctx.config.mpesa.trustProxy);
  if (!tokenValid) {
    const allowed = await hit(ctx.db, `hook-wrong-token:${sourceIp}`, WRONG_TOKEN_LIMIT, ctx.now());
    const body = await readBodyLimited(request, WRONG_TOKEN_KEPT_BYTES);
    if (!allowed.allowed)
      return { raw: null, refusal: { status: 429, message: "Too many requests" } };
    const raw = await recordCallback(ctx, {
      kind,
      tokenValid,
      body: body.bytes,
      sizeBytes: body.size,
      headers: request.headers,
      sourceIp,
    });
    return { raw, refusal: { status: 404, message: "Not found" } };
  }
  const body = await readBodyLimited(request, MAX_CALLBACK_BYTES);
  const raw = await recordCallback(ctx, {
    kind,
    tokenValid,
    body: body.bytes,
    sizeBytes: body.size,
    headers: request.headers,
    sourceIp,
    refused: body.tooLarge
      ? `body of ${body.size} bytes is over the ${MAX_CALLBACK_BYTES}-byte limit (first ${MAX_CALLBACK_BYTES} bytes kept)`
      : undefined,
  });
  if (body.tooLarge) return { raw, refusal: { status: 413, message: "Payload too large" } };
  return { raw, refusal: null };
}

export function methodNotAllowed() {
  // Daraja only POSTs; a GET here is a person poking at the URL.
  return Response.json(
    { error: { code: "method_not_allowed", message: "POST only" } },
    { status: 405, headers: { Allow: "POST" } },
  );
}
