// npm run bench:webhooks — merchant webhooks on PostgreSQL, in process:
// 1. the outbox's cost on callback intake: the same success callbacks stored and applied (4 appliers,
//    batches of 25, as the server runs them) with no endpoint registered, then with one endpoint that
//    wants every event (each paid payment then also writes a delivery row), alternating rounds;
// 2. delivery throughput: two workers (as two instances would) signing and POSTing the deliveries
//    to a local receiver that answers 204 at once;
// 3. the outbox statement alone: a payment update per transaction, with and without the event.
// Usage: npm run bench:webhooks -- [--callbacks 2000] [--rounds 2]
import { createServer } from "node:http";
import { execSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { loadConfig } from "../../app/config.server";
import { rowsOf } from "../../db/client";
import { createContext, type AppContext } from "../../app/context.server";
import { createLog } from "../../app/lib/log.server";
import { recordCallback } from "../../app/modules/callbacks/intake.server";
import { applyStoredCallbacks } from "../../app/modules/callbacks/queue.server";
import { SYSTEM_ACTOR } from "../../app/modules/auth/staff-audit.server";
import { emitWebhookEvents } from "../../app/modules/ledger/outbox.server";
import { WEBHOOK_EVENT_TYPES } from "../../app/modules/ledger/webhook-events";
import { sql as dsql } from "drizzle-orm";
import { createWebhookEndpoint } from "../../app/modules/webhooks/endpoints.server";
import { runWebhookDeliveries } from "../../app/modules/webhooks/worker.server";
import { scratchDatabase } from "./support";

const { values } = parseArgs({
  options: {
    callbacks: { type: "string", default: "2000" },
    rounds: { type: "string", default: "2" },
  },
});
const N = Number(values.callbacks);
const ROUNDS = Number(values.rounds);
const out = (line: string) => process.stdout.write(`${line}\n`);
const load = () => execSync("uptime").toString().trim();

const callbackBody = (id: string, receipt: string) =>
  new TextEncoder().encode(
    JSON.stringify({
      Body: {
        stkCallback: {
          MerchantRequestID: "m-1",
          CheckoutRequestID: id,
          ResultCode: 0,
          ResultDesc: "The service request is processed successfully.",
          CallbackMetadata: {
            Item: [
              { Name: "Amount", Value: 100 },
              { Name: "MpesaReceiptNumber", Value: receipt },
              { Name: "TransactionDate", Value: 20251124101539 },
              { Name: "PhoneNumber", Value: 254712345678 },
            ],
          },
        },
      },
    }),
  );

/** N pending payments, their callbacks stored; returns applied/s for draining them. */
async function intakeRound(ctx: AppContext, url: string, tag: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`insert into payments (id, order_ref, amount_kes, phone, description, account_reference, status)
    select md5(${tag} || g)::uuid, ${tag} || '-' || g, 100, '254712345678', '', 'B' || g, 'pending' from generate_series(0, ${N - 1}) g`;
  await sql`insert into stk_attempts (payment_id, seq, phone, amount_kes, status, checkout_request_id)
    select md5(${tag} || g)::uuid, 1, '254712345678', 100, 'pending', 'ws_CO_' || ${tag} || lpad(g::text, 8, '0') from generate_series(0, ${N - 1}) g`;
  await sql.end();
  for (let i = 0; i < N; i += 1)
    await recordCallback(ctx, {
      kind: "stk",
      tokenValid: true,
      body: callbackBody(
        `ws_CO_${tag}${String(i).padStart(8, "0")}`,
        `${tag.slice(0, 3).toUpperCase()}${String(i).padStart(7, "0")}`,
      ),
      sizeBytes: 400,
      headers: new Headers(),
      sourceIp: "127.0.0.1",
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (;;) if ((await applyStoredCallbacks(ctx, { limit: 25 })).claimed === 0) return;
    }),
  );
  return N / ((performance.now() - t0) / 1000);
}

/**
 * The outbox statement alone: `count` transactions that each update a payment, with and without the
 * outbox write for it (sequential, one connection at a time: per-transaction milliseconds).
 */
