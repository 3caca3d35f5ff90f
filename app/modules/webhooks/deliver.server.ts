// Sending merchant webhooks (README "Merchant webhooks"). Any instance claims due deliveries with
// SKIP LOCKED; a claim is a lease (next_attempt_at moves a minute ahead, past the 10 s send timeout),
// so a worker killed mid-send loses nothing: its deliveries come due again and go out with the same
// webhook-id. A later event for a payment waits while an earlier one to the same endpoint is pending.
// Each result is written only by the claim that sent it (claim_token), never by a stale one.
// Leases and due times are judged by PostgreSQL's clock, the one every instance shares: an instance
// whose clock runs fast would otherwise take another's live lease for lapsed and send twice; a retry's
// wait, counted from the failed answer, is added to the database's clock too.
import { sql } from "drizzle-orm";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import { Agent, fetch as undiciFetch } from "undici";
import { Webhook } from "standardwebhooks";
import { rowsOf, type Db } from "../../../db/client";
import type { Role } from "../../../db/schema";
import type { Log } from "../../lib/log.server";
import { TEST_EVENT_TYPE } from "../ledger/webhook-events";
import { signingSecrets, UNSUBSCRIBED_NOTE } from "./endpoints.server";
import { renderWebhookBody } from "./payload";
import { CLAIM_LEASE_MS, nextAttemptAt, SEND_TIMEOUT_MS } from "./schedule";
import { isPrivateAddress, type UrlPolicy } from "./url";

type Claim = {
  id: number;
  endpointId: string;
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
  /** When the batch begins (the app's clock): the attempt's time, and which secrets sign. */
  now: Date;
  /**
   * Read when a send has ended, for the retry's due time and delivered_at (the context's `now`). By
   * default `now` plus the real time since the batch began.
   */
  clock?: () => Date;
  instanceId: string;
  policy: UrlPolicy;
  fetch?: typeof fetch;
  log?: Log;
};

export type DeliveryRun = { claimed: number; delivered: number; retrying: number; failed: number };

const at = (value: unknown) => (value == null ? null : new Date(value as string));

/**
 * The most sends one endpoint has in flight, across all instances. A receiver that is down makes
 * each of its sends wait out the full timeout; it then holds only these few places in a batch, and
 * the other endpoints' deliveries are claimed alongside.
 */
export const MAX_IN_FLIGHT_PER_ENDPOINT = 5;

/**
 * Claims up to `limit` due deliveries of enabled endpoints, oldest first, in one statement: no more
 * of one endpoint's than it has places left (MAX_IN_FLIGHT_PER_ENDPOINT less its live leases).
 */
