// Merchant webhook endpoints (admin only): where events go, which ones, what the payload may show
// (the endpoint's role: phones masked unless it may see them), and the signing secret. A secret is
// shown once, at creation or rotation; a rotation keeps the old one signing for an overlap window so
// the merchant can deploy the new one without missing an event. Every change is in the staff audit.
import { desc, eq, sql } from "drizzle-orm";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { rowsOf } from "../../../db/client";
import { ROLES, webhookEndpoints, type WebhookEndpoint } from "../../../db/schema";
import type { Config } from "../../config.server";
import { AppError, notFound } from "../../lib/app-error";
import { parseWith } from "../../lib/validation";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { TEST_EVENT_TYPE, WEBHOOK_EVENT_TYPES } from "../ledger/webhook-events";
import { webhookUrlProblem, type UrlPolicy } from "./url";
import { UUID } from "../../lib/uuid";

/**
 * Outside simulator mode (MPESA_ENVIRONMENT sandbox or production: a real deployment, whatever
 * NODE_ENV says) https only, and never this machine or a private network (cloud metadata at
 * 169.254.169.254 and the like). Simulator mode is a rehearsal with test receivers on this machine,
 * so it relaxes both, even in a production build.
 */
export function urlPolicyOf(config: Pick<Config, "mpesa">): UrlPolicy {
  const simulated = config.mpesa.environment === "simulator";
  return { requireHttps: !simulated, allowPrivate: simulated };
}

export const EndpointInputSchema = z.object({
  url: z.string().trim().min(1, "Enter the URL that should receive webhooks.").max(2000),
  description: z.string().trim().max(200).default(""),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { message: "Choose event types from the list." }))
    .min(1, "Choose at least one event type."),
  role: z.enum(ROLES, { message: `Role must be one of ${ROLES.join(", ")}.` }),
  enabled: z.boolean().default(true),
});
export type EndpointInput = z.input<typeof EndpointInputSchema>;

export const RotateSchema = z.object({
  overlapHours: z.coerce
    .number()
    .int()
    .min(0, "The overlap is 0 to 168 hours.")
    .max(168, "The overlap is 0 to 168 hours."),
});

export type PublicEndpoint = Omit<WebhookEndpoint, "secret" | "previousSecret">;
const publicColumns = {
  id: webhookEndpoints.id,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  eventTypes: webhookEndpoints.eventTypes,
  role: webhookEndpoints.role,
  enabled: webhookEndpoints.enabled,
  previousSecretUntil: webhookEndpoints.previousSecretUntil,
  createdByUserId: webhookEndpoints.createdByUserId,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

/** whsec_ + 32 random bytes in base64: the Standard Webhooks secret format. */
const newSecret = () => `whsec_${randomBytes(32).toString("base64")}`;

function checkedInput(config: Pick<Config, "nodeEnv" | "mpesa">, input: EndpointInput) {
  const data = parseWith(EndpointInputSchema, input);
  const problem = webhookUrlProblem(data.url, urlPolicyOf(config));
  if (problem) throw new AppError("invalid_request", problem, { status: 400, field: "url" });
  return { ...data, url: new URL(data.url).toString() };
}

const audited = (e: Pick<PublicEndpoint, "url" | "eventTypes" | "role" | "enabled">) => ({
  url: e.url,
  eventTypes: e.eventTypes,
  role: e.role,
  enabled: e.enabled,
});

export async function createWebhookEndpoint(
  db: Db,
  config: Pick<Config, "nodeEnv" | "mpesa">,
  input: EndpointInput,
  actor: Actor,
): Promise<{ secret: string; endpoint: PublicEndpoint }> {
  const data = checkedInput(config, input);
  const secret = newSecret();
  const endpoint = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(webhookEndpoints)
      .values({ ...data, secret, createdByUserId: actor.kind === "user" ? actor.userId : null })
      .returning(publicColumns);
    await recordStaffAction(tx, actor, {
      action: "webhook_endpoint.create",
      entityType: "webhook_endpoint",
      entityId: created.id,
      after: audited(created),
    });
    return created;
  });
  return { secret, endpoint };
}

