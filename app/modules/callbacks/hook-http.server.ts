// Daraja's hooks answered straight from node:http. Intake is the path that takes bursts, and under
// 32 senders the app's one thread spent most of each acknowledgement in express's middleware, helmet,
// static-file lookups and Remix's request adapter and router (README, "Where intake time goes"), not
// in storing the callback. server.ts sends a POST whose path has exactly one hook route's shape
// here; anything else (another method, an odd path, an `Origin: null` request) still goes through
// express and Remix, which have the same routes and the same answerHook.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppContext } from "../../context.server";
import { nodeHeaders, readNodeBodyLimited } from "../../lib/body.server";
import { CLIENT_IP_HEADER } from "../../lib/http.server";
import { answerHookSafely, type HookName, type HookParams } from "./webhook.server";

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

/** Answers one hook request; never rejects (an unexpected error is logged and answered 500). */
export async function serveHook(
  ctx: AppContext,
  match: HookMatch,
  request: IncomingMessage,
  response: ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  try {
    // As server.ts's express path does: the socket address, whatever a client sent in this header.
    request.headers[CLIENT_IP_HEADER] = request.socket.remoteAddress ?? "unknown";
    const answer = await answerHookSafely(
      ctx,
      match.hook,
      {
        headers: nodeHeaders(request),
        readBody: (limit) => readNodeBodyLimited(request, limit),
        method: request.method ?? "POST",
        path: request.url ?? "",
        aborted: () => request.readableAborted || request.socket.destroyed,
      },
      match.params,
    );
    if (response.destroyed || response.headersSent) return;
    const body = JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      ...headers,
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
    });
    response.end(body);
  } catch {
    response.destroy(); // nothing sensible left to answer with
  }
}
