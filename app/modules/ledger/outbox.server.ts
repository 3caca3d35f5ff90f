// The transactional outbox of merchant webhooks: the gate's writers call it inside their own
// transaction, so an event exists exactly when the change it announces committed. One statement
// per call inserts the events (a snapshot of the payment and case as they now are, unredacted: each
// endpoint's role redacts at delivery) and fans them out to the enabled endpoints that want them.
import { sql, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import type { WebhookEventType } from "./webhook-events";

export type OutboxEvent = {
  type: WebhookEventType;
  paymentId?: string | null;
  exceptionId?: string | null;
  /** Extra facts of the change (e.g. the previous status), merged into the payload. */
  data?: Record<string, unknown>;
};

// Times as the API shows them (toISOString), whatever the session's TimeZone.
const iso = (column: string) =>
  sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

const PAYMENT_JSON = sql`jsonb_build_object('payment', jsonb_build_object(
  'id', p.id, 'orderRef', p.order_ref, 'amount', p.amount_kes, 'phone', p.phone,
  'description', p.description, 'accountReference', p.account_reference, 'status', p.status,
  'statusReason', p.status_reason, 'resultCode', p.result_code, 'receipt', p.receipt,
  'receiptPending', p.receipt_pending, 'createdAt', ${iso("p.created_at")},
  'updatedAt', ${iso("p.updated_at")}, 'paidAt', ${iso("p.paid_at")}))`;

const CASE_JSON = sql`jsonb_build_object('case', jsonb_build_object(
  'id', e.id, 'type', e.type, 'status', e.status, 'summary', e.summary, 'paymentId', e.payment_id,
  'receipt', e.receipt, 'amountAtStake', e.amount_at_stake_kes, 'openedAt', ${iso("e.opened_at")},
  'resolution', e.resolution, 'resolvedAt', ${iso("e.resolved_at")}))`;

/** Writes the events (in order) and their deliveries, in the caller's transaction. */
export async function emitWebhookEvents(tx: Db, events: OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e, ord) => ({
    ord,
    type: e.type,
    payment_id: e.paymentId ?? null,
    exception_id: e.exceptionId ?? null,
    data: e.data ?? {},
  }));
  // LATERAL lookups by primary key (`limit 1` keeps the planner from turning them back into a hash
  // join that reads all of payments): one index probe per event, whatever the table's size.
  await tx.execute(sql`
    with ev as (
      insert into webhook_events (type, payment_id, exception_id, payload)
      select x.type, p.id, x.exception_id,
        x.data
          || case when p.id is null then '{}'::jsonb else ${PAYMENT_JSON} end
          || case when e.id is null then '{}'::jsonb else ${CASE_JSON} end
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as x(ord int, type text, payment_id uuid, exception_id uuid, data jsonb)
      left join lateral (select * from exceptions where id = x.exception_id limit 1) e on true
      left join lateral (
        select * from payments where id = coalesce(x.payment_id, e.payment_id) limit 1) p on true
      order by x.ord
      returning id, seq, type, payment_id
    )
    ${deliveriesOf(sql`ev`)}`);
}

/**
 * The fan-out: one delivery of each event in `events` (a CTE returning id, seq, type, payment_id) to
 * every enabled endpoint that chose its type.
 */
const deliveriesOf = (events: SQL): SQL =>
  sql`insert into webhook_deliveries (event_id, endpoint_id, payment_id, event_seq)
    select ev.id, ep.id, ev.payment_id, ev.seq
    from ${events} ev join webhook_endpoints ep on ep.enabled and ev.type = any(ep.event_types)`;

/** What a case's snapshot reads of `exceptions` (CASE_JSON): a RETURNING list for caseOpenedEventsOf. */
export const CASE_SNAPSHOT_COLUMNS = sql`id, type, status, summary, payment_id, receipt, amount_at_stake_kes,
  opened_at, resolution, resolved_at`;

/**
 * WITH items (`opened_events`, `opened_deliveries`) that write a `case.opened` event and its deliveries
 * for every case the data-modifying CTE `opened` returned (its RETURNING is CASE_SNAPSHOT_COLUMNS), in
 * the order it returned them: the events emitCaseEvents writes, in the statement that opens the cases,
 * instead of sending their ids back to look each one up. A case that names a payment gets the
 * payment's snapshot as emitWebhookEvents writes it (looked up only for such cases).
 */
export function caseOpenedEventsOf(opened: SQL): SQL {
  return sql`opened_events as (
      insert into webhook_events (type, payment_id, exception_id, payload)
      select 'case.opened', e.payment_id, e.id, '{}'::jsonb
          || case when e.payment_id is null then '{}'::jsonb
            else coalesce((select ${PAYMENT_JSON} from payments p where p.id = e.payment_id), '{}'::jsonb) end
          || ${CASE_JSON}
      from ${opened} e
      returning id, seq, type, payment_id),
    opened_deliveries as (${deliveriesOf(sql`opened_events`)})`;
}

/** The same event for several cases (opened or resolved together). */
export async function emitCaseEvents(
  tx: Db,
  type: "case.opened" | "case.resolved",
  exceptionIds: string[],
): Promise<void> {
  await emitWebhookEvents(
    tx,
    exceptionIds.map((exceptionId) => ({ type, exceptionId })),
  );
}