/** How the console tells why a delivery stopped: its type was unticked (followed by the type). */
export const UNSUBSCRIBED_NOTE = "Stopped: this endpoint no longer subscribes to ";

/**
 * The endpoint's pending deliveries of types it no longer subscribes to, marked failed with the
 * reason, so they are not retried for days. A delivery in flight (a live lease) is left to its
 * sender, which records what the receiver answered and does not retry a failure
 * (deliver.server.ts). Test events are to this endpoint whatever it subscribes to: left alone.
 */
async function stopUnsubscribedDeliveries(tx: Db, id: string): Promise<void> {
  await tx.execute(sql`
    update webhook_deliveries d set status = 'failed',
      last_error = concat_ws('. ', rtrim(d.last_error, '.'), ${UNSUBSCRIBED_NOTE} || ev.type || '.')
    from webhook_events ev, webhook_endpoints ep
    where d.endpoint_id = ${id}::uuid and d.status = 'pending' and ev.id = d.event_id
      and ep.id = d.endpoint_id and ev.type <> ${TEST_EVENT_TYPE}
      and not (ev.type = any(ep.event_types))
      and (d.claim_token is null or d.next_attempt_at <= now())`);
}

// NO KEY UPDATE for a change of the row: a callback's transaction inserting a delivery for this
// endpoint (a foreign-key check, KEY SHARE) is not held up by it, and holds its payment lock no longer.
// Deleting the endpoint takes the full lock.
async function lockEndpoint(
  tx: Db,
  id: string,
  strength: "no key update" | "update" = "no key update",
): Promise<WebhookEndpoint> {
  if (!UUID.test(id)) throw notFound("That endpoint");
  const [row] = await tx
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, id))
    .for(strength);
  if (!row) throw notFound("That endpoint");
  return row;
}

export async function updateWebhookEndpoint(
  db: Db,
  config: Pick<Config, "nodeEnv" | "mpesa">,
  id: string,
  input: EndpointInput,
  actor: Actor,
  now: Date,
): Promise<PublicEndpoint> {
  const data = checkedInput(config, input);
  return db.transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    const [after] = await tx
      .update(webhookEndpoints)
      .set({ ...data, updatedAt: now })
      .where(eq(webhookEndpoints.id, id))
      .returning(publicColumns);
    // Only when a type was unticked: the stop reads all the endpoint's pending deliveries.
    if (before.eventTypes.some((type) => !(data.eventTypes as readonly string[]).includes(type)))
      await stopUnsubscribedDeliveries(tx, id);
    await recordStaffAction(tx, actor, {
      action: "webhook_endpoint.update",
      entityType: "webhook_endpoint",
      entityId: id,
      before: audited(before),
      after: audited(after),
    });
    return after;
  });
}

export async function setWebhookEndpointEnabled(
  db: Db,
  id: string,
  enabled: boolean,
  actor: Actor,
  now: Date,
): Promise<void> {
  await db.transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    await tx
      .update(webhookEndpoints)
      .set({ enabled, updatedAt: now })
      .where(eq(webhookEndpoints.id, id));
    await recordStaffAction(tx, actor, {
      action: enabled ? "webhook_endpoint.enable" : "webhook_endpoint.disable",
      entityType: "webhook_endpoint",
      entityId: id,
      before: { enabled: before.enabled },
      after: { enabled },
    });
  });
}

/** A new secret, shown once; the old one keeps signing (alongside) for `overlapHours`. */
export async function rotateWebhookSecret(
  db: Db,
  id: string,
  input: { overlapHours: number | string },
  actor: Actor,
  now: Date,
): Promise<{ secret: string; previousSecretUntil: Date | null }> {
  const { overlapHours } = parseWith(RotateSchema, input);
  const secret = newSecret();
  const until = overlapHours > 0 ? new Date(now.getTime() + overlapHours * 3_600_000) : null;
  await db.transaction(async (tx) => {
    const before = await lockEndpoint(tx, id);
    await tx
      .update(webhookEndpoints)
      .set({
        secret,
        previousSecret: until ? before.secret : null,
        previousSecretUntil: until,
        updatedAt: now,
      })
      .where(eq(webhookEndpoints.id, id));
    await recordStaffAction(tx, actor, {
      action: "webhook_endpoint.rotate_secret",
      entityType: "webhook_endpoint",
      entityId: id,
      after: { overlapHours, previousSecretUntil: until?.toISOString() ?? null },
    });
  });
  return { secret, previousSecretUntil: until };
}

