// npm run bench:intake — Daraja callbacks against the production build on PostgreSQL, next to a bare
// node:http "floor" that only inserts the raw body and updates one row in one transaction.
// Prints, from one run: the floor's rate, the app's acknowledged/s with p50/p99, and applied/s (first
// request → last stored row applied), on one instance or several behind one address (round-robin).
// Usage: npm run bench:intake -- [--callbacks 4000] [--concurrency 32] [--instances 1|2]
//        [--applier process|inline] (CALLBACK_APPLIER; the server's default on PostgreSQL is process)
//        [--hold-ms 3000] (CALLBACK_BURST_HOLD_MS: how long the applier process may hold off during a
//        burst; 0 applies alongside acknowledging, as before the burst gate)
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { Pool } from "undici";
import { seedPendingAttempts, stkBody as body } from "./intake-seed";
import { freePort, load, percentile, scratchDatabase, startServer } from "./support";

const { values } = parseArgs({
  options: {
    callbacks: { type: "string", default: "4000" },
    concurrency: { type: "string", default: "32" },
    instances: { type: "string", default: "1" },
    applier: { type: "string", default: "process" },
    "hold-ms": { type: "string", default: "3000" },
  },
});
const INSTANCES = Math.max(1, Number(values.instances));
const N = Number(values.callbacks);
const C = Number(values.concurrency);
const TOKEN = "bench-callback-token";

async function seedPending(url: string, n: number) {
  await seedPendingAttempts(url, n);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`create table if not exists floor_raw (id bigserial primary key, body bytea not null, received_at timestamptz not null default now())`;
  await sql`create table if not exists floor_rows (id int primary key, status text not null)`;
  await sql`insert into floor_rows select g, 'pending' from generate_series(0, ${n - 1}) g`;
  await sql.end();
}

async function floorServer(url: string) {
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  const port = await freePort();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const raw = Buffer.concat(chunks);
      const i = Number(/BENCH(\d+)/.exec(raw.toString())?.[1] ?? 0);
      await sql.begin(async (tx) => {
        await tx`insert into floor_raw (body) values (${raw})`;
        await tx`update floor_rows set status = 'paid' where id = ${i}`;
      });
      res
        .writeHead(200, { "Content-Type": "application/json" })
        .end('{"ResultCode":0,"ResultDesc":"Accepted"}');
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.close();
      await sql.end();
    },
  };
}

function report(name: string, r: { latencies: number[]; seconds: number }) {
  const rate = N / r.seconds;
  console.log(
    `${name.padEnd(8)} ${rate.toFixed(0).padStart(6)} callbacks/s   p50 ${percentile(r.latencies, 50).toFixed(1)} ms   p99 ${percentile(r.latencies, 99).toFixed(1)} ms`,
  );
  return rate;
}

async function main() {
  const scratch = await scratchDatabase("console_bench_intake");
  try {
    await seedPending(scratch.url, N);
    const floor = await floorServer(scratch.url);
    const apps: Awaited<ReturnType<typeof startServer>>[] = [];
    for (let k = 0; k < INSTANCES; k++)
      apps.push(
        await startServer({
          DATABASE_URL: scratch.url,
          MPESA_CALLBACK_TOKEN: TOKEN,
          POLLER_ENABLED: "false",
          START_SIMULATOR: "false",
          SEED_DEMO_DATA: "false",
          LOG_LEVEL: "info",
          DATABASE_POOL_MAX: "10",
          CALLBACK_APPLIER: values.applier,
          CALLBACK_BURST_HOLD_MS: values["hold-ms"],
        }),
      );
    // undici's Pool, not fetch: fetch cost the sender more CPU than a do-nothing server costs (README).
    const pools = new Map<string, Pool>();
    const pool = (origin: string) => {
      let p = pools.get(origin);
      if (!p) pools.set(origin, (p = new Pool(origin, { connections: C })));
      return p;
    };
    const post = async (target: string, i: number) => {
      const url = new URL(target);
      const r = await pool(url.origin).request({
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json;charset=UTF-8" },
        body: body(i),
      });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}`);
    };
    const hook = (i: number) => `${apps[i % apps.length].url}/hooks/daraja/stk/${TOKEN}`;
    // Warm both up on a few ids beyond N (unknown ids: orphans for the app) so JIT and pools are hot.
    await load(200, 8, (i) => post(floor.url, i));
    await load(200 * INSTANCES, 8, (i) => post(hook(i), N + i));
    const check = postgres(scratch.url, { max: 1 });
    const waitApplied = async () => {
      for (;;) {
        const [{ waiting }] =
          await check`select count(*)::int as waiting from raw_callbacks where outcome = 'received'`;
        if (waiting === 0) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await waitApplied();
    console.log(
      `${N} callbacks for distinct pending attempts, ${C} concurrent senders, ${INSTANCES} app instance(s), callbacks applied ${values.applier === "inline" ? "on the server's thread" : `by a child process (burst hold up to ${values["hold-ms"]} ms)`}, PostgreSQL 15 on this machine`,
    );
    const floorRate = report("floor", await load(N, C, (i) => post(floor.url, i)));
    const appStarted = performance.now();
    const ack = await load(N, C, (i) => post(hook(i), i));
    const ackRate = report("app ack", ack);
    // Acknowledged is not applied: applied/s runs from the first request to the last row applied.
    await waitApplied();
    const appliedSeconds = (performance.now() - appStarted) / 1000;
    const appliedRate = N / appliedSeconds;
    console.log(
      `applied  ${appliedRate.toFixed(0).padStart(6)} callbacks/s   (all ${N} applied ${appliedSeconds.toFixed(1)} s after the first was sent)`,
    );
    console.log(
      `acknowledged / floor ${(ackRate / floorRate).toFixed(2)}   applied / floor ${(appliedRate / floorRate).toFixed(2)} (target ≥ 0.60)   ack p99 ${percentile(ack.latencies, 99).toFixed(1)} ms (target < 50)`,
    );
    const [{ paid }] =
      await check`select count(*)::int as paid from payments where status = 'paid' and order_ref like 'BENCH-%'`;
    const outcomes =
      await check`select outcome, count(*)::int as n from raw_callbacks where checkout_request_id like 'ws_CO_BENCH%' group by outcome order by outcome`;
    console.log(
      `payments paid by the run: ${paid} of ${N}; raw rows: ${outcomes.map((o) => `${o.outcome} ${o.n}`).join(", ")}`,
    );
    await check.end();
    for (const p of pools.values()) await p.close();
    for (const app of apps) await app.stop();
    await floor.close();
  } finally {
    await scratch.drop();
  }
}

void main();
