// Sending merchant webhooks (README "Merchant webhooks"). Any instance claims due deliveries with
// SKIP LOCKED; a claim is a lease (next_attempt_at moves a minute ahead, past the 10 s send timeout),
// so a worker killed mid-send loses nothing: its deliveries come due again and go out with the same
// webhook-id. A later event for a payment waits while an earlier one to the same endpoint is pending.
// Each result is written only by the claim that sent it (claim_token), never by a stale one.
import { sql } from "drizzle-orm";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { Webhook } from "standardwebhooks";
import { rowsOf, type Db } from "../../../db/client";
import type { Role } from "../../../db/schema";
import type { Log } from "../../lib/log.server";
import { signingSecrets } from "./endpoints.server";
import { renderWebhookBody } from "./payload";
import { CLAIM_LEASE_MS, nextAttemptAt, SEND_TIMEOUT_MS } from "./schedule";
import { isPrivateAddress, type UrlPolicy } from "./url";

type Claim = {
  id: number;
  claimToken: string;
  attempts: number;
  requestBody: string | null;
  requestBodyRole: string | null;
  eventId: string;
  eventType: string;
  eventCreatedAt: Date;
  payload: unknown;
  url: string;
  role: Role;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
};

export type DeliveryOptions = {
  now: Date;
  instanceId: string;
  limit?: number;
  policy: UrlPolicy;
  fetch?: typeof fetch;
  log?: Log;
};

export type DeliveryRun = { claimed: number; delivered: number; retrying: number; failed: number };

const at = (value: unknown) => (value == null ? null : new Date(value as string));

