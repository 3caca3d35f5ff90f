// The shared front half of every Daraja POST, in the gateway's order: Bearer token, then the
// Content-Type (whose absence Daraja reports as a misleading field error,
// docs/daraja.md#environments), then JSON.
import type { Exchange, Sim } from "./context";
import { ERRORS, invalidField, sendDarajaError } from "./daraja-errors";
import { hasValidBearer } from "./oauth";

export type JsonObject = Record<string, unknown>;

export function readDarajaBody(
  sim: Sim,
  ex: Exchange,
  misleadingField = "BusinessShortCode",
): JsonObject | null {
  if (!hasValidBearer(sim, ex.req.headers.authorization)) {
    sendDarajaError(sim, ex, ERRORS.invalidAccessToken);
    return null;
  }
  if (!/^application\/json\s*(;|$)/i.test(ex.req.headers["content-type"] ?? "")) {
    sendDarajaError(sim, ex, invalidField(misleadingField));
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(ex.rawBody);
  } catch {
    body = undefined;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    sendDarajaError(sim, ex, ERRORS.invalidPayload);
    return null;
  }
  return body as JsonObject;
}
