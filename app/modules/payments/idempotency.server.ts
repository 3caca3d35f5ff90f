// Idempotency-Key as merchants know it from card APIs: the same key and body replay the first
// response without a second prompt; the same key with another body is a 422; a request still in
// flight under that key is a 409 (retry shortly). Keys are scoped to the caller (API key or user).
import { and, eq, isNull, lt, sql } from "drizzle-orm";
import { createHash } from "node:crypto";
import type { Db } from "../../../db/client";
import { idempotencyKeys } from "../../../db/schema";
import { isAppError, AppError } from "../../lib/app-error";

export type StoredResponse = { status: number; body: unknown };

/**
 * Longer than any request takes (a push: a token request and the push, each tried again once on an
 * expired token, at up to DARAJA_TIMEOUT_MS, at most 120 s, each: 8 minutes). A claim older than this
 * with no answer is a dead process's.
 */
export const CLAIM_EXPIRES_S = 600;

export function requestFingerprint(body: unknown): string {
  return createHash("sha256").update(canonicalJson(body)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export async function withIdempotency(
  db: Db,
  scope: { scope: string; key: string | null; body: unknown },
  run: () => Promise<StoredResponse & { paymentId?: string }>,
): Promise<StoredResponse & { replayed: boolean }> {
  if (!scope.key) return { ...(await run()), replayed: false };
  if (scope.key.length > 255)
    throw new AppError("invalid_request", "Idempotency-Key must be at most 255 characters.", {
      field: "Idempotency-Key",
    });
  const requestHash = requestFingerprint(scope.body);
  let claimed: { id: number } | undefined;
  [claimed] = await db
    .insert(idempotencyKeys)
    .values({ scope: scope.scope, key: scope.key, requestHash })
    .onConflictDoNothing()
    .returning({ id: idempotencyKeys.id });
  if (!claimed) {
    const [existing] = await db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.scope, scope.scope), eq(idempotencyKeys.key, scope.key)));
    if (!existing)
      // The first request failed and gave its key back a moment ago.
      throw new AppError(
        "idempotency_in_progress",
        "A request with this Idempotency-Key just finished without an answer; retry it.",
        { status: 409, retryable: true },
      );
    if (existing.requestHash !== requestHash) {
      throw new AppError(
        "idempotency_key_reused",
        "This Idempotency-Key was already used with a different request body.",
        { status: 422, field: "Idempotency-Key" },
      );
    }
    if (existing.responseStatus !== null)
      return { status: existing.responseStatus, body: existing.responseBody, replayed: true };
    claimed = await takeOverDeadClaim(db, existing.id);
    if (!claimed)
      throw new AppError(
        "idempotency_in_progress",
        "A request with this Idempotency-Key is still being processed; retry in a few seconds.",
        { status: 409, retryable: true },
      );
  }
  try {
    const response = await run();
    await db
      .update(idempotencyKeys)
      .set({
        responseStatus: response.status,
        responseBody: response.body,
        paymentId: response.paymentId ?? null,
      })
      .where(eq(idempotencyKeys.id, claimed.id));
    return { status: response.status, body: response.body, replayed: false };
  } catch (error) {
    // A request that failed validation created nothing; forget the key so the caller can fix and retry.
    if (
      isAppError(error) &&
      error.status < 500 &&
      error.code !== "order_open" &&
      error.code !== "order_paid" &&
      error.code !== "order_unknown" &&
      error.code !== "order_case_open"
    ) {
      await db.delete(idempotencyKeys).where(eq(idempotencyKeys.id, claimed.id));
    } else if (isAppError(error)) {
      await db
        .update(idempotencyKeys)
        .set({
          responseStatus: error.status,
          responseBody: {
            error: { code: error.code, message: error.message, details: error.details },
          },
        })
        .where(eq(idempotencyKeys.id, claimed.id));
    } else {
      await db.delete(idempotencyKeys).where(eq(idempotencyKeys.id, claimed.id));
    }
    throw error;
  }
}

/**
 * A claim with no answer long after any request could still be running: its process died mid-request.
 * The database's clock decides, and one retry takes it over (a second one waits on the row and finds
 * it fresh); running the request again is safe (a payment the first one created answers order_open,
 * not a second prompt).
 */
async function takeOverDeadClaim(db: Db, id: number): Promise<{ id: number } | undefined> {
  const [row] = await db
    .update(idempotencyKeys)
    .set({ createdAt: sql`now()` })
    .where(
      and(
        eq(idempotencyKeys.id, id),
        isNull(idempotencyKeys.responseStatus),
        lt(idempotencyKeys.createdAt, sql`now() - make_interval(secs => ${CLAIM_EXPIRES_S})`),
      ),
    )
    .returning({ id: idempotencyKeys.id });
  return row;
}
