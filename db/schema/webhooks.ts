// Merchant webhooks: endpoints, the event outbox the ledger writes in its own transactions, and the
// per-endpoint deliveries the worker claims (migration 0011, README "Merchant webhooks").
import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
} from "drizzle-orm/pg-core";
import { createdAt, ts } from "./columns";
import { exceptions } from "./exceptions";
import { payments } from "./payments";
import { users, type Role } from "./staff";

export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    url: text("url").notNull(),
    description: text("description").notNull().default(""),
    eventTypes: text("event_types").array().notNull(),
    role: text("role").$type<Role>().notNull(), // what the payload may show (phones masked or not)
    enabled: boolean("enabled").notNull().default(true),
    secret: text("secret").notNull(), // whsec_…, needed in clear to sign; never shown after creation
    previousSecret: text("previous_secret"), // still signs until previous_secret_until (rotation)
    previousSecretUntil: ts("previous_secret_until"),
    createdByUserId: uuid("created_by_user_id").references(() => users.id),
    createdAt: createdAt(),
    updatedAt: ts("updated_at").notNull().defaultNow(),
  },
  (t) => [
    check(
      "webhook_endpoints_role_check",
      sql`${t.role} in ('admin','finance','support','manager')`,
    ),
  ],
);

export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: uuid("id").primaryKey().defaultRandom(), // the Standard Webhooks `webhook-id`
    seq: bigserial("seq", { mode: "number" }).notNull().unique(), // commit-independent order
    type: text("type").notNull(),
    paymentId: uuid("payment_id").references(() => payments.id),
    exceptionId: uuid("exception_id").references(() => exceptions.id),
    payload: jsonb("payload").notNull(), // unredacted snapshot; redacted per endpoint when sent
    createdAt: createdAt(),
  },
  (t) => [index("webhook_events_created_idx").on(t.createdAt, t.seq)],
);

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    eventId: uuid("event_id")
      .notNull()
      .references(() => webhookEvents.id),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    paymentId: uuid("payment_id"), // copied from the event: deliveries per payment go in order
    eventSeq: bigint("event_seq", { mode: "number" }).notNull(),
    status: text("status").$type<WebhookDeliveryStatus>().notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    // Due time; a claim moves it past the send's timeout, so an abandoned claim comes due again.
    nextAttemptAt: ts("next_attempt_at").notNull().defaultNow(),
    claimToken: uuid("claim_token"),
    claimedBy: text("claimed_by"),
    lastAttemptAt: ts("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    requestBody: text("request_body"), // the exact bytes signed, kept for the retries
    requestBodyRole: text("request_body_role"), // the endpoint's role they were rendered for
    deliveredAt: ts("delivered_at"),
    createdAt: createdAt(),
  },
  (t) => [
    check("webhook_deliveries_status_check", sql`${t.status} in ('pending','delivered','failed')`),
    index("webhook_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`status = 'pending'`),
    index("webhook_deliveries_order_idx")
      .on(t.endpointId, t.paymentId, t.eventSeq)
      .where(sql`status = 'pending'`),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    index("webhook_deliveries_event_idx").on(t.eventId),
    // A claim reads each endpoint's oldest due deliveries and its sends in flight (migration 0029).
    index("webhook_deliveries_endpoint_due_idx")
      .on(t.endpointId, t.nextAttemptAt, t.id)
      .where(sql`status = 'pending'`),
    index("webhook_deliveries_in_flight_idx")
      .on(t.endpointId)
      .where(sql`status = 'pending' and claim_token is not null`),
  ],
);

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookEvent = typeof webhookEvents.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
