// Reading the raw callback log (the console's audit view and GET /api/callbacks).
import { and, desc, eq, gte, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { rawCallbacks, type RawCallback } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import type { CallbackView } from "./callback-view";
import { CALLBACK_PAGE_SIZE, type CallbackListInput } from "./list-params";

export type { CallbackView } from "./callback-view";

export function toCallbackView(r: RawCallback): CallbackView {
  return {
    id: r.id,
    kind: r.kind,
    receivedAt: r.receivedAt.toISOString(),
    sourceIp: r.sourceIp,
    sourceTrusted: r.sourceTrusted,
    headers: r.headers,
    sizeBytes: r.sizeBytes,
    tokenValid: r.tokenValid,
    outcome: r.outcome,
    outcomeDetail: r.outcomeDetail,
    processedAt: r.processedAt?.toISOString() ?? null,
    checkoutRequestId: r.checkoutRequestId,
    merchantRequestId: r.merchantRequestId,
    receipt: r.receipt,
    attemptId: r.attemptId,
    paymentId: r.paymentId,
    phoneKind: r.phoneKind,
    // Shown as text; invalid UTF-8 becomes U+FFFD here while the stored bytes stay exact.
    body: Buffer.from(r.body).toString("utf8"),
  };
}

export async function listCallbacks(
  db: Db,
  input: CallbackListInput,
): Promise<{ callbacks: CallbackView[]; nextCursor: string | null }> {
  const f = { ...input, limit: input.limit ?? CALLBACK_PAGE_SIZE };
  const where: SQL[] = [];
  if (f.outcome) where.push(eq(rawCallbacks.outcome, f.outcome));
  if (f.checkoutRequestId) where.push(eq(rawCallbacks.checkoutRequestId, f.checkoutRequestId));
  if (f.merchantRequestId) where.push(eq(rawCallbacks.merchantRequestId, f.merchantRequestId));
  if (f.receipt) where.push(eq(rawCallbacks.receipt, f.receipt));
  if (f.q)
    where.push(
      or(
        eq(rawCallbacks.checkoutRequestId, f.q),
        eq(rawCallbacks.merchantRequestId, f.q),
        eq(rawCallbacks.receipt, f.q),
        // Bytes, not text: a body that is not valid UTF-8 (or not JSON at all) is still found.
        sql`position(convert_to(${f.q}, 'UTF8') in ${rawCallbacks.body}) > 0`,
      )!,
    );
  if (f.paymentId) where.push(eq(rawCallbacks.paymentId, f.paymentId));
  if (f.from) where.push(gte(rawCallbacks.receivedAt, f.from));
  if (f.to) where.push(lte(rawCallbacks.receivedAt, f.to));
  const cursor = decodeCursor(f.cursor, ["date", "int"]);
  if (f.cursor && !cursor)
    throw new AppError(
      "invalid_request",
      "The cursor is not valid; start again from the first page.",
      { field: "cursor" },
    );
  if (cursor) {
    const at = new Date(String(cursor[0]));
    where.push(
      or(
        lt(rawCallbacks.receivedAt, at),
        and(eq(rawCallbacks.receivedAt, at), lt(rawCallbacks.id, Number(cursor[1]))),
      )!,
    );
  }
  const rows = await db
    .select()
    .from(rawCallbacks)
    .where(and(...where))
    .orderBy(desc(rawCallbacks.receivedAt), desc(rawCallbacks.id))
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    callbacks: page.map(toCallbackView),
    nextCursor:
      rows.length > f.limit && last ? encodeCursor([last.receivedAt.toISOString(), last.id]) : null,
  };
}

export async function getCallback(db: Db, id: number): Promise<CallbackView | null> {
  if (!Number.isSafeInteger(id) || id <= 0) return null;
  const [row] = await db.select().from(rawCallbacks).where(eq(rawCallbacks.id, id));
  return row ? toCallbackView(row) : null;
}
