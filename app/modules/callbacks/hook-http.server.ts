// Daraja's hooks answered straight from node:http. Intake is the path that takes bursts, and under
// 32 senders the app's one thread spent most of each acknowledgement in express's middleware, helmet,
// static-file lookups and Remix's request adapter and router (README, "Where intake time goes"), not
// in storing the callback. server.ts sends a POST whose path has exactly one hook route's shape
// here; anything else (another method, an odd path, an `Origin: null` request) still goes through
// express and Remix, which have the same routes and the same answerHook.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../../context.server";
import { nodeHeaders, readNodeBodyLimited } from "../../lib/body.server";
import { describeError } from "../../lib/error-log.server";
import { CLIENT_IP_HEADER } from "../../lib/http.server";
import { pathForLog } from "../../lib/security-headers.server";
import { answerHook, type HookName, type HookParams } from "./webhook.server";

export type HookMatch = { hook: HookName; params: HookParams };

// The hook routes' paths (app/routes/hooks.daraja.*), matched as Remix matches them: any letter case,
// each segment percent-decoded, one trailing slash allowed.
const SHAPES: { pattern: RegExp; match(segments: string[]): HookMatch }[] = [
  {
    pattern: /^\/hooks\/daraja\/stk\/([^/]+)\/?$/i,
    match: ([token]) => ({ hook: "stk", params: { token } }),
  },
  {
    pattern: /^\/hooks\/daraja\/c2b\/(confirmation|validation)\/([^/]+)\/?$/i,
    match: ([which, token]) => ({
      hook: which.toLowerCase() === "confirmation" ? "c2b_confirmation" : "c2b_validation",
      params: { token },
    }),
  },
  {
    pattern: /^\/hooks\/daraja\/([^/]+)\/(result|timeout)\/([^/]+)\/?$/i,
    match: ([api, which, token]) => ({
      hook: which.toLowerCase() === "result" ? "result" : "timeout",
      params: { api, token },
    }),
  },
];

/** The hook a request is for, or null for anything server.ts should hand to express and Remix. */
export function matchHookRequest(request: IncomingMessage): HookMatch | null {
  if (request.method !== "POST" || request.headers.origin === "null") return null;
  const path = (request.url ?? "").split("?")[0];
  for (const shape of SHAPES) {
    const found = shape.pattern.exec(path);
    if (!found) continue;
    try {
      return shape.match(found.slice(1).map((s) => decodeURIComponent(s)));
    } catch {
      return null; // a malformed escape: Remix answers it
    }
  }
  return null;
}

/** Answers one hook request; never throws (an unexpected error is logged and answered 500). */
export async function serveHook(
  ctx: AppContext,
  match: HookMatch,
  request: IncomingMessage,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  // As server.ts's express path does: the socket address, whatever a client sent in this header.
  request.headers[CLIENT_IP_HEADER] = request.socket.remoteAddress ?? "unknown";
  let status: number;
  let body: string;
  try {
    const answer = await answerHook(
      ctx,
      match.hook,
      {
        headers: nodeHeaders(request),
        readBody: (limit) => readNodeBodyLimited(request, limit),
      },
      match.params,
    );
    status = answer.status;
    body = JSON.stringify(answer.body);
  } catch (error) {
    ctx.log.error(
      {
        err: describeError(error),
        request: { method: request.method, path: pathForLog(request.url ?? "") },
      },
      "unexpected error",
    );
    status = 500;
    body = JSON.stringify({ ResultCode: 1, ResultDesc: "Internal error" });
  }
  if (response.destroyed) return;
  response.writeHead(status, {
    ...headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  response.end(body);
}
