// npm run bench:intake-profile — counts the SQL statements of callback intake on PostgreSQL, per
// callback, split into the acknowledgement (the hook route, called as Remix calls it) and the applier
// (`applyStoredCallbacks` until nothing is left). The output calls them round trips; postgres.js sends
// an unprepared statement that has parameters in two (describe, then execute). Counts do not depend
// on the machine's load, so they are the figure to compare before and after a change; the bench gives
// the rates.
// Usage: npm run bench:intake-profile -- [--callbacks 500] [--duplicates 1] [--batch 100]
// (--batch: the applier's claim limit; 100 is what the app uses on PostgreSQL, app/context.server.ts)
import { parseArgs } from "node:util";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { loadConfig } from "../../app/config.server";
import { createContext } from "../../app/context.server";
import { createLog } from "../../app/lib/log.server";
import { applyStoredCallbacks } from "../../app/modules/callbacks/queue.server";
import { action as stkHook } from "../../app/routes/hooks.daraja.stk.$token";
import type { Db } from "../../db/client";
import * as schema from "../../db/schema";
import { scratchDatabase } from "./support";
import { seedPendingAttempts, stkBody } from "./intake-seed";

const { values } = parseArgs({
  options: {
    callbacks: { type: "string", default: "500" },
    duplicates: { type: "string", default: "1" },
    batch: { type: "string", default: "100" },
  },
});
const N = Number(values.callbacks);
const COPIES = Math.max(1, Number(values.duplicates));
const BATCH = Math.max(1, Number(values.batch));
const TOKEN = "profile-callback-token";

/** A statement's kind, for the table: savepoints, locks, reads and writes by table. */
function kindOf(query: string): string {
  const q = query.trim().replace(/\s+/g, " ").toLowerCase();
  if (/^(savepoint|release savepoint|rollback to savepoint)/.test(q)) return "savepoint";
  if (/^(begin|commit|rollback)/.test(q)) return q.split(" ")[0];
  if (q.includes("pg_advisory_xact_lock")) return "advisory lock";
  const table = /(?:from|into|update) "?([a-z_]+)"?/.exec(q)?.[1] ?? "?";
  const verb = q.split(" ")[0];
  const locking = / for (update|share)/.test(q) ? " for update" : "";
  return `${verb} ${table}${locking}`;
}

async function main() {
  const scratch = await scratchDatabase("console_profile_intake");
  let phase = "setup";
  const counts = new Map<string, Map<string, number>>();
  const client = postgres(scratch.url, {
    max: 10,
    onnotice: () => {},
    connection: { TimeZone: "UTC" },
    debug: (_connection, query) => {
      const byKind = counts.get(phase) ?? new Map<string, number>();
      counts.set(phase, byKind);
      const kind = kindOf(query);
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    },
  });
  try {
    await seedPendingAttempts(scratch.url, N);
    const db = drizzle({ client, schema }) as unknown as Db;
    const config = loadConfig({
      NODE_ENV: "production",
      LOG_LEVEL: "silent",
      SESSION_SECRET: "profile-session-secret-long-enough-1234",
      DATABASE_URL: scratch.url,
      MPESA_CALLBACK_TOKEN: TOKEN,
      POLLER_ENABLED: "false",
    });
    const { ctx } = await createContext(config, {
      database: { db, driver: "postgres", close: async () => {} },
      migrate: false,
      log: createLog("silent"),
    });
    // Only the explicit calls below apply anything (no background applier in this count).
    ctx.callbackQueue = { ...ctx.callbackQueue, wake: () => {} };

    phase = "acknowledge";
    const acked = N * COPIES;
    for (let copy = 0; copy < COPIES; copy++)
      for (let i = 0; i < N; i++) {
        const response = await stkHook({
          request: new Request(`http://127.0.0.1/hooks/daraja/stk/${TOKEN}`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-console-client-ip": "127.0.0.1" },
            body: stkBody(i),
          }),
          params: { token: TOKEN },
          context: ctx,
        });
        if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      }
    phase = "apply";
    const started = performance.now();
    let batches = 0;
    for (;;) {
      const { claimed, failed } = await applyStoredCallbacks(ctx, { limit: BATCH });
      if (failed) throw new Error(`${failed} callbacks failed to apply`);
      if (claimed === 0) break;
      batches += 1;
    }
    const applySeconds = (performance.now() - started) / 1000;
    phase = "done";
    const [{ paid }] =
      await client`select count(*)::int as paid from payments where status = 'paid'`;

    console.log(
      `${acked} callbacks (${N} pending attempts × ${COPIES}), applied in ${batches} batches of ≤ ${BATCH} by one worker in ${applySeconds.toFixed(1)} s (${(acked / applySeconds).toFixed(0)}/s, no concurrent load); ${paid} of ${N} payments paid`,
    );
    for (const name of ["acknowledge", "apply"]) {
      const byKind = [...(counts.get(name) ?? new Map<string, number>()).entries()].sort(
        (a, b) => b[1] - a[1],
      );
      const total = byKind.reduce((sum, [, n]) => sum + n, 0);
      console.log(`\n${name}: ${(total / acked).toFixed(2)} round trips per callback`);
      for (const [kind, n] of byKind)
        console.log(`  ${(n / acked).toFixed(2).padStart(6)}  ${kind}`);
    }
  } finally {
    await client.end();
    await scratch.drop();
  }
}

void main();
