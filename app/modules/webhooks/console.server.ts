// What the console does with deliveries: list an endpoint's recent ones, resend one, replay every
// event since a time, and send a test event. A resend or replay is a new delivery of the same event
// (the same webhook-id, so a receiver that already has it can ignore it). All are in the staff audit.
// None is accepted for a disabled endpoint: nothing is sent to it, so they would only wait unseen.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { rowsOf, type Db } from "../../../db/client";
import {
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
  type WebhookDeliveryStatus,
} from "../../../db/schema";
import { AppError, notFound } from "../../lib/app-error";
import { fromEatWallClock } from "../../lib/time";
import { parseWith } from "../../lib/validation";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { TEST_EVENT_TYPE } from "../ledger/webhook-events";
import { UUID } from "../../lib/uuid";
import { getWebhookEndpoint } from "./endpoints.server";

export type DeliveryRow = {
  id: number;
  eventId: string;
  eventType: string;
  paymentId: string | null;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
  createdAt: Date;
  requestBody: string | null;
};

export const PAGE_SIZE = 50;

/** The newest deliveries to one endpoint, 50 a page (`before` = the last id of the previous page). */
export async function listDeliveries(
  db: Db,
  endpointId: string,
  options: { before?: number } = {},
): Promise<DeliveryRow[]> {
  await getWebhookEndpoint(db, endpointId);
  return db
    .select({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      eventType: webhookEvents.type,
      paymentId: webhookDeliveries.paymentId,
      status: webhookDeliveries.status,
      attempts: webhookDeliveries.attempts,
      lastStatusCode: webhookDeliveries.lastStatusCode,
      lastError: webhookDeliveries.lastError,
      lastAttemptAt: webhookDeliveries.lastAttemptAt,
      nextAttemptAt: webhookDeliveries.nextAttemptAt,
      deliveredAt: webhookDeliveries.deliveredAt,
      createdAt: webhookDeliveries.createdAt,
      requestBody: webhookDeliveries.requestBody,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(
      and(
        eq(webhookDeliveries.endpointId, endpointId),
        options.before ? lt(webhookDeliveries.id, options.before) : undefined,
      ),
    )
    .orderBy(desc(webhookDeliveries.id))
    .limit(PAGE_SIZE);
}

/**
 * The endpoint, in the caller's transaction, if it is enabled: held (FOR SHARE) until the delivery
 * is queued, so it cannot be disabled in between. `what` completes "enable it to …".
 */
async function enabledEndpoint(tx: Db, endpointId: string, what: string) {
  if (!UUID.test(endpointId)) throw notFound("That endpoint");
  const [endpoint] = await tx
    .select({
      id: webhookEndpoints.id,
      eventTypes: webhookEndpoints.eventTypes,
      enabled: webhookEndpoints.enabled,
    })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, endpointId))
    .for("share");
  if (!endpoint) throw notFound("That endpoint");
  if (!endpoint.enabled)
    throw new AppError(
      "endpoint_disabled",
      `This endpoint is disabled; enable it to ${what}. Nothing is sent to a disabled endpoint.`,
      { status: 409 },
    );
  return endpoint;
}

/** Sends one delivery's event to its endpoint again, as a new delivery due now. */
export async function resendDelivery(
  db: Db,
  endpointId: string,
  deliveryId: number,
  actor: Actor,
): Promise<void> {
  if (!Number.isSafeInteger(deliveryId)) throw notFound("That delivery");
  await db.transaction(async (tx) => {
    await enabledEndpoint(tx, endpointId, "resend a delivery");
    const [copy] = rowsOf<{ id: number; event_id: string }>(
      await tx.execute(sql`
        insert into webhook_deliveries (event_id, endpoint_id, payment_id, event_seq)
        select event_id, endpoint_id, payment_id, event_seq from webhook_deliveries
        where id = ${deliveryId} and endpoint_id = ${endpointId}::uuid
        returning id, event_id`),
    );
    if (!copy) throw notFound("That delivery");
    await recordStaffAction(tx, actor, {
      action: "webhook_delivery.resend",
      entityType: "webhook_endpoint",
      entityId: endpointId,
      after: { deliveryId, newDeliveryId: Number(copy.id), eventId: copy.event_id },
    });
  });
}

// The console's <input type="datetime-local"> sends an East Africa wall-clock time.
const EatDateTime = z
  .string()
  .trim()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/,
    "Choose the date and time (EAT) to replay from.",
  )
  .transform((text, ctx) => {
    const [y, mo, d, h, mi, s] = text.split(/[-T:]/).map(Number);
    const at = fromEatWallClock(y, mo, d, h, mi, s || 0);
    if (!at) ctx.addIssue({ code: "custom", message: "That date does not exist." });
    return at ?? new Date(NaN);
  });

export const ReplaySchema = z.object({ since: z.union([z.date(), EatDateTime]) });

/**
 * Every event since `since` that the endpoint subscribes to, delivered again (oldest first), except
 * those already waiting to go to it. Returns how many deliveries were queued.
 */
export async function replaySince(
  db: Db,
  endpointId: string,
  input: { since: string | Date },
  actor: Actor,
  now: Date,
): Promise<number> {
  const { since } = parseWith(ReplaySchema, input);
  return db.transaction(async (tx) => {
    const endpoint = await enabledEndpoint(tx, endpointId, "replay events");
    if (since > now) return 0;
    const rows = rowsOf(
      await tx.execute(sql`
        insert into webhook_deliveries (event_id, endpoint_id, payment_id, event_seq)
        select ev.id, ${endpoint.id}::uuid, ev.payment_id, ev.seq from webhook_events ev
        where ev.created_at >= ${since.toISOString()}::timestamptz
          and ev.type in (select jsonb_array_elements_text(${JSON.stringify(endpoint.eventTypes)}::jsonb))
          and not exists (select 1 from webhook_deliveries d where d.event_id = ev.id
            and d.endpoint_id = ${endpoint.id}::uuid and d.status = 'pending')
        order by ev.seq
        returning id`),
    );
    await recordStaffAction(tx, actor, {
      action: "webhook_endpoint.replay",
      entityType: "webhook_endpoint",
      entityId: endpoint.id,
      after: { since: since.toISOString(), queued: rows.length },
    });
    return rows.length;
  });
}

/** A `webhook.test` event to this endpoint only, so an admin can check the receiver and its secret. */
export async function sendTestEvent(
  db: Db,
  endpointId: string,
  actor: Actor,
  now: Date,
): Promise<string> {
  return db.transaction(async (tx) => {
    const endpoint = await enabledEndpoint(tx, endpointId, "send a test event");
    const [event] = await tx
      .insert(webhookEvents)
      .values({
        type: TEST_EVENT_TYPE,
        payload: { test: true, message: "A test event from the M-Pesa console.", at: now },
      })
      .returning({ id: webhookEvents.id, seq: webhookEvents.seq });
    await tx
      .insert(webhookDeliveries)
      .values({ eventId: event.id, endpointId: endpoint.id, eventSeq: event.seq });
    await recordStaffAction(tx, actor, {
      action: "webhook_endpoint.test",
      entityType: "webhook_endpoint",
      entityId: endpoint.id,
      after: { eventId: event.id },
    });
    return event.id;
  });
}
