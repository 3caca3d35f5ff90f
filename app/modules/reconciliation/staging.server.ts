// Storing a statement: the parser's rows go as CSV into COPY … statement_staging, then one
// transaction moves them into statement_lines. One encoding, two sinks: postgres.js streams COPY FROM
// STDIN, PGlite reads a blob per batch (COPY FROM '/dev/blob').
import { once } from "node:events";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { eq, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { statementImports, type StatementImport } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { formatKes } from "../../lib/money";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { normalizeBillRef } from "./c2b-parse";
import { matchOwnedSql } from "./match-owned.server";
import type { MatchTrace } from "./match.server";
import type { ImportCounts, ImportProgress, ImportSummary } from "./import.server";
import { readStatement, type StatementLine, type StatementMeta } from "./statement-parse.server";

const PGLITE_COPY_ROWS = 10_000;
const COPY_AHEAD_BYTES = 4 << 20;

type Staged = { counts: ImportCounts; meta: StatementMeta };

// Step 2: parse → COPY into the staging table, in autocommitted pieces (PGlite's one connection stays
// free for the console between them), then ONE transaction moves the rows into statement_lines with an
// INSERT … SELECT and marks the import stored. A crash before that commit leaves only staging rows,
// which the next run deletes before it starts again.
export async function storeImport(
  ctx: AppContext,
  imp: StatementImport,
  queued: { importedBy?: string; actor?: Actor },
  progress: ImportProgress,
  report: (force?: boolean) => Promise<void>,
  trace?: MatchTrace,
  /** Write lines a payment owns as matched while storing (the set-based matcher; not its reference). */
  matchOwned = true,
): Promise<Staged> {
  await ctx.db.execute(sql`delete from statement_staging where import_id = ${imp.id}`);
  let t0 = performance.now();
  const sink = await copySink(ctx.db);
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
      if (counts.lines % 5_000 === 0) await report();
    }
    const c0 = performance.now();
    progress.stored = await sink.end();
    copyMs += performance.now() - c0;
  } catch (error) {
    await sink.abort();
    await ctx.db.execute(sql`delete from statement_staging where import_id = ${imp.id}`);
    throw error;
  }
  return ctx.db.transaction(async (tx) => {
    // Each statement of an import runs once over many rows; PostgreSQL's JIT spent 20–300 ms compiling
    // each one, more than it saved (PGlite has no JIT and accepts the setting).
    await tx.execute(sql`set local jit = off`);
    progress.lines = counts.lines;
    trace?.("parse", performance.now() - t0 - copyMs);
    trace?.("copy (waiting on the database)", copyMs);
    t0 = performance.now();
    await report(true);
    // readStatement throws before returning without a header, so meta is always set here.
    const m = meta as StatementMeta;
    // Each row carries the line id COPY gave it in file order.
    // Lines whose receipt a payment owns, amount and time agreeing, are written matched at once
    // (matchOwnedSql): each line is written once instead of inserted `new` and rewritten by matching.
    const owned = matchOwned
      ? matchOwnedSql(imp.id)
      : { state: sql`s.match_state`, payment: sql`null::uuid`, join: sql`` };
    // A receipt is stored once (statement_lines_receipt_key). ON CONFLICT DO NOTHING on every row costs a
    // speculative insertion each (half the INSERT's time), so the lines an earlier import holds are left
    // out by an anti-join instead, under a lock every store step takes so no other import inserts the
    // same receipt meanwhile; only a file that repeats a receipt itself still needs ON CONFLICT, reading
    // the rows in file order from the staging index so the first row in the file wins.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('statement_lines:store'))`);
    // Fresh statistics of the rows just staged: without them the planner takes the import for a few
    // rows and joins it to receipts row by row.
    // A small sample is enough for that (the table holds this one import's rows for this one
    // statement): 3,000 rows instead of 30,000 took the ANALYZE from 0.5 s to a tenth of it.
    await tx.execute(sql`set local default_statistics_target = 10`);
    await tx.execute(sql`analyze statement_staging`);
    await tx.execute(sql`reset default_statistics_target`);
    const [repeats] = rowsOf<{ any: boolean }>(
      await tx.execute(sql`select exists (select 1 from statement_staging where import_id = ${imp.id}
        group by receipt, transaction_status having count(*) > 1) as any`),
    );
    const onConflict = repeats?.any ? sql`order by s.line_id on conflict do nothing` : sql``;
    const [inserted] = rowsOf<{ n: number | string }>(
      await tx.execute(sql`
      with ins as (
        insert into statement_lines (id, import_id, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes,
          withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw,
          party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm, payment_id)
        select s.line_id, ${imp.id}::uuid, s.receipt, s.transaction_status, s.completed_at, s.initiated_at, s.direction,
          s.paid_in_kes, s.withdrawn_kes, s.details, s.reason_type, s.other_party_info, s.linked_transaction_id, s.account_no,
          ${owned.state}, s.raw, s.party_phone, s.party_msisdn_raw, s.party_msisdn_kind, s.party_name, s.bill_ref_norm, ${owned.payment}
        from statement_staging s ${owned.join}
        where s.import_id = ${imp.id} and not exists (select 1 from statement_lines held
          where held.receipt = s.receipt and held.transaction_status = s.transaction_status)
        ${onConflict} returning 1)
      select count(*) as n from ins`),
    );
    await tx.execute(sql`delete from statement_staging where import_id = ${imp.id}`);
    counts.newLines = Number(inserted?.n ?? 0);
    trace?.("insert lines", performance.now() - t0);
    t0 = performance.now();
    counts.knownLines = counts.lines - counts.newLines;
    counts.totalsWarning = totalsWarning(m, counts);
    const importedBy = queued.importedBy ?? "an unknown user";
    const summary: ImportSummary = { ...counts, importedBy, match: null };
    await tx
      .update(statementImports)
      .set({
        state: "matching",
        layout: m.layout,
        accountHolder: m.accountHolder,
        shortCode: m.shortCode,
        account: m.account,
        periodFrom: m.periodFrom,
        periodTo: m.periodTo,
        lineCount: counts.lines,
        newLineCount: counts.newLines,
        linesParsed: counts.lines,
        linesStored: counts.lines,
        summary,
      })
      .where(eq(statementImports.id, imp.id));
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
    // A big file changes the table's size by orders of magnitude before autovacuum notices; fresh
    // statistics keep the matching joins on their indexes.
    if (counts.newLines >= 20_000) await tx.execute(sql`analyze statement_lines`);
    trace?.("audit + analyze", performance.now() - t0);
    return { counts, meta: m };
  });
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

