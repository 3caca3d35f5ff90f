// Importing an M-PESA organisation statement (SPEC §11, issues 7 and 18) as a job in three steps:
//  1. queue: the upload is streamed into statement_import_chunks while it is hashed; the file's SHA-256
//     is unique on statement_imports, so two uploads of the same file at once import it once.
//  2. store: one transaction parses the file and streams its rows with COPY into a temporary staging
//     table, then moves them into statement_lines with one INSERT … SELECT (overlapping periods are
//     idempotent per receipt). A bad row anywhere, or a crash, leaves nothing behind.
//  3. match: match.server.ts, set-based, in one transaction.
// Any instance claims a queued (or abandoned) import with SKIP LOCKED and a lease, so a restart resumes
// it from the step that was not committed. Progress (lines parsed, stored, matched) is kept on the row
// (PostgreSQL) and in this process (both drivers) for the import page and the CLI.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { and, asc, eq, gt, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import {
  statementImportChunks,
  statementImports,
  users,
  type StatementImport,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { formatKes } from "../../lib/money";
import { formatEat } from "../../lib/time";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { normalizeBillRef } from "./c2b-parse";
import { matchStatementImport, type MatchSummary, type MatchTrace } from "./match.server";
import {
  readStatement,
  StatementFormatError,
  type StatementInput,
  type StatementLine,
  type StatementMeta,
} from "./statement-parse.server";

const CHUNK_BYTES = 1 << 20;
/** PGlite takes COPY input as one blob per statement: this many rows at a time keeps memory flat. */
const PGLITE_COPY_ROWS = 10_000;
/** A claim not renewed for this long belongs to a process that died; another instance takes it over. */
const LEASE_SECONDS = 60;
const HEARTBEAT_MS = 10_000;

export type ImportCounts = {
  lines: number;
  newLines: number;
  knownLines: number;
  failed: number;
  paidInKes: number;
  withdrawnKes: number;
  /** The preamble's own totals disagree with the rows (a truncated or edited file). */
  totalsWarning: string | null;
};

export type ImportSummary = ImportCounts & {
  importedBy: string;
  match: MatchSummary | null;
  timings?: { storeMs: number; matchMs: number };
};

export type ImportResult = {
  status: "imported" | "already_imported";
  importId: string;
  message: string;
  summary: ImportSummary;
};

export type ImportState = "uploading" | "queued" | "storing" | "matching" | "done" | "failed";

export type ImportProgress = {
  state: ImportState;
  parsed: number;
  stored: number;
  matched: number;
  /** Lines in the file, once parsing has finished. */
  lines: number | null;
};

export type ProgressListener = (progress: ImportProgress) => void;

/** Imports running in this process: the import page and the CLI read their progress from here. */
const running = new Map<string, ImportProgress>();

export function liveProgress(importId: string): ImportProgress | null {
  return running.get(importId) ?? null;
}

/** What the queue step hands back: a new import to run, or the import of the same file that already exists. */
export type QueuedImport =
  | { status: "queued"; importId: string }
  | { status: "already_imported"; importId: string; existing: ExistingImport };

type ExistingImport = { imp: StatementImport; userName: string | null };

/** A statement file on disk (the CLI): hashed in one quick pass first, so a repeat is answered at once. */
export async function importStatementFile(
  ctx: AppContext,
  input: { path: string; actor: Actor; onProgress?: ProgressListener },
): Promise<ImportResult> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(input.path)) hash.update(chunk as Buffer);
  const existing = await findImportByHash(ctx.db, hash.digest("hex"));
  if (existing) return finishExisting(ctx, existing, input.onProgress);
  return importStatement(ctx, {
    fileName: basename(input.path),
    input: createReadStream(input.path),
    actor: input.actor,
    onProgress: input.onProgress,
  });
}

/**
 * Queues and runs an import in the caller (tests, the CLI, the benchmark). A file that is not a
 * statement throws StatementFormatError and leaves nothing behind, not even the import row.
 */
export async function importStatement(
  ctx: AppContext,
  input: {
    fileName: string;
    input: StatementInput;
    actor: Actor;
    onProgress?: ProgressListener;
    /** Time per step (the benchmark prints it). */
    trace?: MatchTrace;
  },
): Promise<ImportResult> {
  const t0 = performance.now();
  const queued = await queueStatementImport(ctx, input, true);
  input.trace?.("upload", performance.now() - t0);
  if (queued.status === "already_imported")
    return finishExisting(ctx, queued.existing, input.onProgress);
  const result = await runStatementImport(ctx, queued.importId, {
    onProgress: input.onProgress,
    keepFailed: false,
    trace: input.trace,
  });
  // Just queued by this call, so no other instance can have claimed it yet.
  if (!result) throw new Error(`Import ${queued.importId} was claimed by another process`);
  return result;
}

