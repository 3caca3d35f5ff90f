// Storing a statement: the parser's rows go by COPY into statement_staging (staging-copy.server.ts),
// and one transaction moves them into statement_lines.
import { and, eq, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { statementImports, type StatementImport } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { formatKes } from "../../lib/money";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { analyzeSampled, refreshLineStatistics } from "./import-statistics.server";
import { openConflictingCopyCases } from "./cases.server";
import { MATCH_OWNED } from "./match-owned.server";
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
type Parsed = { counts: ImportCounts; meta: StatementMeta };

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
    return recordStored(tx, imp, queued, parsed, trace);
  };
  if (driverOf(ctx.db) === "pglite") {
    const parsed = await stageRows(ctx, imp, progress, report, trace, await copySink(ctx.db));
    return ctx.db.transaction(async (tx) =>
      store(tx, await lineMover(tx, imp.id, matchOwned, false, trace), parsed),
    );
  }
  // One store at a time in this process: each holds two connections for the whole file (the COPY
  // connection, taken first, and the transaction), and several at once could fill the pool while
  // they wait for the file's chunks. Other instances' imports go side by side.
  const run = storing.then(async () => {
    let mover: LineMover | undefined;
    const sink = await copySink(ctx.db, () => mover?.kick(), pieceRows);
    try {
      return await ctx.db.transaction(async (tx) => {
        mover = await lineMover(tx, imp.id, matchOwned, true, trace);
        return store(tx, mover, await stageRows(ctx, imp, progress, report, trace, sink, mover));
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
    await mover?.settled();
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

type LineMover = {
  /** A piece was committed to staging: move it (in the background, one move at a time). */
  kick(): void;
  /** Throws what a background move failed with. */
  check(): void;
  /** Waits for the move in progress, if any, without throwing. */
  settled(): Promise<void>;
  /**
   * Moves what is left, checks every parsed row was moved, and opens a case for each row left out that
   * disagrees with the line booked for its receipt; returns how many lines were inserted and cases opened.
   */
  finish(parsedLines: number): Promise<{ inserted: number; conflicts: number }>;
};

// Moves staged rows of one import into statement_lines, in file order, each call taking the committed
// rows after the last line id it moved, up to the highest one it sees first (COPY pieces commit one
// after another and take their ids from a sequence in file order, so nothing committed is skipped; a
// piece committed meanwhile waits for the next call).
async function lineMover(
  tx: Db,
  importId: string,
  matchOwned: boolean,
  /** PostgreSQL, where each move is a piece of the file (PGlite moves the whole file at once). */
  pieces: boolean,
  trace?: MatchTrace,
): Promise<LineMover> {
  // Each statement of an import runs once over many rows; PostgreSQL's JIT spent 20–300 ms compiling
  // each one, more than it saved (PGlite has no JIT and accepts the setting).
  await tx.execute(sql`set local jit = off`);
  // The reference check on the inserted lines (migration 0030) reads them from a transition table: a
  // move's rows (about 20 MB for 40,000 lines) are kept in memory instead of a temporary file. Not on
  // PGlite: its one move holds the whole file, which spills to a file either way, and the memory the
  // embedded database takes for sorts and hashes stays this process's for good.
  if (pieces) await tx.execute(sql`set local work_mem = '64MB'`);
  // Lines whose receipt a payment owns, amount and time agreeing, are written matched at once
  // (MATCH_OWNED): each line is written once instead of inserted `new` and rewritten by matching.
  const owned = matchOwned
    ? MATCH_OWNED
    : { state: sql`s.match_state`, payment: sql`null::uuid`, join: sql`` };
  let after: string | null = null;
  let inserted = 0;
  let staged = 0;
  let moves = 0;
  let started = false;
  let movedMs = 0;
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const move = async () => {
    const t0 = performance.now();
    if (!started) {
      // A receipt is stored once (statement_lines_receipt_key). ON CONFLICT DO NOTHING on every row
      // costs a speculative insertion each (half the INSERT's time), so the lines an earlier import
      // holds are left out by an anti-join instead, under a lock every store step takes (at its first
      // move, so imports parse side by side) so no other import inserts the same receipt meanwhile.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('statement_lines:store'))`);
      // Fresh statistics of the rows just staged: without them the planner takes the import for a few
      // rows and joins it to receipts row by row. A small sample is enough (3,000 rows instead of
      // 30,000 took the ANALYZE from 0.5 s to a tenth of it).
      await analyzeSampled(tx, "statement_staging");
      started = true;
    }
    const from = after === null ? sql`` : sql`and s.line_id > ${after}::bigint`;
    const [bounds] = rowsOf<{ top: string | null; n: number | string }>(
      await tx.execute(sql`select max(s.line_id)::text as top, count(*) as n from statement_staging s
        where s.import_id = ${importId} ${from}`),
    );
    if (!bounds?.top) return;
    const range = sql`${from} and s.line_id <= ${bounds.top}::bigint`;
    // Rows that repeat a receipt among themselves need ON CONFLICT, read in file order from the staging
    // index so the first row in the file wins (a repeat in a later piece is left out by the anti-join,
    // which sees this transaction's own lines).
    const [repeats] = rowsOf<{ any: boolean }>(
      await tx.execute(sql`select exists (select 1 from statement_staging s where s.import_id = ${importId} ${range}
        group by s.receipt, s.transaction_status having count(*) > 1) as any`),
    );
    const onConflict = repeats?.any ? sql`order by s.line_id on conflict do nothing` : sql``;
    // Each staged row looks its receipt up in the unique index (OFFSET 0 keeps the subquery a per-row
    // lookup): a piece costs as many lookups as it has rows, whatever the table's size, and the planner
    // cannot take statement_lines for empty (its statistics do not count this transaction's lines) and
    // rescan it for every row.
    const [row] = rowsOf<{ n: number | string }>(
      await tx.execute(sql`
      with ins as (
        insert into statement_lines (id, import_id, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes,
          withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw,
          party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm, payment_id)
        select s.line_id, ${importId}::uuid, s.receipt, s.transaction_status, s.completed_at, s.initiated_at, s.direction,
          s.paid_in_kes, s.withdrawn_kes, s.details, s.reason_type, s.other_party_info, s.linked_transaction_id, s.account_no,
          ${owned.state}, s.raw, s.party_phone, s.party_msisdn_raw, s.party_msisdn_kind, s.party_name, s.bill_ref_norm, ${owned.payment}
        from statement_staging s ${owned.join}
        where s.import_id = ${importId} ${range} and not exists (select 1 from statement_lines held
          where held.receipt = s.receipt and held.transaction_status = s.transaction_status offset 0)
        ${onConflict} returning 1)
      select count(*) as n from ins`),
    );
    inserted += Number(row?.n ?? 0);
    staged += Number(bounds.n);
    moves += 1;
    after = bounds.top;
    movedMs += performance.now() - t0;
  };
  return {
    kick() {
      chain = chain.then(move);
      chain.catch((error) => (failure ??= error));
    },
    check() {
      if (failure) throw failure;
    },
    async settled() {
      await chain.catch(() => {});
    },
    async finish(parsedLines) {
      const t0 = performance.now();
      await chain;
      await move();
      // The moves' own time, most of it beside parsing on PostgreSQL, and the wait after parsing.
      trace?.(`insert lines (${moves} ${moves === 1 ? "move" : "moves"})`, movedMs);
      trace?.("insert lines (after parsing)", performance.now() - t0);
      // Every parsed row must have been staged and moved: a piece the database lost (postgres.js can
      // take a COPY that failed at its very end for one that succeeded) fails the import here.
      if (staged !== parsedLines)
        throw new Error(
          `statement import: ${parsedLines} rows were parsed but ${staged} reached the database`,
        );
      // Every row was new (a statement not seen before): nothing was left out, so nothing to compare.
      const conflicts = inserted < staged ? await openConflictingCopyCases(tx, importId) : 0;
      await tx.execute(sql`delete from statement_staging where import_id = ${importId}`);
      return { inserted, conflicts };
    },
  };
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