/** Claims up to `limit` due deliveries of enabled endpoints, oldest first, in one statement. */
export async function claimDueDeliveries(
  db: Db,
  options: { now: Date; instanceId: string; limit: number },
): Promise<Claim[]> {
  const now = options.now.toISOString();
  const leaseUntil = new Date(options.now.getTime() + CLAIM_LEASE_MS).toISOString();
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with due as (
        select d.id from webhook_deliveries d
        join webhook_endpoints ep on ep.id = d.endpoint_id and ep.enabled
        where d.status = 'pending' and d.next_attempt_at <= ${now}::timestamptz
          and not exists (
            select 1 from webhook_deliveries b
            where b.endpoint_id = d.endpoint_id and b.payment_id = d.payment_id
              and b.status = 'pending' and b.event_seq < d.event_seq)
        order by d.next_attempt_at, d.id
        limit ${options.limit}
        for update of d skip locked
      )
      update webhook_deliveries d
      set claim_token = gen_random_uuid(), claimed_by = ${options.instanceId},
        attempts = d.attempts + 1, last_attempt_at = ${now}::timestamptz,
        next_attempt_at = ${leaseUntil}::timestamptz
      from due, webhook_events ev, webhook_endpoints ep
      where d.id = due.id and ev.id = d.event_id and ep.id = d.endpoint_id
      returning d.id, d.claim_token, d.attempts, d.request_body, d.request_body_role, ev.id as event_id,
        ev.type as event_type, ev.created_at as event_created_at, ev.payload, ep.url, ep.role,
        ep.secret, ep.previous_secret, ep.previous_secret_until`),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    claimToken: String(r.claim_token),
    attempts: Number(r.attempts),
    requestBody: (r.request_body as string | null) ?? null,
    requestBodyRole: (r.request_body_role as string | null) ?? null,
    eventId: String(r.event_id),
    eventType: String(r.event_type),
    eventCreatedAt: at(r.event_created_at)!,
    payload: typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload,
    url: String(r.url),
    role: r.role as Role,
    secret: String(r.secret),
    previousSecret: (r.previous_secret as string | null) ?? null,
    previousSecretUntil: at(r.previous_secret_until),
  }));
}

const PRIVATE = "the host resolves to a private address";

/**
 * Outside simulator/development mode, a host that resolves to a private address is refused, and the
 * check is made on the very addresses the connection uses: a name whose answer changes between a
 * check and the connect (DNS rebinding) cannot slip an internal address in.
 */
const publicOnly = new Agent({
  connect: {
    lookup(hostname, options, callback) {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, "", 0);
        const list = addresses as LookupAddress[];
        if (list.length === 0 || list.some((a) => isPrivateAddress(a.address)))
          return callback(new Error(PRIVATE), "", 0);
        if ((options as { all?: boolean }).all)
          return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
        callback(null, list[0].address, list[0].family);
      });
    },
  },
});

/** The fetch a delivery uses: any destination in simulator/development mode, public ones otherwise. */
export function deliveryFetch(policy: UrlPolicy): typeof fetch {
  if (policy.allowPrivate) return fetch;
  return ((url: string, init: RequestInit) => {
    // An address written in the URL is not looked up: it is checked as it is.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && isPrivateAddress(host)) return Promise.reject(new Error(PRIVATE));
    return undiciFetch(url, { ...(init as object), dispatcher: publicOnly } as never);
  }) as unknown as typeof fetch;
}

/** One POST: 2xx within the timeout is success; anything else is a failed attempt. */
async function send(
  claim: Claim,
  body: string,
  options: DeliveryOptions,
): Promise<{ statusCode: number | null; error: string | null }> {
  // The signature's timestamp is the wall clock of the send: receivers reject stale timestamps.
  const signedAt = new Date();
  const signature = signingSecrets(claim, options.now)
    .map((secret) => new Webhook(secret).sign(claim.eventId, signedAt, body))
    .join(" ");
  try {
    const response = await (options.fetch ?? deliveryFetch(options.policy))(claim.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "mpesa-merchant-console-webhooks/1",
        "webhook-id": claim.eventId,
        "webhook-timestamp": String(Math.floor(signedAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body,
      redirect: "manual", // a redirect is not a delivery (and could point anywhere)
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    return { statusCode: response.status, error: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    const name = (error as Error).name;
    const message =
      name === "TimeoutError" || name === "AbortError"
        ? `No answer within ${SEND_TIMEOUT_MS / 1000} s`
        : `Could not connect: ${((error as { cause?: Error }).cause ?? (error as Error)).message}`;
    return { statusCode: null, error: message.slice(0, 300) };
  }
}

async function deliverOne(
  db: Db,
  claim: Claim,
  options: DeliveryOptions,
): Promise<"delivered" | "retrying" | "failed" | "lost"> {
  // A retry sends the bytes of the first attempt, unless the endpoint's role has changed since: then
  // the body is rendered again, for what the new role may see.
  const body =
    claim.requestBody !== null && claim.requestBodyRole === claim.role
      ? claim.requestBody
      : renderWebhookBody(
          { type: claim.eventType, createdAt: claim.eventCreatedAt, payload: claim.payload },
          claim.role,
        );
  const { statusCode, error } = await send(claim, body, options);
  const finishedAt = options.now;
  const next = error ? nextAttemptAt(claim.attempts, finishedAt) : null;
  const status = !error ? "delivered" : next ? "pending" : "failed";
  const updated = rowsOf(
    await db.execute(sql`
      update webhook_deliveries set
        status = ${status},
        request_body = ${body},
        request_body_role = ${claim.role},
        last_status_code = ${statusCode},
        last_error = ${error},
        claim_token = null,
        delivered_at = ${error ? null : finishedAt.toISOString()}::timestamptz,
        next_attempt_at = ${(next ?? finishedAt).toISOString()}::timestamptz
      where id = ${claim.id} and claim_token = ${claim.claimToken}::uuid
      returning id`),
  );
  if (updated.length === 0) return "lost"; // our lease ran out and another worker took it over
  if (error) options.log?.warn({ deliveryId: claim.id, error }, "webhook delivery attempt failed");
  return status === "pending" ? "retrying" : status;
}

/** Claims the due deliveries and sends them concurrently; returns what happened. */
export async function deliverDueWebhooks(db: Db, options: DeliveryOptions): Promise<DeliveryRun> {
  const claims = await claimDueDeliveries(db, {
    now: options.now,
    instanceId: options.instanceId,
    limit: options.limit ?? 20,
  });
  const outcomes = await Promise.all(claims.map((claim) => deliverOne(db, claim, options)));
  return {
    claimed: claims.length,
    delivered: outcomes.filter((o) => o === "delivered").length,
    retrying: outcomes.filter((o) => o === "retrying").length,
    failed: outcomes.filter((o) => o === "failed").length,
  };
}