/**
 * The console's upload: keeps the file, starts the import in the background and answers at once with
 * its id (the import page shows the progress). The same file again is answered with the first import.
 */
export async function startStatementImport(
  ctx: AppContext,
  input: { fileName: string; input: StatementInput; actor: Actor },
): Promise<{ status: "queued" | "already_imported"; importId: string; message: string }> {
  // A file that is not a statement at all (another export, a workbook) is refused before anything is kept.
  if (typeof input.input === "string" || input.input instanceof Uint8Array)
    for await (const _meta of readStatement(input.input)) break;
  const queued = await queueStatementImport(ctx, input);
  if (queued.status === "already_imported") {
    const { imp, userName } = queued.existing;
    const who = userName ?? (imp.summary as { importedBy?: string } | null)?.importedBy ?? "—";
    const when = formatEat(imp.importedAt);
    return {
      status: "already_imported",
      importId: imp.id,
      message:
        imp.state === "done"
          ? `This file was already imported on ${when} by ${who} (as "${imp.fileName}"); nothing was changed.`
          : `This file is already being imported (uploaded ${when} by ${who} as "${imp.fileName}").`,
    };
  }
  kickStatementImports(ctx);
  return {
    status: "queued",
    importId: queued.importId,
    message: `Uploaded "${input.fileName}"; importing it now.`,
  };
}

let draining: Promise<void> | null = null;
let again = false;

/** Runs the waiting imports in this process, in the background; a call while it runs makes it look again. */
export function kickStatementImports(ctx: AppContext): Promise<void> {
  if (draining) {
    again = true;
    return draining;
  }
  draining = (async () => {
    try {
      do {
        again = false;
        await runPendingImports(ctx);
      } while (again);
    } catch (error) {
      ctx.log.error({ error: String(error) }, "statement imports could not be claimed");
    } finally {
      draining = null;
    }
  })();
  return draining;
}

/**
 * Step 1: keeps the upload in the database (so any instance can import it, and a restart does not
 * lose it) and answers at once. Bytes in hand are hashed first, so a repeated upload writes nothing.
 */
export async function queueStatementImport(
  ctx: AppContext,
  input: { fileName: string; input: StatementInput; actor: Actor },
  /** The caller runs the import itself: no job of this process picks it up meanwhile. */
  claimed = false,
): Promise<QueuedImport> {
  const { fileName, actor } = input;
  if (typeof input.input === "string" || input.input instanceof Uint8Array) {
    const existing = await findImportByHash(
      ctx.db,
      createHash("sha256").update(input.input).digest("hex"),
    );
    if (existing) return { status: "already_imported", importId: existing.imp.id, existing };
  }
  const [row] = await ctx.db
    .insert(statementImports)
    .values({
      fileSha256: `pending:${crypto.randomUUID()}`,
      fileName: fileName.slice(0, 255),
      layout: "unknown",
      importedByUserId: actor.kind === "user" ? actor.userId : null,
      importedAt: ctx.now(),
      state: "uploading",
      ...(claimed ? { claimedBy: ctx.instanceId, claimedAt: ctx.now() } : {}),
      // Who asked, for the audit entry the store step writes (it may run in another process).
      summary: { importedBy: actor.label, actor: auditActor(actor) },
    })
    .returning({ id: statementImports.id });
  const importId = row.id;
  const hash = createHash("sha256");
  let size = 0;
  try {
    let seq = 0;
    for await (const chunk of rechunk(input.input)) {
      hash.update(chunk);
      size += chunk.length;
      // As base64 text: PGlite takes a 1 MB bytea parameter ten times slower than the same text.
      await ctx.db.execute(
        sql`insert into statement_import_chunks (import_id, seq, data) values (${importId}, ${seq++}, decode(${chunk.toString("base64")}, 'base64'))`,
      );
    }
    const fileSha256 = hash.digest("hex");
    try {
      await ctx.db
        .update(statementImports)
        .set({ fileSha256, fileSize: size, state: "queued" })
        .where(eq(statementImports.id, importId));
    } catch (error) {
      // The same file uploaded twice at once: the second loses on file_sha256 and answers with the first.
      if (!isUniqueViolation(error)) throw error;
      await discard(ctx.db, importId);
      const existing = await findImportByHash(ctx.db, fileSha256);
      if (!existing) throw error;
      return { status: "already_imported", importId: existing.imp.id, existing };
    }
  } catch (error) {
    await discard(ctx.db, importId).catch(() => {});
    throw error;
  }
  return { status: "queued", importId };
}

