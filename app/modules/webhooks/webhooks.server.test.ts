// Merchant webhooks end to end: a Daraja callback pays a payment, the gate writes the event in the
// same transaction, the worker signs and POSTs it to a real receiver, which verifies it with the
// Standard Webhooks library a merchant would use.
import { eq, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { payments, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../../db/schema";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import {
  startWebhookReceiver,
  webhookHeaders,
  type WebhookReceiver,
} from "../../../tests/support/webhook-receiver";
import { deliverDueWebhooks } from "../../../tests/support/webhook-batch";
import { SYSTEM_ACTOR } from "../auth/staff-audit.server";
import { DARAJA_ACTOR } from "../ledger/events.server";
import { writePaymentStatus } from "../ledger/payments.server";
import type { WebhookEventType } from "../ledger/webhook-events";
import { claimDueDeliveries } from "./deliver.server";
import {
  createWebhookEndpoint,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  urlPolicyOf,
} from "./endpoints.server";
import { listDeliveries, replaySince, resendDelivery, sendTestEvent } from "./console.server";

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

async function endpoint(
  options: {
    respond?: (n: number) => number;
    role?: "admin" | "finance" | "support" | "manager";
    eventTypes?: WebhookEventType[];
  } = {},
) {
  const receiver = await startWebhookReceiver(options.respond);
  receivers.push(receiver);
  const { secret, endpoint } = await createWebhookEndpoint(
    app.ctx.db,
    app.ctx.config,
    {
      url: receiver.url,
      eventTypes: options.eventTypes ?? ["payment.paid", "payment.failed", "case.opened"],
      role: options.role ?? "finance",
    },
    SYSTEM_ACTOR,
  );
  return { receiver, secret, endpoint };
}

/**
 * Time passes for an endpoint's pending deliveries: each retry's backoff, or a claim's lease, runs
 * out. Due times are judged by the database's clock, so they are moved back rather than the clock on.
 */
const timePasses = (endpointId: string) =>
  app.ctx.db.execute(sql`update webhook_deliveries set next_attempt_at = now()
    where endpoint_id = ${endpointId}::uuid and status = 'pending'`);

const deliver = (now = new Date()) =>
  deliverDueWebhooks(app.ctx.db, {
    now,
    instanceId: "test-worker",
    policy: urlPolicyOf(app.ctx.config),
  });

let seq = 0;
async function pendingPayment(amountKes = 250) {
  seq += 1;
  const [due] = await insertDueAttempts(
    app.ctx.db,
    [`ws_CO_wh_${process.pid}_${seq}_${Date.now()}`],
    {
      amountKes,
      phone: "254712345678",
      nextPollAt: new Date(Date.now() + 3_600_000),
    },
  );
  return due;
}

async function payByCallback(due: { checkoutRequestId: string }, amount = 250) {
  const receipt = `TWH${String(process.pid % 1000).padStart(3, "0")}${String(seq).padStart(4, "0")}`;
  const response = await postStkCallback(
    app,
    stkCallbackBody({ checkoutRequestId: due.checkoutRequestId, amount, receipt }),
  );
  expect(response.status).toBe(200);
  return receipt;
}

describe("merchant webhooks", () => {
  it("a payment paid by a callback reaches the merchant once, as payment.paid, signed and verifiable", async () => {
    const { receiver, secret } = await endpoint();
    const due = await pendingPayment();
    const receipt = await payByCallback(due);
    // The duplicate callback Daraja sometimes sends changes nothing and announces nothing.
    await payByCallback({ checkoutRequestId: due.checkoutRequestId });

    expect(await deliver()).toMatchObject({ claimed: 1, delivered: 1 });
    expect(await deliver()).toMatchObject({ claimed: 0 });

    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    const verified = new Webhook(secret).verify(request.body, webhookHeaders(request)) as {
      type: string;
      data: { payment: Record<string, unknown>; previousStatus: string };
    };
    expect(verified.type).toBe("payment.paid");
    expect(verified.data.previousStatus).toBe("pending");
    expect(verified.data.payment).toMatchObject({
      id: due.paymentId,
      status: "paid",
      amount: 250,
      receipt,
      phone: "254712345678", // a finance endpoint may see the number
    });
    const [event] = await app.ctx.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.paymentId, due.paymentId));
    expect(request.headers["webhook-id"]).toBe(event.id);
    // A wrong secret does not verify: the signature is real.
    expect(() =>
      new Webhook(`whsec_${Buffer.from("not the secret at all!!").toString("base64")}`).verify(
        request.body,
        webhookHeaders(request),
      ),
    ).toThrow();
  });

  it("a receiver that fails three times and then succeeds gets the same webhook-id and body each time", async () => {
    const { receiver, endpoint: ep } = await endpoint({ respond: (n) => (n < 3 ? 503 : 204) });
    const due = await pendingPayment();
    await payByCallback(due);

    for (let attempt = 1; attempt <= 4; attempt += 1) {
      const run = await deliver();
      expect(run.claimed, `attempt ${attempt}`).toBe(1);
      // Not due again before its backoff has passed.
      expect((await deliver()).claimed).toBe(0);
      await timePasses(ep.id);
    }
    expect(receiver.received).toHaveLength(4);
    expect(new Set(receiver.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    const [row] = await listDeliveries(app.ctx.db, ep.id);
    expect(row).toMatchObject({ status: "delivered", attempts: 4, lastStatusCode: 204 });
  });

  it("a change that rolls back emits nothing", async () => {
    const { receiver } = await endpoint();
    const due = await pendingPayment();
    await expect(
      app.ctx.db.transaction(async (tx) => {
        await writePaymentStatus(
          tx,
          DARAJA_ACTOR,
          { id: due.paymentId, status: "pending" },
          "paid",
          { now: new Date(), reason: "test", receipt: "TRB0000001" },
        );
        throw new Error("the rest of the transaction failed");
      }),
    ).rejects.toThrow(/failed/);
    const events = await app.ctx.db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.paymentId, due.paymentId));
    expect(events).toEqual([]);
    expect((await deliver()).claimed).toBe(0);
    expect(receiver.received).toHaveLength(0);
    const [payment] = await app.ctx.db
      .select()
      .from(payments)
      .where(eq(payments.id, due.paymentId));
    expect(payment.status).toBe("pending");
  });

  it("a delivery whose worker died mid-send is sent again after its lease, with the same id", async () => {
    const { receiver, endpoint: ep } = await endpoint();
    const due = await pendingPayment();
    await payByCallback(due);
    const now = new Date();
    // A worker claims it and is killed before it can send or record anything.
    const [claim] = await claimDueDeliveries(app.ctx.db, { now, instanceId: "killed", limit: 10 });
    expect(claim).toBeDefined();
    expect((await deliver()).claimed).toBe(0); // leased, not lost
    await timePasses(ep.id); // the lease runs out
    expect(await deliver()).toMatchObject({
      claimed: 1,
      delivered: 1,
    });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].headers["webhook-id"]).toBe(claim.eventId);
  });

  it("delivers a payment's events in order: a later one waits while an earlier one is retrying", async () => {
    const { receiver, endpoint: ep } = await endpoint({
      respond: (n) => (n === 0 ? 500 : 200),
    });
    const due = await pendingPayment();
    await app.ctx.db.transaction(async (tx) => {
      const [p] = await tx
        .select()
        .from(payments)
        .where(eq(payments.id, due.paymentId))
        .for("update");
      await writePaymentStatus(tx, DARAJA_ACTOR, p, "failed", { now: new Date(), reason: "first" });
    });
    await app.ctx.db.transaction(async (tx) => {
      const [p] = await tx
        .select()
        .from(payments)
        .where(eq(payments.id, due.paymentId))
        .for("update");
      await writePaymentStatus(tx, DARAJA_ACTOR, p, "paid", {
        now: new Date(),
        reason: "second",
        receipt: "TRD0000002",
        financeDecision: true,
      });
    });
    expect(await deliver()).toMatchObject({ claimed: 1, retrying: 1 }); // payment.failed, refused
    expect((await deliver()).claimed).toBe(0); // payment.paid must wait for it
    await timePasses(ep.id);
    expect((await deliver()).claimed).toBe(1); // payment.failed again, accepted this time
    expect((await deliver()).claimed).toBe(1); // and then payment.paid
    const types = receiver.received.map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types).toEqual(["payment.failed", "payment.failed", "payment.paid"]);
  });

  it("shows a support endpoint the customer's phone masked", async () => {
    const { receiver, secret } = await endpoint({ role: "support" });
    const due = await pendingPayment();
    await payByCallback(due);
    await deliver();
    const body = receiver.received[0].body;
    new Webhook(secret).verify(body, webhookHeaders(receiver.received[0]));
    expect(body).not.toContain("254712345678");
    expect(body).not.toContain("712345678");
    const data = (JSON.parse(body) as { data: { payment: { phone: string; id: string } } }).data;
    expect(data.payment.id).toBe(due.paymentId);
    expect(data.payment.phone).toMatch(/•/);
  });

  it("a finance endpoint moved to support: its retries no longer carry the full number", async () => {
    const {
      receiver,
      secret,
      endpoint: ep,
    } = await endpoint({
      respond: (n) => (n < 1 ? 503 : 204),
    });
    const due = await pendingPayment();
    await payByCallback(due);
    const now = new Date();
    expect(await deliver(now)).toMatchObject({ claimed: 1 });
    expect(receiver.received[0].body).toContain("254712345678"); // finance may see it
    await updateWebhookEndpoint(
      app.ctx.db,
      app.ctx.config,
      ep.id,
      { url: ep.url, eventTypes: ["payment.paid"], role: "support", enabled: true },
      SYSTEM_ACTOR,
      now,
    );
    await timePasses(ep.id);
    expect(await deliver()).toMatchObject({ claimed: 1 });
    const retry = receiver.received[1];
    new Webhook(secret).verify(retry.body, webhookHeaders(retry));
    expect(retry.headers["webhook-id"]).toBe(receiver.received[0].headers["webhook-id"]);
    expect(retry.body).not.toContain("712345678");
    const data = (JSON.parse(retry.body) as { data: { payment: { phone: string } } }).data;
    expect(data.payment.phone).toMatch(/•/);
  });

  it("signs with both secrets during a rotation's overlap, and only the new one after it", async () => {
    const { receiver, secret: old, endpoint: ep } = await endpoint();
    const { secret: fresh } = await rotateWebhookSecret(
      app.ctx.db,
      ep.id,
      { overlapHours: 24 },
      SYSTEM_ACTOR,
      new Date(),
    );
    await sendTestEvent(app.ctx.db, ep.id, SYSTEM_ACTOR, new Date());
    await deliver();
    const [during] = receiver.received;
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    new Webhook(old).verify(during.body, webhookHeaders(during));
    new Webhook(fresh).verify(during.body, webhookHeaders(during));
    expect(JSON.parse(during.body)).toMatchObject({ type: "webhook.test" });

    await sendTestEvent(app.ctx.db, ep.id, SYSTEM_ACTOR, new Date());
    await deliver(new Date(Date.now() + 25 * 3_600_000));
    const after = receiver.received[1];
    new Webhook(fresh).verify(after.body, webhookHeaders(after));
    expect(() => new Webhook(old).verify(after.body, webhookHeaders(after))).toThrow();
  });

  it("resends one delivery and replays everything since a time, with the original event ids", async () => {
    const { receiver, endpoint: ep } = await endpoint();
    const since = new Date();
    const first = await pendingPayment();
    await payByCallback(first);
    const second = await pendingPayment();
    await payByCallback(second);
    await deliver();
    expect(receiver.received).toHaveLength(2);
    const ids = receiver.received.map((r) => r.headers["webhook-id"]);

    const [latest] = await listDeliveries(app.ctx.db, ep.id);
    await resendDelivery(app.ctx.db, ep.id, latest.id, SYSTEM_ACTOR);
    await deliver();
    expect(receiver.received[2].headers["webhook-id"]).toBe(latest.eventId);

    expect(await replaySince(app.ctx.db, ep.id, { since }, SYSTEM_ACTOR, new Date())).toBe(2);
    await deliver();
    expect(receiver.received.slice(3).map((r) => r.headers["webhook-id"])).toEqual(ids);
  });

  it("sends nothing to a disabled endpoint or for event types it did not choose", async () => {
    const { receiver, endpoint: ep } = await endpoint({ eventTypes: ["payment.failed"] });
    const due = await pendingPayment();
    await payByCallback(due);
    await updateWebhookEndpoint(
      app.ctx.db,
      app.ctx.config,
      ep.id,
      { url: ep.url, eventTypes: ["payment.paid"], role: "finance", enabled: false },
      SYSTEM_ACTOR,
      new Date(),
    );
    const other = await pendingPayment();
    await payByCallback(other);
    expect((await deliver()).claimed).toBe(0);
    expect(receiver.received).toHaveLength(0);
    const deliveries = await app.ctx.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, ep.id));
    // Not subscribed to the first event, disabled for the second: no delivery is even queued (an
    // admin who re-enables it can replay the gap).
    expect(deliveries).toHaveLength(0);
  });
});