async function outboxStatementCost(ctx: AppContext, count: number) {
  const ids = rowsOf<{ id: string }>(
    await ctx.db.execute(dsql`select id from payments limit ${count}`),
  ).map((r) => r.id);
  const time = async (withOutbox: boolean) => {
    const t0 = performance.now();
    for (const id of ids)
      await ctx.db.transaction(async (tx) => {
        await tx.execute(dsql`update payments set updated_at = now() where id = ${id}`);
        if (withOutbox) await emitWebhookEvents(tx, [{ type: "payment.paid", paymentId: id }]);
      });
    return (performance.now() - t0) / ids.length;
  };
  const bare = [await time(false), await time(false)];
  const outbox = [await time(true), await time(true)];
  return { bare: Math.min(...bare), outbox: Math.min(...outbox) };
}

async function setEndpointsEnabled(url: string, enabled: boolean) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`update webhook_endpoints set enabled = ${enabled}`;
  await sql.end();
}

async function main() {
  const scratch = await scratchDatabase(`webhooks_bench_${randomBytes(4).toString("hex")}`);
  const receiver = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    MPESA_ENVIRONMENT: "simulator",
    DATABASE_URL: scratch.url,
    DATABASE_POOL_MAX: "20",
  });
  const { ctx, database } = await createContext(config, { log: createLog("silent") });
  try {
    out(`webhooks benchmark: ${N} callbacks per round, ${ROUNDS} rounds each way`);
    out(`load before: ${load()}`);
    const without: number[] = [];
    const withEndpoint: number[] = [];
    let endpointAdded = false;
    // Alternate so a change in the machine's load hits both sides alike; the endpoint, once added,
    // is disabled for the "without" rounds (a disabled endpoint gets no deliveries).
    for (let round = 0; round < ROUNDS; round += 1) {
      await setEndpointsEnabled(scratch.url, false);
      without.push(await intakeRound(ctx, scratch.url, `nw${round}x`));
      if (!endpointAdded) {
        await createWebhookEndpoint(
          ctx.db,
          ctx.config,
          {
            url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
            eventTypes: [...WEBHOOK_EVENT_TYPES],
            role: "support",
          },
          SYSTEM_ACTOR,
        );
        endpointAdded = true;
      }
      await setEndpointsEnabled(scratch.url, true);
      withEndpoint.push(await intakeRound(ctx, scratch.url, `we${round}x`));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    out(
      `intake applied/s, no endpoint:   ${without.map((x) => x.toFixed(0)).join(", ")} (mean ${mean(without).toFixed(0)})`,
    );
    out(
      `intake applied/s, one endpoint:  ${withEndpoint.map((x) => x.toFixed(0)).join(", ")} (mean ${mean(withEndpoint).toFixed(0)})`,
    );
    out(
      `added cost per callback with an endpoint: ${(1000 / mean(withEndpoint) - 1000 / mean(without)).toFixed(2)} ms (${((mean(without) / mean(withEndpoint) - 1) * 100).toFixed(1)}%)`,
    );
    out(`load after intake: ${load()}`);

    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    const [{ n }] = await sql<{ n: number }[]>`
      select count(*)::int as n from webhook_deliveries where status = 'pending'`;
    await sql.end();
    const t0 = performance.now();
    let delivered = 0;
    await Promise.all(
      ["bench-a", "bench-b"].map(async (instanceId) => {
        for (;;) {
          // The loop the server's job runs (twenty sends in flight, claiming again as they end).
          const run = await runWebhookDeliveries({ ...ctx, instanceId });
          delivered += run.delivered;
          if (run.claimed > 0) continue;
          // Nothing claimable: done, unless the other worker holds every place an endpoint has in
          // flight (MAX_IN_FLIGHT_PER_ENDPOINT) and more is pending behind them.
          const [{ left }] = rowsOf<{ left: number }>(
            await ctx.db.execute(
              dsql`select count(*)::int as left from webhook_deliveries where status = 'pending'`,
            ),
          );
          if (left === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    out(
      `deliveries: ${delivered} of ${n} in ${seconds.toFixed(1)} s = ${(delivered / seconds).toFixed(0)}/s (2 workers, 20 sends in flight each)`,
    );
    out(`load after delivery: ${load()}`);
    for (const enabled of [false, true]) {
      await setEndpointsEnabled(scratch.url, enabled);
      const cost = await outboxStatementCost(ctx, 500);
      out(
        `outbox statement, ${enabled ? "one endpoint" : "no endpoint"}: transaction ${cost.bare.toFixed(2)} ms bare, ${cost.outbox.toFixed(2)} ms with the event (+${(cost.outbox - cost.bare).toFixed(2)} ms)`,
      );
    }
    out(`load at the end: ${load()}`);
  } finally {
    await database.close();
    receiver.close();
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