export async function claimDueDeliveries(
  db: Db,
  options: { now: Date; instanceId: string; limit: number },
): Promise<Claim[]> {
  // Each enabled endpoint is read on its own (a lateral join): its live leases are counted and its
  // oldest due deliveries taken up to the places it has left, from indexes on the endpoint (migration
  // 0029), so a claim costs a few index reads per endpoint however large a backlog has grown. The
  // conditions on d are repeated where the rows are locked: a row another instance claimed after this
  // statement's snapshot is re-read there, and then it is no longer due.
  const rows = rowsOf<Record<string, unknown>>(
    await db.execute(sql`
      with places as (
        select ep.id as endpoint_id, ${MAX_IN_FLIGHT_PER_ENDPOINT} - (
          select count(*) from webhook_deliveries f
          where f.endpoint_id = ep.id and f.status = 'pending' and f.claim_token is not null
            and f.next_attempt_at > now())::int as free
        from webhook_endpoints ep where ep.enabled
      ),
      due as (
        select c.id from places p cross join lateral (
          select o.id, row_number() over () as place from (
            select d.id from webhook_deliveries d
            where d.endpoint_id = p.endpoint_id and d.status = 'pending' and d.next_attempt_at <= now()
              and not exists (
                select 1 from webhook_deliveries b
                where b.endpoint_id = d.endpoint_id and b.payment_id = d.payment_id
                  and b.status = 'pending' and b.event_seq < d.event_seq offset 0)
            order by d.next_attempt_at, d.id
            limit ${MAX_IN_FLIGHT_PER_ENDPOINT}) o
        ) c
        where c.place <= p.free
      ),
      chosen as (
        select d.id from webhook_deliveries d
        where d.id = any (array(select id from due)) and d.status = 'pending' and d.next_attempt_at <= now()
        order by d.next_attempt_at, d.id
        limit ${options.limit}
        for update of d skip locked
      )
      update webhook_deliveries d
      set claim_token = gen_random_uuid(), claimed_by = ${options.instanceId},
        attempts = d.attempts + 1, last_attempt_at = ${options.now.toISOString()}::timestamptz,
        next_attempt_at = now() + ${`${CLAIM_LEASE_MS} milliseconds`}::interval
      from chosen, webhook_events ev, webhook_endpoints ep
      where d.id = chosen.id and ev.id = d.event_id and ep.id = d.endpoint_id
      returning d.id, d.endpoint_id, d.claim_token, d.attempts, d.request_body, d.request_body_role,
        ev.id as event_id, ev.type as event_type, ev.created_at as event_created_at, ev.payload, ep.url, ep.role,
        ep.secret, ep.previous_secret, ep.previous_secret_until`),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    endpointId: String(r.endpoint_id),
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
 * Outside simulator mode, a host that resolves to a private address is refused, and the
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

/** The fetch a delivery uses: any destination in simulator mode, public ones otherwise. */
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

/**
 * A failed attempt is not retried once the endpoint no longer wants the event's type (an admin
 * unticked it during the send; updateWebhookEndpoint stops the ones not in flight). The endpoint's
 * row is read under a share lock, so an update that is committing is waited for and seen.
 */
const unsubscribed = (claim: Claim) => sql`not exists (
  select 1 from webhook_endpoints ep where ep.id = ${claim.endpointId}::uuid
    and (${claim.eventType} = ${TEST_EVENT_TYPE} or ${claim.eventType} = any(ep.event_types))
  for share)`;

/** Sends one claimed delivery and writes what happened, if the claim is still this run's. */
export async function deliverClaim(
  db: Db,
  claim: Claim,
  options: DeliveryOptions & { clock: () => Date },
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
  // After the send, not when the batch began: a retry waits its backoff from the failed answer (which
  // may have taken the whole timeout), and delivered_at is when the receiver said yes.
  const finishedAt = options.clock();
  const next = error ? nextAttemptAt(claim.attempts, finishedAt) : null;
  // The wait is added to PostgreSQL's clock, the one claims judge due-ness by: an instance whose own
  // clock runs slow would otherwise write a retry already due, and send it again at once.
  const waitMs = next ? next.getTime() - finishedAt.getTime() : 0;
  const status = !error ? "delivered" : next ? "pending" : "failed";
  const stopped = `${error?.replace(/\.$/, "")}. ${UNSUBSCRIBED_NOTE}${claim.eventType}.`;
  const [updated] = rowsOf<{ status: "pending" | "delivered" | "failed" }>(
    await db.execute(sql`
      with gate as (select ${status === "pending" ? unsubscribed(claim) : sql`false`} as stop)
      update webhook_deliveries d set
        status = case when gate.stop then 'failed' else ${status} end,
        request_body = ${body},
        request_body_role = ${claim.role},
        last_status_code = ${statusCode},
        last_error = case when gate.stop then ${stopped} else ${error} end,
        claim_token = null,
        delivered_at = ${error ? null : finishedAt.toISOString()}::timestamptz,
        next_attempt_at = clock_timestamp() + ${`${waitMs} milliseconds`}::interval
      from gate
      where d.id = ${claim.id} and d.claim_token = ${claim.claimToken}::uuid
      returning d.status`),
  );
  if (!updated) return "lost"; // our lease ran out and another worker took it over
  if (error) options.log?.warn({ deliveryId: claim.id, error }, "webhook delivery attempt failed");
  return updated.status === "pending" ? "retrying" : updated.status;
}