async function discard(db: Db, importId: string) {
  await db.delete(statementImports).where(eq(statementImports.id, importId));
}

async function* rechunk(input: StatementInput): AsyncGenerator<Buffer> {
  const source = typeof input === "string" || input instanceof Uint8Array ? [input] : input;
  let parts: Buffer[] = [];
  let length = 0;
  for await (const piece of source as AsyncIterable<Uint8Array | string>) {
    const buf = typeof piece === "string" ? Buffer.from(piece) : Buffer.from(piece);
    parts.push(buf);
    length += buf.length;
    while (length >= CHUNK_BYTES) {
      const all = Buffer.concat(parts);
      yield all.subarray(0, CHUNK_BYTES);
      parts = [all.subarray(CHUNK_BYTES)];
      length = parts[0].length;
    }
  }
  if (length > 0) yield Buffer.concat(parts);
}

/** Claims the oldest queued or abandoned import, from any instance; null when there is none. */
export async function claimNextImport(ctx: AppContext): Promise<string | null> {
  const stale = staleClaim(ctx);
  const [row] = rowsOf<{ id: string }>(
    await ctx.db.execute(sql`
    update statement_imports set claimed_by = ${ctx.instanceId}, claimed_at = now()
    where id = (select id from statement_imports
      where state in ('queued', 'storing', 'matching') and (claimed_by is null or ${stale})
      order by imported_at limit 1 for update skip locked)
    returning id`),
  );
  return row?.id ?? null;
}

// A PGlite database is opened by one process only, so another process's claim is from one that died.
function staleClaim(ctx: AppContext) {
  return driverOf(ctx.db) === "pglite"
    ? sql`claimed_by <> ${ctx.instanceId}`
    : sql`claimed_at < now() - ${`${LEASE_SECONDS} seconds`}::interval`;
}

async function claim(ctx: AppContext, importId: string): Promise<boolean> {
  const stale = staleClaim(ctx);
  const rows = rowsOf(
    await ctx.db.execute(sql`
    update statement_imports set claimed_by = ${ctx.instanceId}, claimed_at = now()
    where id = (select id from statement_imports where id = ${importId}
      and state in ('queued', 'storing', 'matching') and (claimed_by is null or claimed_by = ${ctx.instanceId} or ${stale})
      for update skip locked)
    returning id`),
  );
  return rows.length === 1;
}

/** Runs every import waiting in the database, one after another; returns how many it finished. */
export async function runPendingImports(ctx: AppContext): Promise<number> {
  let done = 0;
  for (let id = await claimNextImport(ctx); id; id = await claimNextImport(ctx)) {
    await runStatementImport(ctx, id, { keepFailed: true }).catch((error) =>
      ctx.log.error({ importId: id, error: String(error) }, "statement import failed"),
    );
    done += 1;
  }
  return done;
}

/**
 * Steps 2 and 3 for one import, from wherever it stopped. Returns null when another process holds it.
 * A file that turns out not to be a statement is marked failed (keepFailed, the console shows why) or
 * removed (the CLI and tests), and StatementFormatError is thrown either way.
 */
