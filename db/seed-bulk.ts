// `npm run seed:bulk -- --payments 1000000 [--days 365] [--batch 50000] [--database-url URL]`
// Fills a database (BENCH_DATABASE_URL, else DATABASE_URL) with a year of realistic traffic for the
// console benchmark: payments with their attempts, receipts, raw callbacks, timeline and exceptions,
// plus one bench user per role. Appends (each run has its own tag), so run it on a scratch database.
import { sql } from "drizzle-orm";
import { randomInt } from "node:crypto";
import { parseArgs } from "node:util";
import { benchDatabaseUrl } from "../app/config.server";
import { createUser } from "../app/modules/auth/users.server";
import { rebuildPaymentStats } from "../app/modules/reports/stats.server";
import { openDatabase, rowsOf, type Db } from "./client";
import { migrate } from "./migrate";
import { ROLES } from "./schema";
import { ANALYZE_TABLES, extrasSql, fanOutSql, reasonsTableSql, stagingSql } from "./seed-bulk-sql";

export const BENCH_PASSWORD = "bench-password-123";
export const benchEmail = (role: string) => `bench-${role}@bench.test`;

const out = (line: string) => process.stdout.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      payments: { type: "string", default: "100000" },
      days: { type: "string", default: "365" },
      batch: { type: "string", default: "50000" },
      "database-url": { type: "string" },
    },
  });
  const int = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be a whole number between ${min} and ${max}`);
    return n;
  };
  return {
    payments: int("payments", values.payments!, 1, 50_000_000),
    days: int("days", values.days!, 1, 3650),
    batch: int("batch", values.batch!, 100, 500_000),
    databaseUrl: values["database-url"] ?? benchDatabaseUrl(),
  };
}

/** One bench user per role (idempotent); returns the admin's id for the staff audit rows. */
export async function ensureBenchUsers(db: Db): Promise<string> {
  for (const role of ROLES) {
    const [existing] = rowsOf<{ id: string }>(
      await db.execute(sql`select id from users where lower(email) = ${benchEmail(role)}`),
    );
    if (!existing)
      await createUser(db, {
        email: benchEmail(role),
        name: `Bench ${role}`,
        role,
        password: BENCH_PASSWORD,
      });
  }
  const [admin] = rowsOf<{ id: string }>(
    await db.execute(sql`select id from users where lower(email) = ${benchEmail("admin")}`),
  );
  return admin.id;
}

/** The rollup's triggers on payments (migration 0031). */
const STATS_TRIGGERS = [
  "payments_stats_inserted",
  "payments_stats_updated",
  "payments_stats_deleted",
];

export async function seedBulk(
  db: Db,
  opts: { payments: number; days: number; batch: number },
  log: (line: string) => void = out,
) {
  const run = String.fromCharCode(65 + randomInt(26), 65 + randomInt(26));
  const adminId = await ensureBenchUsers(db);
  const started = Date.now();
  // The reporting rollup is recounted once at the end instead of a trigger delta per row.
  await db.execute(
    sql`alter table payments ${sql.raw(STATS_TRIGGERS.map((t) => `disable trigger ${t}`).join(", "))}`,
  );
  try {
    await seedBatches(db, run, opts, started, log);
  } finally {
    await db.execute(
      sql`alter table payments ${sql.raw(STATS_TRIGGERS.map((t) => `enable trigger ${t}`).join(", "))}`,
    );
    await rebuildPaymentStats(db);
  }
  for (const statement of extrasSql(run, adminId, opts.payments))
    await db.execute(sql.raw(statement));
  // Fresh statistics and a set visibility map: the planner picks the right indexes and index-only scans work.
  for (const table of ANALYZE_TABLES) await db.execute(sql.raw(`vacuum (analyze) ${table}`));
  return { run, seconds: (Date.now() - started) / 1000 };
}

async function seedBatches(
  db: Db,
  run: string,
  opts: { payments: number; days: number; batch: number },
  started: number,
  log: (line: string) => void,
) {
  for (let lo = 1; lo <= opts.payments; lo += opts.batch) {
    const hi = Math.min(opts.payments, lo + opts.batch - 1);
    await db.transaction(async (tx) => {
      // A lost seed batch costs nothing, so skip waiting for the WAL flush.
      await tx.execute(sql`set local synchronous_commit = off`);
      await tx.execute(sql.raw(reasonsTableSql()));
      await tx.execute(sql.raw(stagingSql({ run, lo, hi, days: opts.days, total: opts.payments })));
      for (const statement of fanOutSql()) await tx.execute(sql.raw(statement));
    });
    const seconds = (Date.now() - started) / 1000;
    log(
      `  ${hi.toLocaleString("en")} / ${opts.payments.toLocaleString("en")} payments  (${seconds.toFixed(0)} s, ${Math.round(hi / seconds).toLocaleString("en")}/s)`,
    );
  }
}

async function main() {
  const opts = options();
  if (!opts.databaseUrl)
    throw new Error(
      "Set BENCH_DATABASE_URL (or DATABASE_URL, or --database-url) to a scratch PostgreSQL database.",
    );
  const database = await openDatabase({ databaseUrl: opts.databaseUrl, poolMax: 2 });
  try {
    await migrate(database.db);
    out(
      `Seeding ${opts.payments.toLocaleString("en")} payments over ${opts.days} days into ${new URL(opts.databaseUrl).pathname.slice(1)}…`,
    );
    const result = await seedBulk(database.db, opts);
    out(
      `Done in ${result.seconds.toFixed(0)} s (run tag ${result.run}). Bench users: ${benchEmail("<role>")} / ${BENCH_PASSWORD}`,
    );
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    // drizzle wraps the driver's error; its cause carries PostgreSQL's message.
    const cause =
      error instanceof Error && error.cause instanceof Error ? `\n${error.cause.message}` : "";
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}${cause}\n`);
    process.exit(1);
  });
}
