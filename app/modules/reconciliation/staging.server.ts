// Storing a statement: the parser's rows go by COPY into statement_staging (staging-copy.server.ts),
// and one transaction moves them into statement_lines.
import { and, eq, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { statementImports, type StatementImport } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { formatKes } from "../../lib/money";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { refreshLineStatistics } from "./import-statistics.server";
import { lineMover, type LineMover, type StoreSettled } from "./line-mover.server";
import type { MatchTrace } from "./match.server";
import type { ImportCounts, ImportProgress, ImportSummary } from "./import.server";
import { LeaseLost } from "./import-model.server";
import { copySink, driverOf, stagingRow, type CopySink } from "./staging-copy.server";
import { readStatement, type StatementMeta } from "./statement-parse.server";

export type StoreOptions = {
  /** Time per step (the benchmark prints it). */
  trace?: MatchTrace;
  /** Write lines a payment owns as matched while storing (the set-based matcher; not its reference). */
  matchOwned?: boolean;
  /** Tests only: rows per COPY piece on PostgreSQL (COPY_PIECE_ROWS otherwise). */
  pieceRows?: number;
};

/** What the store step parsed: the counts and the statement's header. */
type Parsed = { counts: ImportCounts; meta: StatementMeta; settled?: StoreSettled };

// Step 2: parse → COPY into the staging table, in autocommitted pieces, and ONE transaction that moves
// the rows into statement_lines with INSERT … SELECT and marks the import stored. On PostgreSQL that
// transaction is open while the file is parsed and moves each piece as soon as COPY has committed it,
// so the server inserts lines (one core) while this process parses the next rows (the other); PGlite
// has one connection, kept free for the console between pieces, and moves everything after parsing.
// A crash before the commit leaves only staging rows, which the next run deletes before it starts again.
export async function storeImport(
  ctx: AppContext,
  imp: StatementImport,
  queued: { importedBy?: string; actor?: Actor },
  progress: ImportProgress,
  report: (force?: boolean) => Promise<void>,
  options: StoreOptions = {},
): Promise<Parsed> {
  const { trace, matchOwned = true, pieceRows } = options;
  // Rows an earlier run left, deleted only while this run's claim holds: one that lost it (a pause)
  // must not delete the rows of the run that took the import over.
  const [own] = rowsOf<{ held: boolean }>(
    await ctx.db.execute(sql`
    with held as (select 1 from statement_imports where id = ${imp.id} and claim_token = ${imp.claimToken}),
      gone as (delete from statement_staging where import_id = ${imp.id} and exists (select 1 from held))
    select exists (select 1 from held) as held`),
  );
  if (!own?.held) throw new LeaseLost(imp.id);
  const store = async (tx: Db, mover: LineMover, parsed: Parsed): Promise<Parsed> => {
    progress.lines = parsed.counts.lines;
    await report(true);
    const moved = await mover.finish(parsed.counts.lines);
    parsed.counts.newLines = moved.inserted;
    parsed.counts.conflicts = moved.conflicts;
    return { ...(await recordStored(tx, imp, queued, parsed, trace)), settled: moved.settled };
  };
  if (driverOf(ctx.db) === "pglite") {
    const parsed = await stageRows(
      ctx,
      imp,
      progress,
      report,
      trace,
      await copySink(ctx.db, imp.id),
    );
    return ctx.db.transaction(async (tx) =>
      store(tx, await lineMover(tx, imp.id, matchOwned, false, trace), parsed),
    );
  }
  // One store at a time in this process: each holds two connections for the whole file (the COPY
  // connection, taken first, and the transaction), and several at once could fill the pool while
  // they wait for the file's chunks. Other instances' imports go side by side.
  const run = storing.then(async () => {
    let mover: LineMover | undefined;
    const sink = await copySink(ctx.db, imp.id, (piece) => mover?.kick(piece), pieceRows);
    try {
      return await ctx.db.transaction(async (tx) => {
        const moves = await lineMover(tx, imp.id, matchOwned, true, trace);
        mover = moves;
        try {
          return await store(
            tx,
            moves,
            await stageRows(ctx, imp, progress, report, trace, sink, moves),
          );
        } finally {
          // A piece COPY confirms from here on is not moved, and the move in progress ends before the
          // transaction does (a run that lost its claim while a move ran committed its lines).
          await moves.close();
        }
      });
    } finally {
      // Released if the transaction never began (stageRows ends or abandons it otherwise).
      await sink.abort();
    }
  });
  storing = run.catch(() => {});
  return run;
}

let storing: Promise<unknown> = Promise.resolve();

/** Parses the file into statement_staging; `mover` (PostgreSQL) is told of each committed piece. */
async function stageRows(
  ctx: AppContext,
  imp: StatementImport,
  progress: ImportProgress,
  report: (force?: boolean) => Promise<void>,
  trace: MatchTrace | undefined,
  sink: CopySink,
  mover?: LineMover,
): Promise<Parsed> {
  const t0 = performance.now();
  const counts: ImportCounts = {
    lines: 0,
    newLines: 0,
    knownLines: 0,
    failed: 0,
    paidInKes: 0,
    withdrawnKes: 0,
    totalsWarning: null,
  };
  let meta: StatementMeta | null = null;
  // Where the time goes (the benchmark prints it): waiting for the database to take COPY data, and
  // the rest of the loop, which is reading the file and parsing it.
  let copyMs = 0;
  try {
    // PostgreSQL: the file is read on another pooled connection while one is busy with COPY.
    for await (const event of readStatement(fileChunks(ctx.db, imp.id))) {
      if (event.type === "meta") {
        meta = event.meta;
        continue;
      }
      const line = event.line;
      counts.lines += 1;
      if (line.status === "Completed") {
        counts.paidInKes += line.paidInKes;
        counts.withdrawnKes += line.withdrawnKes;
      } else counts.failed += 1;
      progress.parsed = counts.lines;
      const c0 = performance.now();
      progress.stored = await sink.write(stagingRow(imp.id, line));
      copyMs += performance.now() - c0;
      if (counts.lines % 5_000 === 0) {
        mover?.check();
        await report();
      }
    }
    const c0 = performance.now();
    progress.stored = await sink.end();
    copyMs += performance.now() - c0;
  } catch (error) {
    await sink.abort();
    // No piece is moved after this, and the move in progress ends before the rows are deleted.
    await mover?.close();
    // Only while this run's claim holds: a run that lost it must not delete the new owner's rows.
    await ctx.db.execute(sql`delete from statement_staging where import_id = ${imp.id}
      and exists (select 1 from statement_imports where id = ${imp.id} and claim_token = ${imp.claimToken})`);
    throw error;
  }
  trace?.("parse", performance.now() - t0 - copyMs);
  const pieces = sink.pieces();
  trace?.(`copy (waiting on the database${pieces ? `, ${pieces} pieces` : ""})`, copyMs);
  // readStatement throws before returning without a header, so meta is always set here.
  return { counts, meta: meta as StatementMeta };
}

async function recordStored(
  tx: Db,
  imp: StatementImport,
  queued: { importedBy?: string; actor?: Actor },
  { counts, meta: m }: Parsed,
  trace: MatchTrace | undefined,
): Promise<Parsed> {
  const t0 = performance.now();
  counts.knownLines = counts.lines - counts.newLines;
  counts.totalsWarning = totalsWarning(m, counts);
  const importedBy = queued.importedBy ?? "an unknown user";
  const summary: ImportSummary = { ...counts, importedBy, match: null };
  await recordStaffAction(tx, queued.actor ?? { kind: "system", label: importedBy }, {
    action: "statement.import",
    entityType: "statement_import",
    entityId: imp.id,
    after: {
      fileName: imp.fileName,
      lines: counts.lines,
      newLines: counts.newLines,
      periodFrom: m.periodFrom,
      periodTo: m.periodTo,
    },
  });
  // A big file can change the table's size by orders of magnitude before autovacuum notices; fresh
  // statistics keep the matching joins on their indexes.
  await refreshLineStatistics(tx, counts.newLines);
  // Last before the commit, and only while this run's claim holds (a run that lost it, to a pause,
  // stores nothing). From here the row is locked until the commit, so no other run claims it
  // meanwhile; taken earlier, the lock would hold up this run's progress reports (another connection).
  const stored = await tx
    .update(statementImports)
    .set({
      state: "matching",
      layout: m.layout,
      accountHolder: m.accountHolder,
      shortCode: m.shortCode,
      account: m.account,
      columns: m.columns,
      periodFrom: m.periodFrom,
      periodTo: m.periodTo,
      lineCount: counts.lines,
      newLineCount: counts.newLines,
      linesParsed: counts.lines,
      linesStored: counts.lines,
      summary,
      // clock_timestamp(): now() is when this transaction began, long before its commit.
      claimedAt: sql`clock_timestamp()`,
    })
    .where(and(eq(statementImports.id, imp.id), sql`claim_token = ${imp.claimToken}::uuid`))
    .returning({ id: statementImports.id });
  if (stored.length === 0) throw new LeaseLost(imp.id);
  trace?.("audit + analyze", performance.now() - t0);
  return { counts, meta: m };
}

// The next chunk is asked for before this one is handed to the parser, so parsing a megabyte and
// fetching the next one overlap (PostgreSQL: on another pooled connection) instead of taking turns.
async function* fileChunks(db: Db, importId: string): AsyncGenerator<Uint8Array> {
  const fetch = async (seq: number) => {
    const [chunk] = rowsOf<{ data: string }>(
      await db.execute(
        sql`select encode(data, 'base64') as data from statement_import_chunks where import_id = ${importId} and seq = ${seq}`,
      ),
    );
    return chunk ? Buffer.from(chunk.data, "base64") : null;
  };
  let next = fetch(0);
  for (let seq = 1; ; seq++) {
    const chunk = await next;
    if (!chunk) return;
    next = fetch(seq);
    // A rejected prefetch the consumer never awaits (it stopped early) must not go unhandled.
    next.catch(() => {});
    yield chunk;
  }
}

function totalsWarning(meta: StatementMeta, counts: ImportCounts): string | null {
  const problems: string[] = [];
  if (meta.totalPaidInKes !== null && meta.totalPaidInKes !== counts.paidInKes) {
    problems.push(
      `Total Paid In says ${formatKes(meta.totalPaidInKes)} but the rows add up to ${formatKes(counts.paidInKes)}`,
    );
  }
  if (meta.totalWithdrawnKes !== null && meta.totalWithdrawnKes !== counts.withdrawnKes) {
    problems.push(
      `Total Withdrawn says ${formatKes(meta.totalWithdrawnKes)} but the rows add up to ${formatKes(counts.withdrawnKes)}`,
    );
  }
  return problems.length ? `${problems.join("; ")}. Is the file complete?` : null;
}