export async function runStatementImport(
  ctx: AppContext,
  importId: string,
  options: {
    onProgress?: ProgressListener;
    keepFailed: boolean;
    trace?: MatchTrace;
    /** Tests only: another matcher (the per-line reference) in place of the set-based one. */
    matcher?: (ctx: AppContext, importId: string) => Promise<MatchSummary>;
  },
): Promise<ImportResult | null> {
  if (!(await claim(ctx, importId))) return null;
  const [imp] = await ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, importId));
  const queuedSummary = (imp.summary ?? {}) as { importedBy?: string; actor?: Actor };
  const progress: ImportProgress = {
    state: imp.state as ImportState,
    parsed: imp.linesParsed,
    stored: imp.linesStored,
    matched: imp.linesMatched,
    lines: imp.state === "matching" ? imp.lineCount : null,
  };
  running.set(importId, progress);
  const pg = driverOf(ctx.db) === "postgres";
  let lastWrite = 0;
  // PostgreSQL: the row carries the progress (any instance's page reads it) and renews the lease.
  // PGlite has one connection, held by the step's transaction, so progress stays in this process.
  const report = async (force = false) => {
    options.onProgress?.({ ...progress });
    if (!pg || (!force && performance.now() - lastWrite < 500)) return;
    lastWrite = performance.now();
    await ctx.db
      .update(statementImports)
      .set({
        state: progress.state,
        linesParsed: progress.parsed,
        linesStored: progress.stored,
        linesMatched: progress.matched,
        claimedAt: sql`now()`,
      })
      .where(eq(statementImports.id, importId));
  };
  const heartbeat = pg
    ? setInterval(() => {
        void ctx.db
          .update(statementImports)
          .set({ claimedAt: sql`now()` })
          .where(eq(statementImports.id, importId))
          .catch(() => {});
      }, HEARTBEAT_MS)
    : null;
  const started = performance.now();
  try {
    let storeMs = 0;
    if (imp.state === "queued" || imp.state === "storing") {
      progress.state = "storing";
      progress.parsed = progress.stored = progress.matched = 0;
      await report(true);
      await storeImport(ctx, imp, queuedSummary, progress, report, options.trace);
      storeMs = Math.round(performance.now() - started);
    }
    progress.state = "matching";
    await report(true);
    const match = await (options.matcher ?? matchStatementImport)(
      ctx,
      importId,
      async (settled) => {
        progress.matched = settled;
        await report();
      },
      options.trace,
    );
    const matchMs = Math.round(performance.now() - started) - storeMs;
    const [stored] = await ctx.db
      .select()
      .from(statementImports)
      .where(eq(statementImports.id, importId));
    const summary: ImportSummary = {
      ...(stored.summary as ImportSummary),
      match,
      timings: { storeMs, matchMs },
    };
    progress.state = "done";
    progress.matched = stored.lineCount;
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(statementImports)
        .set({
          state: "done",
          summary,
          linesMatched: stored.lineCount,
          claimedBy: null,
          claimedAt: null,
        })
        .where(eq(statementImports.id, importId));
      await tx.delete(statementImportChunks).where(eq(statementImportChunks.importId, importId));
    });
    options.onProgress?.({ ...progress });
    return {
      status: "imported",
      importId,
      message: importMessage(stored.fileName, summary),
      summary,
    };
  } catch (error) {
    if (error instanceof StatementFormatError) {
      if (options.keepFailed) {
        // The hash is freed: the same file, corrected or not, may be uploaded again.
        await ctx.db
          .update(statementImports)
          .set({
            state: "failed",
            error: error.message,
            fileSha256: `failed:${importId}`,
            claimedBy: null,
          })
          .where(eq(statementImports.id, importId));
        await ctx.db
          .delete(statementImportChunks)
          .where(eq(statementImportChunks.importId, importId));
      } else await discard(ctx.db, importId);
    } else {
      // Anything else (the database went away) leaves the import to be resumed by the next run.
      await ctx.db
        .update(statementImports)
        .set({ error: error instanceof Error ? error.message : String(error), claimedBy: null })
        .where(eq(statementImports.id, importId))
        .catch(() => {});
    }
    throw error;
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    running.delete(importId);
  }
}

type Staged = { counts: ImportCounts; meta: StatementMeta };

