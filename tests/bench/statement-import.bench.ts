// `npm run bench:statement [-- --lines 200000 --known 0.9 --history 0 --pglite --database-url
// URL]`: writes a generated M-PESA statement (realistic preamble, quoted thousands, ~3% failed
// rows, ~2% reversals) to a temp file, seeds paid payments for a share of its receipts (a working
// integration knows most of its money), then imports the file through `importStatement` exactly as
// the console and CLI do, and prints lines/s for the two phases and peak memory (RSS sampled every
// 20 ms). `--history N` first imports N earlier months of the same size (with their payments; not
// measured), so the measured import runs against a ledger that already holds N months of lines,
// payments and receipts, as a live one does. The database is --database-url, else
// BENCH_DATABASE_URL/DATABASE_URL (used as a scratch database: it gets rows), else a scratch
// database created and dropped on postgres://postgres@127.0.0.1:5432; --pglite uses PGlite files in
// a temp directory.
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { benchDatabaseUrl, loadConfig } from "../../app/config.server";
import { createContext, type AppContext } from "../../app/context.server";
import { createLog } from "../../app/lib/log.server";
import { fromEatWallClock } from "../../app/lib/time";
import {
  importStatement,
  importStatementFile,
} from "../../app/modules/reconciliation/import.server";
import { compactRef } from "../../app/modules/reconciliation/match-rules";
import { openDatabase, rowsOf, type Database } from "../../db/client";
import { migrate } from "../../db/migrate";
import { payments, receipts } from "../../db/schema";
import { generateStatementLines, statementCsvChunks } from "../support/statement-file";
import { scratchDatabase } from "./support";

