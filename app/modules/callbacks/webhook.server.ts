// Every Daraja webhook, answered one way: read the body (at most 64 KB), check the path token, store
// the request in the raw log before anything else, wake the applier, and answer in the shape the
// hook's Daraja API expects. The Remix routes (app/routes/hooks.daraja.*) and server.ts's direct
// node:http path for the same URLs (hook-http.server.ts) both come here.
import { json } from "@remix-run/node";
import type { AppContext } from "../../context.server";
import type { RawCallback } from "../../../db/schema";
import { MAX_CALLBACK_BYTES, recordCallback, type IncomingCallback } from "./intake.server";
import { callbackTokenMatches } from "./token.server";
import { initiatorHookKind } from "./identifiers";
import { hit } from "../auth/rate-limit.server";
import { readBodyLimited, type HeaderReader, type LimitedBody } from "../../lib/body.server";
import { describeError } from "../../lib/error-log.server";
import { clientIp } from "../../lib/http.server";
import { pathForLog } from "../../lib/security-headers.server";

// A wrong token is someone probing: keep the first bytes only (enough to see what they tried) and
// stop storing anything from an address that keeps at it, so strangers cannot fill the raw log.
export const WRONG_TOKEN_KEPT_BYTES = 256;
export const WRONG_TOKEN_LIMIT = { limit: 30, windowMs: 10 * 60_000 };

/** The hooks we publish: STK, C2B (docs/daraja.md#c2b-confirmation) and the initiator APIs' two URLs. */
export type HookName = "stk" | "c2b_confirmation" | "c2b_validation" | "result" | "timeout";
export type HookParams = { api?: string; token?: string };
/** A request as a hook reads it, whichever server received it. */
export type HookRequest = {
  headers: HeaderReader;
  readBody(limit: number): Promise<LimitedBody>;
};
export type HookAnswer = {
  status: number;
  body: { ResultCode: number | string; ResultDesc: string };
};

type Refusal = { status: 404 | 413 | 429; message: string };
export type Received =
  { raw: RawCallback; refusal: null } | { raw: RawCallback | null; refusal: Refusal };

export async function receiveWebhook(
  ctx: AppContext,
  request: HookRequest,
  token: string | undefined,
  kind: IncomingCallback["kind"],
): Promise<Received> {
  const tokenValid = callbackTokenMatches(ctx, token);
  const sourceIp = clientIp(request, ctx.config.mpesa.trustProxy);
  if (!tokenValid) {
    const allowed = await hit(ctx.db, `hook-wrong-token:${sourceIp}`, WRONG_TOKEN_LIMIT, ctx.now());
    const body = await request.readBody(WRONG_TOKEN_KEPT_BYTES);
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
  const body = await request.readBody(MAX_CALLBACK_BYTES);
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

/**
 * Stores the request and says what to answer. The row is durable before the answer: a failure while
 * applying leaves it `received` for the next sweep and the console's re-process (Daraja cannot fix
 * our bug), so every stored callback is acknowledged.
 */
export async function answerHook(
  ctx: AppContext,
  hook: HookName,
  request: HookRequest,
  params: HookParams,
): Promise<HookAnswer> {
  const kind = hook === "result" || hook === "timeout" ? initiatorHookKind(params.api, hook) : hook;
  if (!kind) return { status: 404, body: { ResultCode: 1, ResultDesc: "Not found" } };
  const { refusal } = await receiveWebhook(ctx, request, params.token, kind);
  if (refusal)
    return {
      status: refusal.status,
      body:
        hook === "c2b_validation"
          ? { ResultCode: "C2B00016", ResultDesc: "Rejected" }
          : { ResultCode: 1, ResultDesc: refusal.message },
    };
  ctx.callbackQueue.wake();
  switch (hook) {
    case "c2b_confirmation":
      // docs/daraja.md#c2b-confirmation: ResultCode is always 0 here, as a number.
      return { status: 200, body: { ResultCode: 0, ResultDesc: "Success" } };
    case "c2b_validation":
      // docs/daraja.md#c2b-validation: always accepted (a refusal turns the customer's payment away;
      // matching waits for the confirmation), and the accept answer carries ResultCode as the
      // string "0" (the confirmation's is a number).
      return { status: 200, body: { ResultCode: "0", ResultDesc: "Accepted" } };
    default:
      return { status: 200, body: { ResultCode: 0, ResultDesc: "Accepted" } };
  }
}

const INTERNAL_ERROR: HookAnswer = {
  status: 500,
  body: { ResultCode: 1, ResultDesc: "Internal error" },
};

/**
 * answerHook for either server: an unexpected failure (the database gone, most likely) is logged, its
 * path cut before the token, and answered 500 in JSON (Daraja sends the callback again). A sender
 * that hung up mid-body is not an error of ours, and is not logged as one.
 */
export async function answerHookSafely(
  ctx: AppContext,
  hook: HookName,
  request: HookRequest & { method: string; path: string; aborted(): boolean },
  params: HookParams,
): Promise<HookAnswer> {
  try {
    return await answerHook(ctx, hook, request, params);
  } catch (error) {
    if (!request.aborted())
      ctx.log.error(
        {
          err: describeError(error),
          request: { method: request.method, path: pathForLog(request.path) },
        },
        "unexpected error",
      );
    return INTERNAL_ERROR;
  }
}

/** A hook route's action: the web Request in, the answer as JSON. */
export async function hookResponse(
  ctx: AppContext,
  hook: HookName,
  request: Request,
  params: HookParams,
): Promise<Response> {
  const answer = await answerHookSafely(
    ctx,
    hook,
    {
      headers: request.headers,
      readBody: (limit) => readBodyLimited(request, limit),
      method: request.method,
      path: new URL(request.url).pathname,
      aborted: () => request.signal.aborted,
    },
    params,
  );
  return json(answer.body, { status: answer.status });
}

export function methodNotAllowed() {
  // Daraja only POSTs; a GET here is a person poking at the URL.
  return Response.json(
    { error: { code: "method_not_allowed", message: "POST only" } },
    { status: 405, headers: { Allow: "POST" } },
  );
}
