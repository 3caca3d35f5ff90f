// Refunds in bulk: a statement's reversal lines refund many paid payments at once, through the same
// transition rule, timeline events and merchant webhook events as writePaymentStatus.
import { sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import type { Payment } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { addPaymentEvents, type EventActor, type NewEvent } from "./events.server";
import { emitWebhookEvents } from "./outbox.server";
import { canMovePayment } from "./transitions";

/**
 * Many paid payments refunded at once (a month's statement reverses thousands of receipts): the same
 * transition check and row changes as writePaymentStatus for each, in one UPDATE, and the same two
 * timeline events per payment (the evidence, then the status change), in order, in one INSERT. The
 * caller holds the payments' row locks.
 */
export async function refundPaymentsInBulk(
  tx: Db,
  actor: EventActor,
  now: Date,
  refunds: { payment: Pick<Payment, "id" | "status">; reason: string; precedingEvent: NewEvent }[],
): Promise<void> {
  if (refunds.length === 0) return;
  for (const { payment } of refunds)
    if (!canMovePayment(payment.status, "refunded", {}))
      throw new AppError(
        "invalid_transition",
        `A payment cannot move from ${payment.status} to refunded.`,
        { status: 409 },
      );
  const rows = refunds.map((r) => ({ id: r.payment.id, reason: r.reason }));
  await tx.execute(sql`update payments as p set status = 'refunded', status_reason = v.reason,
      final_at = ${now.toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, reason text) where p.id = v.id`);
  await addPaymentEvents(
    tx,
    actor,
    refunds.flatMap((r) => [
      r.precedingEvent,
      {
        paymentId: r.payment.id,
        type: "status_changed",
        summary: `Status ${r.payment.status} → refunded: ${r.reason}`,
        data: { from: r.payment.status, to: "refunded" },
      },
    ]),
  );
  await emitWebhookEvents(
    tx,
    refunds.map((r) => ({
      type: "payment.refunded" as const,
      paymentId: r.payment.id,
      data: { previousStatus: r.payment.status },
    })),
  );
}
