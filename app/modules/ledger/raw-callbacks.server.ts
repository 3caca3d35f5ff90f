// The raw callback log's outcome: what processing a stored request (STK or C2B) came to. The rows
// themselves are written once by intake and never changed otherwise (the body is append-only).
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { rawCallbacks, type CallbackOutcome, type RawCallback } from "../../../db/schema";
import { storableText } from "../../lib/storable-text";

// An outcome's detail may quote the body (a parser's error message): it must not keep the row from
// being written (lib/storable-text.ts).
const storableDetail = (fields: { outcomeDetail?: string | null }) =>
  typeof fields.outcomeDetail === "string"
    ? { outcomeDetail: storableText(fields.outcomeDetail) }
    : { outcomeDetail: fields.outcomeDetail };

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
    .set({ outcome, processedAt: now, ...fields, ...storableDetail(fields) })
    .where(eq(rawCallbacks.id, id));
}

/** `setOutcome` for many rows in one statement (the batch applier's common case). */
export async function setOutcomes(
  db: Db,
  rows: {
    id: number;
    outcome: CallbackOutcome;
    fields: Pick<
      RawCallback,
      "outcomeDetail" | "checkoutRequestId" | "receipt" | "attemptId" | "paymentId" | "phoneKind"
    >;
  }[],
  now: Date,
) {
  if (!rows.length) return;
  const values = rows.map((r) => ({
    id: r.id,
    outcome: r.outcome,
    outcome_detail: storableDetail(r.fields).outcomeDetail,
    checkout_request_id: r.fields.checkoutRequestId,
    receipt: r.fields.receipt,
    attempt_id: r.fields.attemptId,
    payment_id: r.fields.paymentId,
    phone_kind: r.fields.phoneKind,
  }));
  await db.execute(sql`update raw_callbacks as c set outcome = v.outcome,
      processed_at = ${now.toISOString()}::timestamptz, outcome_detail = v.outcome_detail,
      checkout_request_id = v.checkout_request_id, receipt = v.receipt, attempt_id = v.attempt_id,
      payment_id = v.payment_id, phone_kind = v.phone_kind
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(id bigint, outcome text,
      outcome_detail text, checkout_request_id text, receipt text, attempt_id uuid, payment_id uuid,
      phone_kind text)
    where c.id = v.id`);
}
