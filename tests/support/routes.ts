// Calling Remix loaders and actions with real Requests, the way the server does, and getting back the
// Response whether the route returned it or threw it (redirects, 403s).
import type { AppContext } from "../../app/context.server";
import { CLIENT_IP_HEADER } from "../../app/lib/http.server";

type RouteFn = (args: {
  request: Request;
  params: Record<string, string | undefined>;
  context: AppContext;
}) => unknown;

export async function call(
  fn: RouteFn | undefined,
  ctx: AppContext,
  request: Request,
  params: Record<string, string> = {},
): Promise<Response> {
  if (!fn) throw new Error("route has no such export");
  try {
    const result = await fn({ request, params, context: ctx });
    if (result instanceof Response) return result;
    return new Response(JSON.stringify(result ?? null), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

export type As = {
  cookie?: string;
  csrf?: string;
  bearer?: string;
  headers?: Record<string, string>;
};

function headersFor(as: As = {}): Headers {
  const headers = new Headers({ [CLIENT_IP_HEADER]: "127.0.0.1", ...as.headers });
  if (as.cookie) headers.set("Cookie", as.cookie);
  if (as.bearer) headers.set("Authorization", `Bearer ${as.bearer}`);
  return headers;
}

export function get(path: string, as?: As): Request {
  return new Request(`http://console.test${path}`, { headers: headersFor(as) });
}

/** A console form post; the session's CSRF token is added unless `csrf: ""` is given. */
export function postForm(path: string, fields: Record<string, string>, as: As = {}): Request {
  const body = new URLSearchParams(fields);
  if (as.csrf !== undefined && as.csrf !== "") body.set("csrf", as.csrf);
  const headers = headersFor(as);
  headers.set("Content-Type", "application/x-www-form-urlencoded");
  return new Request(`http://console.test${path}`, { method: "POST", headers, body });
}

export function postJson(path: string, body: unknown, as: As = {}): Request {
  const headers = headersFor(as);
  headers.set("Content-Type", "application/json");
  return new Request(`http://console.test${path}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export async function jsonOf<T = any>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