const out = (line: string) => process.stdout.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MB`;
// The machine may be shared: every figure is printed beside the load average at the time.
const load = () =>
  `load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(", ")}`;
const SEED = 42;

/** A statement month: its generator's seed and its period (East Africa Time months, as M-PESA's). */
type Month = { seed: number; from: Date; to: Date };
/** Where the EAT month `index` months after January 2025 begins (Date.UTC carries the year). */
const eatMonthStart = (index: number): Date => {
  const first = new Date(Date.UTC(2025, index, 1));
  return fromEatWallClock(first.getUTCFullYear(), first.getUTCMonth() + 1, 1) as Date;
};
// March 2025, the generator's own default period.
const monthBefore = (monthsBack: number): Month => ({
  seed: SEED + monthsBack,
  from: eatMonthStart(2 - monthsBack),
  to: new Date(eatMonthStart(3 - monthsBack).getTime() - 1_000),
});
const MEASURED = monthBefore(0);

/** Writes one month's generated statement to `file` and returns its size in bytes. */
async function writeStatement(file: string, lines: number, month: Month): Promise<number> {
  await pipeline(
    Readable.from(
      statementCsvChunks({
        lines: generateStatementLines(lines, month.seed, month.from),
        from: month.from,
        to: month.to,
      }),
    ),
    createWriteStream(file),
  );
  return (await stat(file)).size;
}

function options() {
  const { values } = parseArgs({
    options: {
      lines: { type: "string", default: "200000" },
      known: { type: "string", default: "0.9" },
      history: { type: "string", default: "0" },
      pglite: { type: "boolean" },
      "database-url": { type: "string" },
    },
  });
  const lines = Number(values.lines);
  const known = Number(values.known);
  const history = Number(values.history);
  if (!Number.isInteger(lines) || lines < 1)
    throw new Error("--lines must be a positive whole number");
  if (!(known >= 0 && known <= 1))
    throw new Error(
      "--known must be between 0 and 1 (the share of paid-in receipts the system already knows)",
    );
  if (!Number.isInteger(history) || history < 0 || history > 24)
    throw new Error("--history must be a whole number of earlier months, 0 to 24");
  // The generator spaces lines about 11 s apart: more than this runs past the month's end.
  if (history > 0 && lines > 220_000)
    throw new Error("--history takes --lines up to 220000 (what a generated month holds)");
  return {
    lines,
    known,
    history,
    pglite: !!values.pglite,
    databaseUrl: values["database-url"] ?? benchDatabaseUrl(),
  };
}

async function openBenchDatabase(
  o: ReturnType<typeof options>,
  dir: string,
): Promise<{ database: Database; label: string; drop(): Promise<void> }> {
  if (o.pglite) {
    // On disk, as a PGlite deployment runs (in memory the whole database would count as our RSS).
    const database = await openDatabase({ dataDir: join(dir, "pglite") });
    await migrate(database.db);
    return { database, label: "PGlite (files in a temp directory)", drop: async () => {} };
  }
  const scratch = o.databaseUrl
    ? { url: o.databaseUrl, drop: async () => {} }
    : await scratchDatabase(`statement_bench_${process.pid}`);
  const database = await openDatabase({ databaseUrl: scratch.url, poolMax: 5 });
  await migrate(database.db);
  return {
    database,
    label: `PostgreSQL ${new URL(scratch.url).pathname.slice(1)}`,
    drop: scratch.drop,
  };
}

/** Paid payments (with their STK receipts) for a deterministic share of the file's Completed paid-in lines. */
async function seedKnownPayments(
  ctx: AppContext,
  count: number,
  share: number,
  month: Month = MEASURED,
): Promise<number> {
  let seeded = 0;
  let batch: { payment: typeof payments.$inferInsert; receipt: typeof receipts.$inferInsert }[] =
    [];
  // One JSON parameter per table and batch: seeding a million-line month takes minutes otherwise.
  const flush = async () => {
    if (!batch.length) return;
    const p = batch.map((b) => b.payment);
    const r = batch.map((b) => b.receipt);
    await ctx.db
      .execute(sql`insert into payments (id, order_ref, amount_kes, phone, description, account_reference, status, receipt, created_at, updated_at, paid_at, final_at)
      select id, "orderRef", "amountKes", phone, description, "accountReference", status, receipt, "createdAt", "updatedAt", "paidAt", "finalAt"
      from jsonb_to_recordset(${JSON.stringify(p)}::jsonb) as x(id uuid, "orderRef" text, "amountKes" bigint, phone text, description text,
        "accountReference" text, status text, receipt text, "createdAt" timestamptz, "updatedAt" timestamptz, "paidAt" timestamptz, "finalAt" timestamptz)`);
    await ctx.db
      .execute(sql`insert into receipts (receipt, amount_kes, payment_id, transaction_at, first_source, seen_in_callback)
      select receipt, "amountKes", "paymentId", "transactionAt", "firstSource", "seenInCallback"
      from jsonb_to_recordset(${JSON.stringify(r)}::jsonb) as x(receipt text, "amountKes" bigint, "paymentId" uuid, "transactionAt" timestamptz,
        "firstSource" text, "seenInCallback" boolean)`);
    seeded += batch.length;
    batch = [];
  };
  let i = 0;
  for (const line of generateStatementLines(count, month.seed, month.from)) {
    i += 1;
    // STK takes at most KES 250,000 (the payments table checks it); bigger sums arrive by bank or paybill.
    if (
      line.direction === "out" ||
      (line.status ?? "Completed") !== "Completed" ||
      line.amountKes > 250_000 ||
      (i * 7919) % 1000 >= share * 1000
    )
      continue;
    const id = randomUUID();
    const at = line.completedAt;
    batch.push({
      payment: {
        id,
        orderRef: `BENCH-${month.seed}-${i}`,
        amountKes: line.amountKes,
        phone: "254712345678",
        description: "bench",
        accountReference: compactRef(line.accountNo).slice(0, 12) || "BENCH",
        status: "paid",
        receipt: line.receipt,
        createdAt: new Date(at.getTime() - 40_000),
        updatedAt: at,
        paidAt: new Date(at.getTime() + 2_000),
        finalAt: at,
      },
      receipt: {
        receipt: line.receipt,
        amountKes: line.amountKes,
        paymentId: id,
        transactionAt: at,
        firstSource: "stk_callback",
        seenInCallback: true,
      },
    });
    if (batch.length === 5_000) await flush();
  }
  await flush();
  // A live database has been vacuumed and has statistics for its payments; fresh bulk rows would not
  // until autovacuum runs, and autovacuum would then run in the middle of the measured import.
  await ctx.db.execute(sql`vacuum analyze payments`);
  await ctx.db.execute(sql`vacuum analyze receipts`);
  return seeded;
}

/**
 * CPU seconds used so far by each server process of this database (PostgreSQL on this machine only:
 * read from /proc; null when they cannot be read). With the machine shared, wall time moves with the
 * load, CPU time much less: the figure to compare across runs.
 */
async function serverCpu(ctx: AppContext): Promise<Map<number, number> | null> {
  const pids = rowsOf<{ pid: number }>(
    await ctx.db.execute(sql`select pid from pg_stat_activity where datname = current_database()`),
  );
  const cpu = new Map<number, number>();
  for (const { pid } of pids) {
    try {
      // Fields after "pid (comm) ": state is the first; utime and stime (in 1/100 s) the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      return null;
    }
  }
  return cpu;
}

function serverCpuUsed(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  for (const [pid, seconds] of after) used += seconds - (before.get(pid) ?? 0);
  return used;
}

type Wal = { lsn: string; fullPages: number };

/**
 * Where the server's WAL stands (null where it cannot be read). An import's share is what a replica
 * receives and what checkpoints and archives carry; full-page images (pg_stat_wal) are the pages a
 * checkpoint made the import log whole the first time it changed them. Bytes come from the WAL
 * position, which every commit moves at once (pg_stat_wal's own counters may lag a little).
 */
async function walSoFar(ctx: AppContext): Promise<Wal | null> {
  try {
    const [row] = rowsOf<{ lsn: string; fpi: string }>(
      await ctx.db.execute(
        sql`select pg_current_wal_lsn()::text as lsn, (select wal_fpi from pg_stat_wal)::text as fpi`,
      ),
    );
    return row ? { lsn: row.lsn, fullPages: Number(row.fpi) } : null;
  } catch {
    return null;
  }
}

async function walBytesBetween(ctx: AppContext, from: Wal, to: Wal): Promise<number> {
  const [row] = rowsOf<{ bytes: string }>(
    await ctx.db.execute(
      sql`select pg_wal_lsn_diff(${to.lsn}::pg_lsn, ${from.lsn}::pg_lsn)::text as bytes`,
    ),
  );
  return Number(row?.bytes ?? 0);
}

async function main() {
  const o = options();
  const dir = await mkdtemp(join(tmpdir(), "statement-bench-"));
  const file = join(dir, "statement.csv");
  const { database, label, drop } = await openBenchDatabase(o, dir);
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    MPESA_ENVIRONMENT: "simulator",
    DARAJA_BASE_URL: "http://127.0.0.1:9",
  });
  const { ctx } = await createContext(config, {
    database,
    migrate: false,
    log: createLog("silent"),
  });
  try {
    let t0 = performance.now();
    for (let back = o.history; back >= 1; back--) {
      const month = monthBefore(back);
      const earlier = join(dir, `history-${back}.csv`);
      await writeStatement(earlier, o.lines, month);
      await seedKnownPayments(ctx, o.lines, o.known, month);
      const imported = await importStatement(ctx, {
        fileName: `history-${back}.csv`,
        input: createReadStream(earlier),
        actor: { kind: "system", label: "bench" },
      });
      await rm(earlier);
      // The month's last second in UTC is still in it (its first is the evening before, in UTC).
      out(`history: ${month.to.toISOString().slice(0, 7)} ${imported.message}`);
    }
    if (o.history > 0) {
      // As a live database would be a month later: vacuumed, analyzed, and checkpointed (else the
      // checkpoint the history's writes started runs through the measured import).
      const tables = [
        "statement_lines",
        "statement_staging",
        "exceptions",
        "payments",
        "receipts",
        "payment_events",
      ];
      for (const table of tables) await ctx.db.execute(sql.raw(`vacuum analyze ${table}`));
      // CHECKPOINT takes a superuser (or pg_checkpoint); without it the figure may include one.
      if (!o.pglite)
        await ctx.db.execute(sql`checkpoint`).catch((error: unknown) => {
          out(`history: no checkpoint before measuring (${String(error)})`);
        });
      out(
        `history: ${o.history} earlier month(s) imported in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`,
      );
      t0 = performance.now();
    }
    const size = await writeStatement(file, o.lines, MEASURED);
    out(
      `${label}; generated ${o.lines.toLocaleString("en-KE")} lines (${mb(size)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    t0 = performance.now();
    const seeded = await seedKnownPayments(ctx, o.lines, o.known);
    out(
      `seeded ${seeded.toLocaleString("en-KE")} paid payments with receipts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const steps: string[] = [];
    out(`importing; ${load()}`);
    const server0 = o.pglite ? null : await serverCpu(ctx);
    const wal0 = await walSoFar(ctx);
    const cpu0 = process.cpuUsage();
    t0 = performance.now();
    const result = await importStatement(ctx, {
      fileName: "bench.csv",
      input: createReadStream(file),
      actor: { kind: "system", label: "bench" },
      trace: (step, ms) => steps.push(`${step} ${(ms / 1000).toFixed(1)} s`),
    });
    const seconds = (performance.now() - t0) / 1000;
    // On a loaded machine wall time says little; CPU time of this process (with PGlite, the database's
    // too) says what the import itself cost.
    const cpu = process.cpuUsage(cpu0);
    const server1 = server0 ? await serverCpu(ctx) : null;
    const wal1 = wal0 ? await walSoFar(ctx) : null;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    const s = result.summary;
    const t = s.timings ?? { storeMs: 0, matchMs: 0 };
    const rate = (n: number, ms: number) =>
      `${Math.round(n / (ms / 1000)).toLocaleString("en-KE")} lines/s`;
    out(result.message);
    out(
      `parse + store: ${(t.storeMs / 1000).toFixed(1)} s (${rate(s.lines, t.storeMs)}); matching: ${(t.matchMs / 1000).toFixed(1)} s (${rate(s.lines, t.matchMs)})`,
    );
    out(`steps: ${steps.join(", ")}`);
    out(`total: ${seconds.toFixed(1)} s, ${rate(s.lines, seconds * 1000)}; ${load()}`);
    out(
      `CPU of this process while importing: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s${o.pglite ? " (PGlite runs in it)" : " (PostgreSQL's own is not counted)"}`,
    );
    if (!o.pglite)
      out(
        server0 && server1
          ? `CPU of PostgreSQL's processes for this database while importing: ${serverCpuUsed(server0, server1).toFixed(1)} s`
          : "CPU of PostgreSQL's processes: not readable from /proc (not on this machine?)",
      );
    out(
      wal0 && wal1
        ? `WAL written while importing (${o.pglite ? "the embedded database's own" : "the whole server"}): ${mb(await walBytesBetween(ctx, wal0, wal1))}, ${(wal1.fullPages - wal0.fullPages).toLocaleString("en-KE")} full-page images`
        : "WAL written: not readable (pg_stat_wal)",
    );
    out(
      `memory: RSS ${mb(baseline)} before, peak ${mb(peak)} (+${mb(peak - baseline)}) while importing a ${mb(size)} file`,
    );
    t0 = performance.now();
    const again = await importStatementFile(ctx, {
      path: file,
      actor: { kind: "system", label: "bench" },
    });
    out(
      `re-import of the same file (as the CLI does it): ${again.status} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  } finally {
    await database.close();
    await drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  // Drizzle's message repeats the whole query with its parameters; the cause is what matters.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  process.stderr.write(`${cause instanceof Error ? cause.stack : String(cause)}\n`);
  process.exitCode = 1;
});
