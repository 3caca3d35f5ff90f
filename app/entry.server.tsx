// Remix's default Node entry, plus two things: the per-request CSP nonce (from the security-headers
// middleware) on every script Remix renders, and `handleError`, which logs unexpected errors without
// query parameters, phone numbers or callback tokens (see lib/error-log.server.ts).
import { PassThrough } from "node:stream";
import type { AppLoadContext, EntryContext, HandleErrorFunction } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import type { AppContext } from "./context.server";
import { describeError, requestForLog } from "./lib/error-log.server";
import { NonceProvider } from "./lib/nonce";
import { NONCE_HEADER } from "./lib/security-headers.server";

const ABORT_DELAY = 5_000;

export const handleError: HandleErrorFunction = (error, { request, context }) => {
  // A client that went away mid-request is not an error of ours.
  if (request.signal.aborted) return;
  const log = (context as unknown as AppContext | undefined)?.log;
  const entry = { err: describeError(error), request: requestForLog(request) };
  if (log) log.error(entry, "unexpected error");
  else
    process.stderr.write(`${JSON.stringify({ level: 50, msg: "unexpected error", ...entry })}\n`);
};

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // Tests render without the middleware; a page then simply has no nonce on its scripts.
  const nonce = request.headers.get(NONCE_HEADER) ?? "";
  const waitForAll = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer
          context={remixContext}
          url={request.url}
          abortDelay={ABORT_DELAY}
          nonce={nonce}
        />
      </NonceProvider>,
      {
        nonce,
        [waitForAll ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          responseHeaders.set("Content-Type", "text/html");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors before the shell reject and reach handleError; later ones are logged here.
          if (shellRendered) handleError(error, { request, params: {}, context: loadContext });
        },
      },
    );
    setTimeout(abort, ABORT_DELAY);
  });
}

// Everything the server entry (server.ts) runs besides the routes — context, jobs, simulator, seed —
// comes from the build through this export, so production runs ONE copy of the app's modules.
export * as serverRuntime from "./server-runtime.server";
