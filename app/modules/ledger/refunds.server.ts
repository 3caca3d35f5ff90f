// Refunds in bulk: a statement's reversal lines refund many paid payments at once, through the same
// transition rule, timeline events and merchant webhook events as writePaymentStatus.
import { sql, type SQL } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import type { Payment, PaymentStatus } from "../../../db/schema";
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

/**
 * Refunds from evidence the database selects (a statement's reversal lines, thousands at a time):
 * `evidence` selects (ord bigint, payment_id uuid, reason text, type text, summary text, data jsonb,
 * refundable boolean), one row per piece of evidence, `ord` unique. The payments are locked in id
 * order; the first refundable evidence (by `ord`) of a payment booked `paid` refunds it with the same transition check, row
 * changes, two timeline events (the evidence, then the status change) and webhook event as
 * refundPaymentsInBulk; any other evidence is only written on its payment's timeline. Inside the
 * caller's transaction. Returns how many payments were refunded.
 */
export async function refundPaymentsFrom(
  tx: Db,
  actor: EventActor,
  now: Date,
  evidence: SQL,
): Promise<number> {
  // Locked before their statuses are read (the next statement's snapshot sees the latest), in id
  // order so two imports reversing overlapping payments cannot deadlock.
  const locked = rowsOf<{ id: string; status: PaymentStatus }>(
    await tx.execute(sql`select id, status from payments
      where id in (select e.payment_id from (${evidence}) e) order by id for no key update`),
  );
  if (locked.length === 0) return 0;
  // Only money booked as paid is refunded; any other status is left for a person to read.
  for (const p of locked)
    if (p.status === "paid" && !canMovePayment(p.status, "refunded", {}))
      throw new AppError("invalid_transition", `A payment cannot move from paid to refunded.`, {
        status: 409,
      });
  const at = now.toISOString();
  const userId = actor.kind === "user" ? actor.userId : null;
  const refunded = rowsOf<{ payment_id: string }>(
    await tx.execute(sql`
    with e as materialized (
      select x.*, p.status = 'paid' and x.refundable
        and row_number() over (partition by x.payment_id, x.refundable order by x.ord) = 1 as refunds
      from (${evidence}) x join payments p on p.id = x.payment_id),
    u as (update payments p set status = 'refunded', status_reason = e.reason,
        final_at = ${at}::timestamptz, updated_at = ${at}::timestamptz
      from e where e.refunds and p.id = e.payment_id and p.status = 'paid'),
    -- As refundPaymentsInBulk writes them: every refund's two events in evidence order, then the notes.
    ev as (insert into payment_events (payment_id, type, actor_type, actor_user_id, actor_label, summary, data)
      select x.payment_id, x.type, ${actor.kind}, ${userId}::uuid, ${actor.label}, x.summary, x.data from (
        select 0 as grp, e.ord, 0 as k, e.payment_id, e.type, e.summary, e.data from e where e.refunds
        union all
        select 0, e.ord, 1, e.payment_id, 'status_changed', 'Status paid → refunded: ' || e.reason,
          '{"from": "paid", "to": "refunded"}'::jsonb from e where e.refunds
        union all
        select 1, e.ord, 0, e.payment_id, e.type, e.summary, e.data from e where not e.refunds) x
      order by x.grp, x.ord, x.k)
    select e.payment_id from e where e.refunds order by e.ord`),
  );
  await emitWebhookEvents(
    tx,
    refunded.map((r) => ({
      type: "payment.refunded" as const,
      paymentId: r.payment_id,
      data: { previousStatus: "paid" },
    })),
  );
  return refunded.length;
}
