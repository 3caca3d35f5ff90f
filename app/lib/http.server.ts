// The edges between HTTP and the domain: the client's address, AppError → JSON, and the JSON error
// envelope `{ error: { code, message, field } }` that the API and forms share.
import { json } from "@remix-run/node";
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
