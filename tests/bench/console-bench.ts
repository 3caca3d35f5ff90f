// `npm run bench:console [-- --n 30 --only payments --strict]`: calls every page loader and API list in
// tests/bench/routes.ts against a seeded PostgreSQL database (BENCH_DATABASE_URL; fill it with
// `npm run seed:bulk`), as a signed-in admin with real Requests, and prints p50/p95 per route against
// its budget. Loaders run one at a time, so the figures are per request, not under load.
import { sql } from "drizzle-orm";
import { readdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchDatabaseUrl, loadConfig } from "../../app/config.server";
import { createContext, type AppContext } from "../../app/context.server";
import { createLog } from "../../app/lib/log.server";
import { addDays, eatDay } from "../../app/lib/time";
import { CLIENT_IP_HEADER } from "../../app/lib/http.server";
import { createStaffSession } from "../../app/modules/auth/sessions.server";
import { rowsOf } from "../../db/client";
import { benchEmail, ensureBenchUsers } from "../../db/seed-bulk";
import { BENCH_ROUTES, NOT_MEASURED_ON_PURPOSE, type Samples } from "./routes";

const ROUTES_DIR = new URL("../../app/routes/", import.meta.url);
const out = (line = "") => process.stdout.write(`${line}\n`);

type Loader = (args: {
  request: Request;
  params: Record<string, string>;
  context: AppContext;
}) => Promise<unknown>;

async function samples(ctx: AppContext): Promise<Samples> {
  const one = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await ctx.db.execute(query))[0];
  // Recent rows, as people look things up: yesterday's paid payment, an open exception.
  const paid = await one<{ id: string; receipt: string; order_ref: string; phone: string }>(
    sql`select id, receipt, order_ref, phone from payments where status = 'paid' and created_at < now() - interval '1 day' order by created_at desc limit 1`,
  );
  if (!paid)
    throw new Error(
      "The bench database has no paid payments; run `npm run seed:bulk -- --payments 1000000` first.",
    );
  const attempt = await one<{ checkout_request_id: string }>(
    sql`select checkout_request_id from stk_attempts where payment_id = ${paid.id} order by seq desc limit 1`,
  );
  const exception = await one<{ id: string }>(
    sql`select id from exceptions where status = 'open' order by opened_at desc limit 1`,
  );
  const callback = await one<{ id: number }>(
    sql`select id from raw_callbacks where payment_id = ${paid.id} limit 1`,
  );
  const statement = await one<{ id: string }>(
    sql`select id from statement_imports order by imported_at desc limit 1`,
  );
  const today = eatDay(ctx.now());
  return {
    today,
    yearAgo: addDays(today, -364),
    paymentId: paid.id,
    receipt: paid.receipt,
    orderRef: paid.order_ref,
    phone: paid.phone,
    checkoutRequestId: attempt?.checkout_request_id ?? "",
    exceptionId: exception?.id ?? "",
    callbackId: String(callback?.id ?? ""),
    importId: statement?.id ?? null,
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function timeRoute(
  ctx: AppContext,
  loader: Loader,
  url: string,
  params: Record<string, string>,
  cookie: string,
  n: number,
) {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < n + 2; i++) {
    const request = new Request(`http://bench.local${url}`, {
      headers: { Cookie: cookie, [CLIENT_IP_HEADER]: "127.0.0.1" },
    });
    const started = performance.now();
    let response: unknown;
    try {
      response = await loader({ request, params, context: ctx });
    } catch (thrown) {
      response = thrown;
    }
    // Serialising the body is part of answering: read it before stopping the clock.
    if (response instanceof Response) {
      status = response.status;
      await response.arrayBuffer();
    } else status = 200;
    if (i >= 2) times.push(performance.now() - started); // two warm-up calls fill caches and pools
  }
  times.sort((a, b) => a - b);
  return {
    status,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    max: times[times.length - 1],
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "30" },
      only: { type: "string" },
      strict: { type: "boolean", default: false },
    },
  });
  const n = Math.max(3, Number(values.n) || 30);
  const databaseUrl = benchDatabaseUrl();
  if (!databaseUrl)
    throw new Error(
      "Set BENCH_DATABASE_URL to the PostgreSQL database `npm run seed:bulk` filled.",
    );
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: "10",
    POLLER_ENABLED: "false",
    DARAJA_BASE_URL: "http://127.0.0.1:9",
  });
  const { ctx, database } = await createContext(config, { log: createLog("silent") });
  try {
    await ensureBenchUsers(ctx.db);
    const [admin] = rowsOf<{ id: string }>(
      await ctx.db.execute(sql`select id from users where lower(email) = ${benchEmail("admin")}`),
    );
    const cookie = (
      await createStaffSession(ctx, admin.id, { ip: "127.0.0.1", userAgent: "bench" })
    ).split(";")[0];
    const s = await samples(ctx);
    const [{ n: paymentCount }] = rowsOf<{ n: string }>(
      await ctx.db.execute(sql`select count(*) as n from payments`),
    );
    out(
      `Console bench: ${Number(paymentCount).toLocaleString("en")} payments, ${n} calls per route (after 2 warm-up), signed in as ${benchEmail("admin")}\n`,
    );
    out(
      `${"route".padEnd(34)} ${"status".padStart(6)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"max ms".padStart(8)} ${"budget".padStart(7)}  url`,
    );

    const files = new Set(readdirSync(ROUTES_DIR));
    let slow = 0;
    for (const route of BENCH_ROUTES) {
      if (values.only && !route.name.includes(values.only)) continue;
      const url = route.url(s);
      if (!files.has(route.file) || url === null) {
        out(
          `${route.name.padEnd(34)} ${"—".padStart(6)}  skipped: ${files.has(route.file) ? "no sample row" : `app/routes/${route.file} does not exist yet`}`,
        );
        continue;
      }
      const mod = (await import(new URL(route.file, ROUTES_DIR).href)) as { loader?: Loader };
      if (!mod.loader) continue;
      const r = await timeRoute(ctx, mod.loader, url, route.params?.(s) ?? {}, cookie, n);
      const over = r.p95 > route.target || r.status >= 400;
      if (over) slow++;
      out(
        `${route.name.padEnd(34)} ${String(r.status).padStart(6)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)} ${String(route.target).padStart(7)}${over ? " SLOW" : "     "} ${url}`,
      );
    }
    const measured = new Set(BENCH_ROUTES.map((r) => r.file));
    const missing = [...files].filter(
      (f) =>
        /\.tsx?$/.test(f) &&
        !measured.has(f) &&
        !NOT_MEASURED_ON_PURPOSE.test(f) &&
        /export (async )?function loader/.test(readFileSync(new URL(f, ROUTES_DIR), "utf8")),
    );
    if (missing.length) out(`\nLoaders not in tests/bench/routes.ts yet: ${missing.join(", ")}`);
    out(slow ? `\n${slow} route(s) over budget or failing.` : "\nEvery route within budget.");
    if (slow && values.strict) process.exitCode = 1;
  } finally {
    await database.close();
  }
}

main().catch((error) => {
  const cause =
    error instanceof Error && error.cause instanceof Error ? `\n${error.cause.message}` : "";
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}${cause}\n`);
  process.exit(1);
});