// Step 2: parse → COPY into the staging table, in autocommitted pieces (PGlite's one connection stays
// free for the console between them), then ONE transaction moves the rows into statement_lines with an
// INSERT … SELECT and marks the import stored. A crash before that commit leaves only staging rows,
// which the next run deletes before it starts again.
async function storeImport(
  ctx: AppContext,
  imp: StatementImport,
  queued: { importedBy?: string; actor?: Actor },
  progress: ImportProgress,
  report: (force?: boolean) => Promise<void>,
  trace?: MatchTrace,
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
      progress.stored = await sink.write(stagingRow(imp.id, line));
      if (counts.lines % 5_000 === 0) await report();
    }
    progress.stored = await sink.end();
  } catch (error) {
    await sink.abort();
    await ctx.db.execute(sql`delete from statement_staging where import_id = ${imp.id}`);
    throw error;
  }
  return ctx.db.transaction(async (tx) => {
    progress.lines = counts.lines;
    trace?.("parse + copy", performance.now() - t0);
    t0 = performance.now();
    await report(true);
    // readStatement throws before returning without a header, so meta is always set here.
    const m = meta as StatementMeta;
    const [inserted] = rowsOf<{ n: number | string }>(
      await tx.execute(sql`
      with ins as (
        insert into statement_lines (import_id, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes,
          withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw,
          party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm)
        select ${imp.id}::uuid, receipt, transaction_status, completed_at, initiated_at, direction, paid_in_kes,
          withdrawn_kes, details, reason_type, other_party_info, linked_transaction_id, account_no, match_state, raw,
          party_phone, party_msisdn_raw, party_msisdn_kind, party_name, bill_ref_norm
        from statement_staging where import_id = ${imp.id} order by row_no
        on conflict do nothing returning 1)
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

async function* fileChunks(db: Db, importId: string): AsyncGenerator<Uint8Array> {
  for (let seq = 0; ; seq++) {
    const [chunk] = rowsOf<{ data: string }>(
      await db.execute(
        sql`select encode(data, 'base64') as data from statement_import_chunks where import_id = ${importId} and seq = ${seq}`,
      ),
    );
    if (!chunk) return;
    yield Buffer.from(chunk.data, "base64");
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
    let buffer = "";
    let rows = 0;
    const flush = async () => {
      if (!buffer) return;
      const ok = stream.write(buffer);
      buffer = "";
      handed += rows;
      rows = 0;
      if (!ok) await new Promise<void>((resolve) => stream.once("drain", resolve));
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

// ------------------------------------------------------------------ answers

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

function auditActor(actor: Actor): Actor {
  return actor;
}

async function findImportByHash(db: Db, fileSha256: string): Promise<ExistingImport | null> {
  const [row] = await db
    .select({ imp: statementImports, userName: users.name })
    .from(statementImports)
    .leftJoin(users, eq(users.id, statementImports.importedByUserId))
    .where(eq(statementImports.fileSha256, fileSha256));
  return row ?? null;
}

/** The same file again: an import still waiting (a crash, a deploy) is finished now rather than left half done. */
async function finishExisting(
  ctx: AppContext,
  existing: ExistingImport,
  onProgress?: ProgressListener,
): Promise<ImportResult> {
  let imp = existing.imp;
  if (imp.state !== "done") {
    await runStatementImport(ctx, imp.id, { onProgress, keepFailed: true }).catch((error) => {
      if (!(error instanceof StatementFormatError)) throw error;
    });
    [imp] = await ctx.db.select().from(statementImports).where(eq(statementImports.id, imp.id));
  }
  const summary = imp.summary as Partial<ImportSummary> | null;
  const who = existing.userName ?? summary?.importedBy ?? "an unknown user";
  const when = formatEat(imp.importedAt);
  const message =
    imp.state === "done"
      ? `This file was already imported on ${when} by ${who} (as "${imp.fileName}"); nothing was changed.`
      : `This file is already being imported (uploaded ${when} by ${who} as "${imp.fileName}").`;
  return {
    status: "already_imported",
    importId: imp.id,
    message,
    summary: { ...emptySummary(who), ...summary, importedBy: who } as ImportSummary,
  };
}

function emptySummary(who: string): ImportSummary {
  return {
    lines: 0,
    newLines: 0,
    knownLines: 0,
    failed: 0,
    paidInKes: 0,
    withdrawnKes: 0,
    totalsWarning: null,
    importedBy: who,
    match: null,
  };
}

function importMessage(fileName: string, s: ImportSummary): string {
  const parts = [
    `Imported ${s.lines.toLocaleString("en-KE")} lines from "${fileName}": ${s.newLines.toLocaleString("en-KE")} new`,
  ];
  if (s.knownLines)
    parts.push(
      `${s.knownLines.toLocaleString("en-KE")} already known from an earlier import (unchanged)`,
    );
  if (s.failed) parts.push(`${s.failed.toLocaleString("en-KE")} failed rows skipped`);
  const m = s.match;
  if (m) {
    parts.push(
      `${m.matched.toLocaleString("en-KE")} matched, ${m.proposed.toLocaleString("en-KE")} proposed for confirmation, ${m.exceptions.toLocaleString("en-KE")} exceptions`,
    );
    if (m.reversals) parts.push(`${m.reversals} reversals`);
    if (m.missingFromStatement)
      parts.push(`${m.missingFromStatement} paid payments missing from the statement`);
  }
  return `${parts.join(", ")}.${s.totalsWarning ? ` Warning: ${s.totalsWarning}` : ""}`;
}

function isUniqueViolation(error: unknown): boolean {
  for (
    let e = error as { code?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    if (e.code === "23505") return true;
  }
  return false;
}
