// The HTTP-level guards every response gets, as one express middleware for server.ts: helmet's
// headers with a Content-Security-Policy whose script nonce is fresh per request (Remix's inline
// scripts carry it: entry.server.tsx reads it from NONCE_HEADER), `Origin: null` POSTs refused, and
// X-Forwarded-Host dropped unless TRUST_PROXY says a proxy in front of us sets it.
import type { NextFunction, Request, Response } from "express";
import helmet from "helmet";
import { randomBytes } from "node:crypto";

/** Request header carrying the nonce from this middleware to entry.server (a client's is overwritten). */
export const NONCE_HEADER = "x-console-csp-nonce";

type Directives = NonNullable<
  NonNullable<
    Exclude<NonNullable<Parameters<typeof helmet>[0]>["contentSecurityPolicy"], boolean>
  >["directives"]
>;

/** helmet with our settings, around a Content-Security-Policy of these directives only. */
const helmetWith = (production: boolean, directives: Directives) =>
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    // HSTS pins browsers to HTTPS for a year: only in production, where PUBLIC_URL is https.
    strictTransportSecurity: production
      ? { maxAge: 365 * 24 * 3600, includeSubDomains: true }
      : false,
    referrerPolicy: { policy: "same-origin" },
    xFrameOptions: { action: "deny" },
    crossOriginEmbedderPolicy: false,
  });

export function securityHeaders(options: { production: boolean; trustProxy: boolean }) {
  const headers = helmetWith(options.production, {
    "default-src": ["'self'"],
    "script-src": [
      "'self'",
      (_req, res) => `'nonce-${(res as Response).locals.cspNonce as string}'`,
    ],
    // React renders style="" attributes (charts, bars); styles cannot run code.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    // `remix dev`'s live reload talks over a WebSocket on another port.
    "connect-src": options.production ? ["'self'"] : ["'self'", "ws:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const nonce = randomBytes(16).toString("base64");
    res.locals.cspNonce = nonce;
    req.headers[NONCE_HEADER] = nonce;
    if (!options.trustProxy) delete req.headers["x-forwarded-host"];
    if (req.method !== "GET" && req.method !== "HEAD" && req.headers.origin === "null") {
      res.status(403).json({
        error: {
          code: "csrf",
          message: "Requests from an opaque origin (Origin: null) are refused.",
        },
      });
      return;
    }
    headers(req, res, next);
  };
}

/**
 * The headers of a JSON answer sent without express (server.ts's direct path for Daraja's hooks):
 * helmet's, worked out once, with a policy that lets a JSON answer load and embed nothing.
 */
export function jsonAnswerHeaders(options: { production: boolean }): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => void (headers[name] = String(value)),
    removeHeader: (name: string) => void delete headers[name],
  };
  helmetWith(options.production, {
    "default-src": ["'none'"],
    "frame-ancestors": ["'none'"],
  })({} as never, recorder as never, () => {});
  return headers;
}

/**
 * The path as it may appear in a log line: a Daraja hook's last segment is its secret token. Remix
 * matches /HOOKS/Daraja/... as well, and resolves `..` and a full URL as the request target, so any
 * path with a `hooks` segment anywhere is cut two segments after it, and never keeps its last one.
 */
export function pathForLog(target: string): string {
  const path = target.split("?")[0];
  let decoded = path;
  try {
    decoded = decodeURIComponent(decoded);
  } catch {
    // a malformed escape: test the raw path
  }
  const parts = decoded.split("/");
  const hooks = parts.findIndex((part) => part.toLowerCase() === "hooks");
  if (hooks < 0) return path;
  return parts.slice(0, Math.min(hooks + 3, parts.length - 1)).join("/") + "/…";
}
