// `npm run bench:poller`: one sweep over 10,000 due attempts against the in-process simulator on
// PostgreSQL, with the query budget raised out of the way; prints queries/s and database time per
// attempt. Uses BENCH_DATABASE_URL as is (a scratch database: it gets rows), or creates and drops a
// scratch database on postgres://postgres@127.0.0.1:5432. BENCH_ATTEMPTS and BENCH_MAX_QPS override.
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { loadConfig } from "../../app/config.server";
import { createContext } from "../../app/context.server";
import { createLog } from "../../app/lib/log.server";
import { sweepDuePayments } from "../../app/modules/payments/poller.server";
import { createSimulator } from "../../simulator/server";
import { insertDueAttempts } from "../support/due-attempts";

const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 10_000);
const MAX_QPS = process.env.BENCH_MAX_QPS ?? "1000";
const out = (line: string) => process.stdout.write(`${line}\n`);

async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL)
    return { url: process.env.BENCH_DATABASE_URL, drop: async () => {} };
  const admin = "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `poller_bench_${randomBytes(4).toString("hex")}`;
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  await sql.unsafe(`create database ${name}`);
  await sql.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const cleanup = postgres(admin, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

async function main() {
  const scratch = await scratchDatabase();
  const simulator = createSimulator({ seed: "bench", latencyMs: 0 });
  const { url: simulatorUrl } = await simulator.listen(0, "127.0.0.1");
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    MPESA_ENVIRONMENT: "simulator",
    DARAJA_BASE_URL: simulatorUrl,
    DATABASE_URL: scratch.url,
    DATABASE_POOL_MAX: "20",
    POLL_MAX_QPS: MAX_QPS,
  });
  const { ctx, database } = await createContext(config, { log: createLog("silent") });
  try {
    let t0 = performance.now();
    const created = await fetch(`${simulatorUrl}/__sim/transactions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ count: ATTEMPTS, outcome: "lost_callback" }),
    });
    const { checkoutRequestIds } = (await created.json()) as { checkoutRequestIds: string[] };
    await insertDueAttempts(ctx.db, checkoutRequestIds);
    await ctx.daraja.tokens.getToken(); // OAuth once, outside the measurement
    out(`setup: ${ATTEMPTS} due attempts in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    t0 = performance.now();
    const run = await sweepDuePayments(ctx, { trigger: "cli" });
    const seconds = (performance.now() - t0) / 1000;
    const perQuery = (ms: number) => (ms / Math.max(1, run.queried)).toFixed(2);
    const counted = simulator.snapshot().counts.queries;
    out(
      `sweep: ${run.status}, ${run.queried} queried, ${run.changed} changed, ${run.errors} errors in ${seconds.toFixed(2)} s (simulator counted ${counted})`,
    );
    out(`queries/s: ${(run.queried / seconds).toFixed(0)} (POLL_MAX_QPS ${MAX_QPS})`);
    out(
      `database time per attempt: ${perQuery(run.dbMs)} ms (claim, rate slot, answer transaction, release; summed over workers)`,
    );
    out(
      `Daraja round trip per query: ${perQuery(run.queryMs)} ms (HTTP to the simulator plus the daraja_calls row)`,
    );
    if (run.queried !== ATTEMPTS || counted !== ATTEMPTS) process.exitCode = 1;
  } finally {
    await simulator.close();
    await database.close();
    await scratch.drop();
  }
}

main().catch((error) => {
  process.stderr.write(
    `bench:poller failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
