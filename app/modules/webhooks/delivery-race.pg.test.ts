// Two instances delivering at once (PostgreSQL, many connections): SKIP LOCKED claims mean every
// event reaches the merchant exactly once, and none is left behind; and the two together keep only a
// few sends in flight to the one endpoint.
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/client";
import { webhookEndpoints } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../../tests/support/webhook-receiver";
import { deliverDueWebhooks } from "../../../tests/support/webhook-batch";
import { SYSTEM_ACTOR } from "../auth/staff-audit.server";
import { emitWebhookEvents } from "../ledger/outbox.server";
import { MAX_IN_FLIGHT_PER_ENDPOINT } from "./deliver.server";
import { createWebhookEndpoint, urlPolicyOf } from "./endpoints.server";

let app: TestApp;
let receiver: WebhookReceiver;
let inFlight = 0;
let mostInFlight = 0;
beforeAll(async () => {
  app = await startTestApp();
  // A slow receiver widens the window in which two workers could pick the same delivery.
  receiver = await startWebhookReceiver(async () => {
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    return 200;
  });
});
afterAll(async () => {
  await receiver?.close();
  await app?.close();
});

describe("webhook delivery across instances (PostgreSQL)", () => {
  it("two workers draining 300 events deliver each exactly once", async () => {
    await createWebhookEndpoint(
      app.ctx.db,
      app.ctx.config,
      { url: receiver.url, eventTypes: ["case.opened"], role: "admin" },
      SYSTEM_ACTOR,
    );
    // Events that name no payment, so ordering does not serialise them.
    for (let i = 0; i < 3; i += 1)
      await app.ctx.db.transaction((tx) =>
        emitWebhookEvents(
          tx,
          Array.from({ length: 100 }, () => ({ type: "case.opened" as const })),
        ),
      );
    const pending = async () => {
      const [row] = rowsOf<{ n: number }>(
        await app.ctx.db.execute(
          sql`select count(*)::int as n from webhook_deliveries where status = 'pending'`,
        ),
      );
      return row.n;
    };
    // Until nothing is left: a claim comes back empty while the other instance holds all of the
    // endpoint's places in flight.
    const worker = async (instanceId: string) => {
      let total = 0;
      while ((await pending()) > 0) {
        const run = await deliverDueWebhooks(app.ctx.db, {
          now: new Date(),
          instanceId,
          limit: 7,
          policy: urlPolicyOf(app.ctx.config),
        });
        total += run.delivered;
      }
      return total;
    };
    const [a, b] = await Promise.all([worker("instance-a"), worker("instance-b")]);
    expect(a + b).toBe(300);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    const ids = receiver.received.map((r) => String(r.headers["webhook-id"]));
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    // Each claim leaves the endpoint's live leases at most MAX_IN_FLIGHT_PER_ENDPOINT; two claims
    // made at the same instant cannot see each other's, so two instances may hold twice that.
    expect(mostInFlight).toBeLessThanOrEqual(2 * MAX_IN_FLIGHT_PER_ENDPOINT);
    const [left] = rowsOf<{ n: number }>(
      await app.ctx.db.execute(
        sql`select count(*)::int as n from webhook_deliveries where status <> 'delivered'`,
      ),
    );
    expect(left.n).toBe(0);
    await app.ctx.db.delete(webhookEndpoints);
  });
});
