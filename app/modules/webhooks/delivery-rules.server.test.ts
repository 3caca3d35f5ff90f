// The rules around sending merchant webhooks that a merchant or an admin would notice: when a retry
// is due, whose clock judges a lease, one dead receiver not holding up the others, what the console
// refuses for a disabled endpoint, and what unticking an event type does to deliveries waiting.
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/client";
import { webhookEndpoints } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../../tests/support/webhook-receiver";
import { deliverDueWebhooks } from "../../../tests/support/webhook-batch";
import { SYSTEM_ACTOR, type Actor } from "../auth/staff-audit.server";
import { emitWebhookEvents } from "../ledger/outbox.server";
import { listDeliveries, replaySince, resendDelivery, sendTestEvent } from "./console.server";
import { claimDueDeliveries, MAX_IN_FLIGHT_PER_ENDPOINT } from "./deliver.server";
import {
  createWebhookEndpoint,
  listWebhookEndpoints,
  setWebhookEndpointEnabled,
  updateWebhookEndpoint,
  urlPolicyOf,
} from "./endpoints.server";
import { runWebhookDeliveries } from "./worker.server";

type CaseEvent = "case.opened" | "case.resolved";

let app: TestApp;
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  app = await startTestApp();
});
afterEach(async () => {
  await app.ctx.db.delete(webhookEndpoints);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(async () => app?.close());

async function endpoint(eventTypes: CaseEvent[], respond?: () => number | Promise<number>) {
  const receiver = await startWebhookReceiver(respond);
  receivers.push(receiver);
  const { endpoint } = await createWebhookEndpoint(
    app.ctx.db,
    app.ctx.config,
    { url: receiver.url, eventTypes, role: "finance" },
    SYSTEM_ACTOR,
  );
  return { receiver, endpoint };
}

/** Events that name no payment, so the per-payment ordering does not serialise them. */
const emit = (type: CaseEvent, n = 1) =>
  app.ctx.db.transaction((tx) =>
    emitWebhookEvents(
      tx,
      Array.from({ length: n }, () => ({ type })),
    ),
  );

const deliver = (options: { now?: Date; clock?: () => Date; fetch?: typeof fetch } = {}) =>
  deliverDueWebhooks(app.ctx.db, {
    now: options.now ?? new Date(),
    clock: options.clock,
    fetch: options.fetch,
    instanceId: "test-worker",
    policy: urlPolicyOf(app.ctx.config),
  });

/** PostgreSQL's clock, which judges what is due. */
async function databaseNow(): Promise<Date> {
  const [row] = rowsOf<{ now: string | Date }>(
    await app.ctx.db.execute(sql`select clock_timestamp() as now`),
  );
  return new Date(row!.now);
}

/** Each retry's backoff runs out (by the database's clock, which judges what is due). */
const timePasses = (endpointId: string) =>
  app.ctx.db.execute(sql`update webhook_deliveries set next_attempt_at = now()
    where endpoint_id = ${endpointId}::uuid and status = 'pending'`);

const setTypes = (ep: { id: string; url: string }, eventTypes: CaseEvent[]) =>
  updateWebhookEndpoint(
    app.ctx.db,
    app.ctx.config,
    ep.id,
    { url: ep.url, eventTypes, role: "finance", enabled: true },
    SYSTEM_ACTOR,
    new Date(),
  );

describe("when a delivery is due", () => {
  it("a retry waits its backoff from the failed answer, and delivered_at is when the receiver said yes", async () => {
    const { endpoint: ep } = await endpoint(["case.opened"]);
    await emit("case.opened");
    const before = await databaseNow();
    // A receiver that takes 1.5 s to say no.
    const slowNo = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      return new Response(null, { status: 500 });
    }) as unknown as typeof fetch;
    expect(await deliver({ now: new Date(), fetch: slowNo })).toMatchObject({
      claimed: 1,
      retrying: 1,
    });
    const after = await databaseNow();
    const [retrying] = await listDeliveries(app.ctx.db, ep.id);
    // The first retry waits 5 s ± 20% after the answer, not after the batch began.
    expect(retrying.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(
      before.getTime() + 1_500 + 4_000,
    );
    expect(retrying.nextAttemptAt.getTime()).toBeLessThanOrEqual(after.getTime() + 6_000);

    await timePasses(ep.id);
    const second = new Date();
    let clock = second;
    const slowYes = (async () => {
      clock = new Date(clock.getTime() + 3_000);
      return new Response(null, { status: 204 });
    }) as unknown as typeof fetch;
    expect(await deliver({ now: second, clock: () => clock, fetch: slowYes })).toMatchObject({
      claimed: 1,
      delivered: 1,
    });
    const [delivered] = await listDeliveries(app.ctx.db, ep.id);
    expect(delivered.deliveredAt).toEqual(new Date(second.getTime() + 3_000));
  });

  it("writes a retry's time by the database's clock, so an instance whose clock runs slow does not send it again at once", async () => {
    const { endpoint: ep } = await endpoint(["case.opened"]);
    await emit("case.opened");
    const slow = new Date(Date.now() - 10 * 60_000);
    const no = (async () => new Response(null, { status: 500 })) as unknown as typeof fetch;
    expect(await deliver({ now: slow, clock: () => slow, fetch: no })).toMatchObject({
      claimed: 1,
      retrying: 1,
    });
    expect(await deliver({ now: slow, clock: () => slow, fetch: no })).toMatchObject({
      claimed: 0,
    });
    const [row] = await listDeliveries(app.ctx.db, ep.id);
    expect(row.attempts).toBe(1);
    expect(row.nextAttemptAt.getTime()).toBeGreaterThan((await databaseNow()).getTime() + 3_000);
  });

  it("is judged by the database's clock, so a skewed instance neither misses it nor steals a lease", async () => {
    await endpoint(["case.opened"]);
    await emit("case.opened");
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    // An instance whose clock is five minutes slow still sees the delivery due.
    const [claim] = await claimDueDeliveries(app.ctx.db, {
      now: minutes(-5),
      instanceId: "slow",
      limit: 10,
    });
    expect(claim).toBeDefined();
    // One five minutes fast takes the slow one's one-minute lease for lapsed by its own clock; it
    // must not claim (and send) the delivery a second time.
    const stolen = await claimDueDeliveries(app.ctx.db, {
      now: minutes(5),
      instanceId: "fast",
      limit: 10,
    });
    expect(stolen).toEqual([]);
  });
});

describe("several endpoints", () => {
  it("a backlog at one endpoint does not fill the batch: another endpoint's delivery is claimed with it", async () => {
    const { endpoint: busy } = await endpoint(["case.opened"]);
    await emit("case.opened", 30);
    const { endpoint: other } = await endpoint(["case.resolved"]);
    await emit("case.resolved"); // newer than all thirty

    const claims = await claimDueDeliveries(app.ctx.db, {
      now: new Date(),
      instanceId: "one",
      limit: 20,
    });
    expect(claims.filter((c) => c.endpointId === other.id)).toHaveLength(1);
    expect(claims.filter((c) => c.endpointId === busy.id)).toHaveLength(MAX_IN_FLIGHT_PER_ENDPOINT);
    // While those are in flight, no other instance sends the busy endpoint more.
    const more = await claimDueDeliveries(app.ctx.db, {
      now: new Date(),
      instanceId: "two",
      limit: 20,
    });
    expect(more).toEqual([]);
  });

  it("a backlog at one endpoint still drains in one run, a few at a time", async () => {
    const { receiver } = await endpoint(["case.opened"]);
    await emit("case.opened", 12);
    expect(await runWebhookDeliveries(app.ctx)).toMatchObject({ claimed: 12, delivered: 12 });
    expect(receiver.received).toHaveLength(12);
  });

  it("a receiver that does not answer holds up only its own deliveries: the others all go out meanwhile", async () => {
    // The slow receiver answers only when the test lets it; its events are the oldest, so they are
    // claimed first. Its sends wait without the 10 s send timeout, so a slow machine cannot end them
    // before the test has looked.
    let answer!: () => void;
    const answered = new Promise<number>((resolve) => (answer = () => resolve(200)));
    const slow = await endpoint(["case.resolved"], () => answered);
    const { receiver } = await endpoint(["case.opened"]);
    await emit("case.resolved", MAX_IN_FLIGHT_PER_ENDPOINT);
    await emit("case.opened", 40);
    const untimed = ((url: string, init: RequestInit) =>
      fetch(url, { ...init, signal: undefined })) as typeof fetch;
    const run = runWebhookDeliveries(app.ctx, { fetch: untimed });
    try {
      // A worker that waited for its whole batch (the slow receiver's 5 and the other's first 5) sent
      // 5 of the 40 and then nothing until the slow receiver answered.
      await vi.waitFor(() => expect(receiver.received).toHaveLength(40), { timeout: 5_000 });
      expect(slow.receiver.received).toHaveLength(MAX_IN_FLIGHT_PER_ENDPOINT);
      // With only the slow sends in flight (the 40 recorded, and the worker's claim after them made),
      // an event that comes due meanwhile still goes out within about a second, not when they end.
      await vi.waitFor(async () => {
        const [row] = rowsOf<{ n: number }>(
          await app.ctx.db.execute(
            sql`select count(*)::int as n from webhook_deliveries where status = 'delivered'`,
          ),
        );
        expect(row?.n).toBe(40);
      }, 5_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await emit("case.opened");
      await vi.waitFor(() => expect(receiver.received).toHaveLength(41), { timeout: 3_000 });
    } finally {
      answer();
      await run.catch(() => {});
    }
    expect(await run).toEqual({ claimed: 46, delivered: 46, retrying: 0, failed: 0 });
  });
});

describe("the console", () => {
  it("does not create an endpoint whose audit record cannot be written", async () => {
    const revoked: Actor = {
      kind: "api_key",
      apiKeyId: randomUUID(), // no such key: the audit row's reference fails
      label: "revoked key",
      role: "admin",
      ip: "127.0.0.1",
    };
    await expect(
      createWebhookEndpoint(
        app.ctx.db,
        app.ctx.config,
        { url: "http://127.0.0.1:9/hook", eventTypes: ["case.opened"], role: "admin" },
        revoked,
      ),
    ).rejects.toThrow();
    expect(await listWebhookEndpoints(app.ctx.db, new Date())).toEqual([]);
  });

  it("refuses test events, resends and replays for a disabled endpoint, saying why", async () => {
    const { endpoint: ep } = await endpoint(["case.opened"]);
    const since = new Date();
    await emit("case.opened");
    expect(await deliver()).toMatchObject({ delivered: 1 });
    const [sent] = await listDeliveries(app.ctx.db, ep.id);
    await setWebhookEndpointEnabled(app.ctx.db, ep.id, false, SYSTEM_ACTOR, new Date());

    const refused = (what: string) => ({
      code: "endpoint_disabled",
      status: 409,
      message: expect.stringContaining(`This endpoint is disabled; enable it to ${what}`),
    });
    await expect(sendTestEvent(app.ctx.db, ep.id, SYSTEM_ACTOR, new Date())).rejects.toMatchObject(
      refused("send a test event"),
    );
    await expect(resendDelivery(app.ctx.db, ep.id, sent.id, SYSTEM_ACTOR)).rejects.toMatchObject(
      refused("resend a delivery"),
    );
    await expect(
      replaySince(app.ctx.db, ep.id, { since }, SYSTEM_ACTOR, new Date()),
    ).rejects.toMatchObject(refused("replay events"));
    expect(await listDeliveries(app.ctx.db, ep.id)).toHaveLength(1); // nothing queued unseen

    await setWebhookEndpointEnabled(app.ctx.db, ep.id, true, SYSTEM_ACTOR, new Date());
    await sendTestEvent(app.ctx.db, ep.id, SYSTEM_ACTOR, new Date());
    expect(await deliver()).toMatchObject({ delivered: 1 });
  });
});

describe("unticking an event type", () => {
  it("stops that type's deliveries waiting to be retried or sent, and leaves the rest", async () => {
    const { endpoint: ep } = await endpoint(["case.opened", "case.resolved"], () => 500);
    await emit("case.opened");
    await emit("case.resolved");
    await sendTestEvent(app.ctx.db, ep.id, SYSTEM_ACTOR, new Date());
    expect(await deliver()).toMatchObject({ claimed: 3, retrying: 3 });
    await emit("case.opened"); // queued, not tried yet

    await setTypes(ep, ["case.resolved"]);
    const rows = await listDeliveries(app.ctx.db, ep.id);
    const opened = rows.filter((r) => r.eventType === "case.opened");
    expect(opened.map((r) => [r.status, r.lastError])).toEqual([
      ["failed", "Stopped: this endpoint no longer subscribes to case.opened."],
      ["failed", "HTTP 500. Stopped: this endpoint no longer subscribes to case.opened."],
    ]);
    const others = rows.filter((r) => r.eventType !== "case.opened");
    expect(others.map((r) => [r.eventType, r.status])).toEqual([
      ["webhook.test", "pending"],
      ["case.resolved", "pending"],
    ]);
    await timePasses(ep.id);
    expect(await deliver()).toMatchObject({ claimed: 2 });
  });

  it("a send under way when its type is unticked is not retried if it fails", async () => {
    const created = await endpoint(["case.opened", "case.resolved"], async () => {
      await setTypes(created.endpoint, ["case.resolved"]); // the admin saves while we wait
      return 503;
    });
    await emit("case.opened");
    expect(await deliver()).toMatchObject({ claimed: 1, failed: 1, retrying: 0 });
    const [row] = await listDeliveries(app.ctx.db, created.endpoint.id);
    expect(row).toMatchObject({
      status: "failed",
      lastError: "HTTP 503. Stopped: this endpoint no longer subscribes to case.opened.",
    });
  });
});
