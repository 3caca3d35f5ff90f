// The raw callback log's outcome: what processing a stored request (STK or C2B) came to. The rows
// themselves are written once by intake and never changed otherwise (the body is append-only).
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { rawCallbacks, type CallbackOutcome, type RawCallback } from "../../../db/schema";

export async function setOutcome(
  db: Db,
  id: number,
  outcome: CallbackOutcome,
  fields: Partial<
    Pick<
      RawCallback,
      "outcomeDetail" | "checkoutRequestId" | "receipt" | "attemptId" | "paymentId" | "phoneKind"
    >
  >,
  now: Date,
) {
  await db
    .update(rawCallbacks)
    .set({ outcome, processedAt: now, ...fields })
    .where(eq(rawCallbacks.id, id));
}
