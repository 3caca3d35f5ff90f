// The edges between HTTP and the domain: the client's address, AppError → JSON, and the JSON error
// envelope `{ error: { code, message, field } }` that the API and forms share.
import { json } from "@remix-run/node";
import { isIPv4, isIPv6 } from "node:net";
import { isAppError, AppError } from "./app-error";
import type { HeaderReader } from "./body.server";
import type { FormResult } from "./form-result";
import { redactDeep } from "./msisdn";

/** Set by server.ts from the socket, overwriting anything a client sent. */
export const CLIENT_IP_HEADER = "x-console-client-ip";

/**
 * Behind our own proxy (TRUST_PROXY), the address that proxy saw: the LAST X-Forwarded-For entry, the
 * one it appended. Entries before it are whatever the client sent (a forged Safaricom address, say).
 */
export function clientIp(request: { headers: HeaderReader }, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  return request.headers.get(CLIENT_IP_HEADER) ?? "unknown";
}

/**
 * The address as per-address limits count it: IPv4 as it is (an IPv4-mapped IPv6 address as its
 * IPv4), IPv6 by its /64 prefix, `2001:db8:1:2::/64`. A /64 is one subscriber's network, and a host
 * on it may use any of its 2^64 addresses (privacy addresses change daily): keyed by full address, a
 * limit would let one machine try again from a fresh address each time. Anything else as given.
 */
export function addressBucket(ip: string): string {
  const bare = ip.trim().replace(/%.*$/, ""); // a zone id (fe80::1%eth0)
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(bare)) return ip;
  return `${ipv6Groups(bare)
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, `::` expanded and a dotted IPv4 tail converted. */
function ipv6Groups(ip: string): string[] {
  let text = ip;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const left = head ? head.split(":") : [];
  if (tail === undefined) return left;
  const right = tail ? tail.split(":") : [];
  return [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
}

export type ErrorBody = {
  error: { code: string; message: string; field?: string; details?: unknown };
};

export function errorJson(error: AppError, headers?: HeadersInit, viewer?: { masked: boolean }) {
  const raw: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field ? { field: error.field } : {}),
      ...(error.details ? { details: error.details } : {}),
    },
  };
  // An error can quote what it refused (a duplicate order's payment): masked viewers get it masked.
  const body = viewer?.masked ? redactDeep(raw) : raw;
  return json(body, { status: error.status, headers });
}

/** For a page loader's `.catch`, a guard or a missing record: an AppError is thrown as its JSON error
 * with its status (the route's error page shows it; a 404, not a 500); bugs stay bugs. */
export function throwAsResponse(error: unknown, headers?: HeadersInit): never {
  if (isAppError(error)) throw errorJson(error, headers);
  throw error;
}

/** Runs an API handler and answers AppErrors as JSON; anything else is a bug and rethrown (500). */
export async function apiHandler(
  run: () => Promise<Response>,
  viewer?: { masked: boolean },
): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (isAppError(error)) return errorJson(error, undefined, viewer);
    throw error;
  }
}

export type { FormResult } from "./form-result";

/** Runs a console form action: AppErrors come back as `{ ok: false, error }` with their status for the form to show. */
export async function formAction<T>(
  run: () => Promise<{ message?: string; data?: T } | Response>,
  /**
   * On a refusal: the typed values to show again, and data the refusal points at (from the error).
   * `viewer`: a masked viewer gets messages and data with phone numbers masked (M-Pesa's own texts
   * may quote one); the values they typed come back as typed.
   */
  echo: {
    values?: Record<string, string>;
    data?: (error: AppError) => T | undefined;
    viewer?: { masked: boolean };
  } = {},
): Promise<Response> {
  const shown = <X>(x: X): X => (echo.viewer?.masked ? redactDeep(x) : x);
  try {
    const result = await run();
    if (result instanceof Response) return result;
    return json({ ok: true, ...shown(result) } satisfies FormResult<T>);
  } catch (error) {
    if (isAppError(error)) {
      const data = shown(echo.data?.(error));
      return json(
        {
          ok: false,
          error: {
            code: error.code,
            message: shown(error.message),
            ...(error.field ? { field: error.field } : {}),
            ...(error.fields ? { fields: error.fields } : {}),
          },
          ...(echo.values ? { values: echo.values } : {}),
          ...(data !== undefined ? { data } : {}),
        } satisfies FormResult<T>,
        { status: error.status },
      );
    }
    throw error;
  }
}