export async function deleteWebhookEndpoint(db: Db, id: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    const before = await lockEndpoint(tx, id, "update");
    // Its deliveries go with it (on delete cascade); the events stay for other endpoints.
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    await recordStaffAction(tx, actor, {
      action: "webhook_endpoint.delete",
      entityType: "webhook_endpoint",
      entityId: id,
      before: audited(before),
    });
  });
}

/** The secrets that sign now: the current one, and the previous one during a rotation's overlap. */
export function signingSecrets(
  endpoint: Pick<WebhookEndpoint, "secret" | "previousSecret" | "previousSecretUntil">,
  now: Date,
): string[] {
  return endpoint.previousSecret &&
    endpoint.previousSecretUntil &&
    endpoint.previousSecretUntil > now
    ? [endpoint.secret, endpoint.previousSecret]
    : [endpoint.secret];
}

export type EndpointHealth = PublicEndpoint & {
  pending: number;
  failed24h: number;
  delivered24h: number;
  lastStatusCode: number | null;
  lastAttemptAt: Date | null;
  /** Retrying or given up recently: shown on the admin page so someone calls the merchant. */
  failing: boolean;
};

export async function listWebhookEndpoints(db: Db, now: Date): Promise<EndpointHealth[]> {
  const endpoints = await db
    .select(publicColumns)
    .from(webhookEndpoints)
    .orderBy(desc(webhookEndpoints.createdAt));
  if (endpoints.length === 0) return [];
  const since = new Date(now.getTime() - 86_400_000);
  const stats = rowsOf<{
    endpoint_id: string;
    pending: number;
    retrying: number;
    failed: number;
    delivered: number;
  }>(
    await db.execute(sql`
      select endpoint_id,
        count(*) filter (where status = 'pending')::int as pending,
        count(*) filter (where status = 'pending' and last_error is not null)::int as retrying,
        count(*) filter (where status = 'failed' and last_attempt_at >= ${since})::int as failed,
        count(*) filter (where status = 'delivered' and delivered_at >= ${since})::int as delivered
      from webhook_deliveries
      where status = 'pending' or coalesce(last_attempt_at, created_at) >= ${since}
      group by endpoint_id`),
  );
  const last = rowsOf<{
    endpoint_id: string;
    last_status_code: number | null;
    last_attempt_at: string;
  }>(
    await db.execute(sql`
      select distinct on (endpoint_id) endpoint_id, last_status_code, last_attempt_at
      from webhook_deliveries where last_attempt_at is not null
      order by endpoint_id, last_attempt_at desc`),
  );
  const byId = new Map(stats.map((s) => [s.endpoint_id, s]));
  const lastById = new Map(last.map((s) => [s.endpoint_id, s]));
  return endpoints.map((e) => {
    const s = byId.get(e.id);
    const l = lastById.get(e.id);
    return {
      ...e,
      pending: s?.pending ?? 0,
      failed24h: s?.failed ?? 0,
      delivered24h: s?.delivered ?? 0,
      lastStatusCode: l?.last_status_code ?? null,
      lastAttemptAt: l ? new Date(l.last_attempt_at) : null,
      failing: e.enabled && ((s?.retrying ?? 0) > 0 || (s?.failed ?? 0) > 0),
    };
  });
}

export async function getWebhookEndpoint(db: Db, id: string): Promise<PublicEndpoint> {
  if (!UUID.test(id)) throw notFound("That endpoint");
  const [row] = await db
    .select(publicColumns)
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.id, id));
  if (!row) throw notFound("That endpoint");
  return row;
}