// ------------------------------------------------------------------ COPY into the staging table

const STAGING_COLUMNS =
  "import_id, row_no, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes, withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw, party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm";

type CopySink = {
  /** Queues one CSV row; returns how many rows the database has been handed so far. */
  write(row: string): Promise<number>;
  end(): Promise<number>;
  abort(): Promise<void>;
};

type PgliteTx = {
  query(text: string, params?: unknown[], options?: { blob?: Blob }): Promise<unknown>;
};
type PostgresTx = { unsafe(text: string): { writable(): Promise<Writable> } };

function rawClient(db: Db): unknown {
  return (db as unknown as { session: { client: unknown } }).session.client;
}

export function driverOf(db: Db): "postgres" | "pglite" {
  const client = rawClient(db) as { unsafe?: unknown };
  return typeof client.unsafe === "function" ? "postgres" : "pglite";
}

// The rows are the same CSV for both drivers; only the way they reach COPY differs: postgres.js streams
// them over the connection (COPY … FROM STDIN), PGlite reads a blob per batch (COPY … FROM '/dev/blob').
async function copySink(db: Db): Promise<CopySink> {
  const statement = `copy statement_staging (${STAGING_COLUMNS}) from %s with (format csv)`;
  let handed = 0;
  if (driverOf(db) === "postgres") {
    const stream = await (rawClient(db) as PostgresTx)
      .unsafe(statement.replace("%s", "stdin"))
      .writable();
    // A row the server refuses ends the COPY with an error on the stream: kept here (an 'error' with
    // no listener would end the process) and thrown by the next write or by end().
    let failed: unknown = null;
    stream.on("error", (error) => (failed ??= error));
    let buffer = "";
    let rows = 0;
    // The parser runs ahead of the server by up to COPY_AHEAD_BYTES, so parsing (this process) and
    // COPY (the server) work at the same time instead of taking turns at every 256 kB: the stream's
    // own threshold (16 kB) said "wait" after each piece. Memory stays bounded by the same figure.
    const flush = async () => {
      if (!buffer) return;
      stream.write(buffer);
      buffer = "";
      handed += rows;
      rows = 0;
      if (failed) throw failed;
      if (stream.writableLength > COPY_AHEAD_BYTES) await once(stream, "drain");
    };
    return {
      async write(row) {
        buffer += row;
        rows += 1;
        if (buffer.length >= 256 * 1024) await flush();
        return handed;
      },
      async end() {
        await flush();
        stream.end();
        await finished(stream);
        return handed;
      },
      async abort() {
        stream.destroy(new Error("import aborted"));
        await finished(stream).catch(() => {});
      },
    };
  }
  const client = rawClient(db) as PgliteTx;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const blob = new Blob(batch);
    handed += batch.length;
    batch = [];
    await client.query(statement.replace("%s", "'/dev/blob'"), [], { blob });
  };
  return {
    async write(row) {
      batch.push(row);
      if (batch.length >= PGLITE_COPY_ROWS) await flush();
      return handed;
    },
    async end() {
      await flush();
      return handed;
    },
    async abort() {
      batch = [];
    },
  };
}

function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  return `"${value.replace(/"/g, '""')}"`;
}

function stagingRow(importId: string, line: StatementLine): string {
  // Only money that moved needs matching: Completed money in, and Completed money out that reverses a receipt.
  const completed = line.status === "Completed";
  const toMatch =
    completed && (line.direction === "in" ? line.paidInKes > 0 : line.linkedTransactionId !== null);
  const party = line.otherPartyMsisdn;
  return `${[
    importId,
    line.rowNumber,
    line.receipt,
    line.status,
    line.completedAt?.toISOString() ?? null,
    line.initiatedAt?.toISOString() ?? null,
    line.direction,
    line.paidInKes,
    line.withdrawnKes,
    line.details || null,
    line.reasonType || null,
    line.otherPartyInfo || null,
    line.linkedTransactionId,
    line.accountNo,
    toMatch ? "new" : "skipped",
    JSON.stringify({ row: line.rowNumber, cells: line.raw }),
    party.plain ?? null,
    party.raw || null,
    party.kind,
    line.otherPartyName,
    line.accountNo ? normalizeBillRef(line.accountNo) : null,
  ]
    .map(csvField)
    .join(",")}\n`;
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
