// Opening an exception: the reconciliation queue's only way in. The dedupe key makes opening
// idempotent, so a duplicate callback or a second poll cannot open the same case twice.
import type { Db } from "../../../db/client";
import { exceptions, type ExceptionType } from "../../../db/schema";
import { addPaymentEvent, type EventActor } from "../payments/events.server";

export type OpenException = {
  type: ExceptionType;
  dedupeKey: string;
  summary: string;
  paymentId?: string | null;
  attemptId?: string | null;
  rawCallbackId?: number | null;
  statementLineId?: number | null;
  receipt?: string | null;
  amountAtStakeKes?: number;
  details?: unknown;
};

/** Returns the new exception's id, or null when the same fact already had one. */
export async function openException(
  db: Db,
  actor: EventActor,
  input: OpenException,
): Promise<string | null> {
  const [row] = await db
    .insert(exceptions)
    .values({
      type: input.type,
      dedupeKey: input.dedupeKey,
      summary: input.summary,
      paymentId: input.paymentId ?? null,
      attemptId: input.attemptId ?? null,
      rawCallbackId: input.rawCallbackId ?? null,
      statementLineId: input.statementLineId ?? null,
      receipt: input.receipt ?? null,
      amountAtStakeKes: input.amountAtStakeKes ?? 0,
      details: input.details ?? null,
    })
    .onConflictDoNothing({ target: exceptions.dedupeKey })
    .returning({ id: exceptions.id });
  if (!row) return null;
  if (input.paymentId) {
    await addPaymentEvent(db, actor, {
      paymentId: input.paymentId,
      attemptId: input.attemptId,
      type: "exception_opened",
      summary: `Exception opened: ${input.type.replace(/_/g, " ")} — ${input.summary}`,
      data: { exceptionId: row.id, type: input.type },
      rawCallbackId: input.rawCallbackId,
    });
  }
  return row.id;
}

/**
 * Many facts at once (a statement import opens thousands): one INSERT, the same dedupe rule, and the
 * same timeline event for each new case that names a payment. Returns the types of the new cases.
 */
export async function openExceptions(
  db: Db,
  actor: EventActor,
  inputs: OpenException[],
): Promise<ExceptionType[]> {
  if (inputs.length === 0) return [];
  const rows = await db
    .insert(exceptions)
    .values(
      inputs.map((input) => ({
        type: input.type,
        dedupeKey: input.dedupeKey,
        summary: input.summary,
        paymentId: input.paymentId ?? null,
        attemptId: input.attemptId ?? null,
        rawCallbackId: input.rawCallbackId ?? null,
        statementLineId: input.statementLineId ?? null,
        receipt: input.receipt ?? null,
        amountAtStakeKes: input.amountAtStakeKes ?? 0,
        details: input.details ?? null,
      })),
    )
    .onConflictDoNothing({ target: exceptions.dedupeKey })
    .returning({ id: exceptions.id, dedupeKey: exceptions.dedupeKey, type: exceptions.type });
  const byKey = new Map(inputs.map((input) => [input.dedupeKey, input]));
  for (const row of rows) {
    const input = byKey.get(row.dedupeKey);
    if (!input?.paymentId) continue;
    await addPaymentEvent(db, actor, {
      paymentId: input.paymentId,
      attemptId: input.attemptId,
      type: "exception_opened",
      summary: `Exception opened: ${input.type.replace(/_/g, " ")} — ${input.summary}`,
      data: { exceptionId: row.id, type: input.type },
      rawCallbackId: input.rawCallbackId,
    });
  }
  return rows.map((r) => r.type);
}
