// Importing an M-PESA organisation statement (docs/daraja.md#statement) as a job
// in three steps:
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
import { and, eq, sql, type SQL } from "drizzle-orm";
import { isUniqueViolation, type Db } from "../../../db/client";
import { statementImports, users, type StatementImport } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { formatEat } from "../../lib/time";
import { type Actor } from "../auth/staff-audit.server";
import { type MatchTrace } from "./match.server";
import { readStatement, StatementFormatError, type StatementInput } from "./statement-parse.server";

import {
  kickStatementImports,
  liveProgress,
  runPendingImports,
  runStatementImport,
} from "./import-job.server";
import {
  discard,
  importMessage,
  LeaseLost,
  type ImportProgress,
  type ImportResult,
  type ImportState,
  type ImportSummary,
  type ProgressListener,
} from "./import-model.server";

export { kickStatementImports, liveProgress, runPendingImports, runStatementImport };
export {
  claimNextImport,
  MAX_STORE_TRIES,
  UPLOAD_CUT_OFF_AFTER_MINUTES,
} from "./import-job.server";
export { discard, importMessage, LeaseLost } from "./import-model.server";
export type {
  ImportCounts,
  ImportProgress,
  ImportResult,
  ImportState,
  ImportSummary,
  ProgressListener,
} from "./import-model.server";
const CHUNK_BYTES = 1 << 20;

export type QueuedImport =
  | { status: "queued"; importId: string }
  | { status: "already_imported"; importId: string; existing: ExistingImport };

type ExistingImport = { imp: StatementImport; userName: string | null };

/** How the CLI follows an import another process runs: how often it looks, and for how long at most. */
export type FollowOptions = { pollMs: number; timeoutMs: number };
const FOLLOW: FollowOptions = { pollMs: 1_000, timeoutMs: 60 * 60_000 };

/** A statement file on disk (the CLI): hashed in one quick pass first, so a repeat is answered at once. */
export async function importStatementFile(
  ctx: AppContext,
  input: { path: string; actor: Actor; onProgress?: ProgressListener; follow?: FollowOptions },
): Promise<ImportResult> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(input.path)) hash.update(chunk as Buffer);
  const existing = await findImport(ctx.db, eq(statementImports.fileSha256, hash.digest("hex")));
  if (existing) return finishExisting(ctx, existing, input.onProgress, input.follow);
  return importStatement(ctx, {
    fileName: basename(input.path),
    input: createReadStream(input.path),
    actor: input.actor,
    onProgress: input.onProgress,
    follow: input.follow,
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
    /** Tests only: rows per COPY piece on PostgreSQL. */
    pieceRows?: number;
    follow?: FollowOptions;
  },
): Promise<ImportResult> {
  const t0 = performance.now();
  const queued = await queueStatementImport(ctx, input, true);
  input.trace?.("upload", performance.now() - t0);
  if (queued.status === "already_imported")
    return finishExisting(ctx, queued.existing, input.onProgress, input.follow);
  const result = await runStatementImport(ctx, queued.importId, {
    onProgress: input.onProgress,
    keepFailed: false,
    trace: input.trace,
    pieceRows: input.pieceRows,
  }).catch((error) => {
    if (error instanceof LeaseLost) return null;
    throw error;
  });
  if (result) return result;
  // Another process holds it: this one paused past its claim, and a server took the import over.
  const existing = await findImport(ctx.db, eq(statementImports.id, queued.importId));
  if (!existing) throw new Error(`Import ${queued.importId} was dropped by another process`);
  return finishExisting(ctx, existing, input.onProgress, input.follow);
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
    const existing = await findImport(
      ctx.db,
      eq(statementImports.fileSha256, createHash("sha256").update(input.input).digest("hex")),
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
      ...(claimed ? { claimedBy: ctx.instanceId, claimedAt: sql`now()` } : {}),
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
      const queued = await ctx.db
        .update(statementImports)
        // A claim made when the upload began is renewed: after a long upload its lease would have run
        // out, and a server could take the import before the caller runs it.
        .set({
          fileSha256,
          fileSize: size,
          state: "queued",
          ...(claimed ? { claimedAt: sql`now()` } : {}),
        })
        .where(and(eq(statementImports.id, importId), eq(statementImports.state, "uploading")))
        .returning({ id: statementImports.id });
      // The job took an upload this slow for one a restart had cut off, and failed it.
      if (queued.length === 0)
        throw new AppError(
          "upload_too_slow",
          "The upload took so long it was taken for one cut off; upload the file again.",
          { status: 408 },
        );
    } catch (error) {
      // The same file uploaded twice at once: the second loses on file_sha256 and answers with the first.
      if (!isUniqueViolation(error)) throw error;
      await discard(ctx.db, importId);
      const existing = await findImport(ctx.db, eq(statementImports.fileSha256, fileSha256));
      if (!existing) throw error;
      return { status: "already_imported", importId: existing.imp.id, existing };
    }
  } catch (error) {
    await discard(ctx.db, importId).catch(() => {});
    throw error;
  }
  return { status: "queued", importId };
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
// ------------------------------------------------------------------ answers

function auditActor(actor: Actor): Actor {
  return actor;
}

async function findImport(db: Db, where: SQL | undefined): Promise<ExistingImport | null> {
  const [row] = await db
    .select({ imp: statementImports, userName: users.name })
    .from(statementImports)
    .leftJoin(users, eq(users.id, statementImports.importedByUserId))
    .where(where);
  return row ?? null;
}

/**
 * The same file again: an import still waiting (a crash, a deploy) is finished now rather than left
 * half done, and one another process is running (a server, another CLI) is followed to its end.
 */
async function finishExisting(
  ctx: AppContext,
  existing: ExistingImport,
  onProgress?: ProgressListener,
  follow?: FollowOptions,
): Promise<ImportResult> {
  let imp = existing.imp;
  const running = imp.state !== "done" && imp.state !== "failed";
  if (running) imp = await followImport(ctx, imp.id, onProgress, follow);
  const summary = imp.summary as Partial<ImportSummary> | null;
  const who = existing.userName ?? summary?.importedBy ?? "an unknown user";
  const when = formatEat(imp.importedAt);
  if (imp.state === "failed")
    throw new AppError(
      "import_failed",
      `This file was not imported: ${imp.error ?? "it could not be read"}. Nothing from it was booked.`,
      { status: 422 },
    );
  const full = { ...emptySummary(who), ...summary, importedBy: who } as ImportSummary;
  return {
    status: "already_imported",
    importId: imp.id,
    message: running
      ? `The same file was being imported (uploaded ${when} by ${who} as "${imp.fileName}"), and has finished. ${importMessage(imp.fileName, full)}`
      : `This file was already imported on ${when} by ${who} (as "${imp.fileName}"); nothing was changed.`,
    summary: full,
  };
}

/**
 * An import not done yet: run here if no other process holds it (a crash left it waiting), otherwise
 * followed through its row (lines parsed, stored, matched) until it is done or failed. A process
 * running it may die: once its lease runs out this one takes the import over. Gives up waiting after
 * follow.timeoutMs, saying so (the import goes on where it runs).
 */
async function followImport(
  ctx: AppContext,
  importId: string,
  onProgress: ProgressListener | undefined,
  follow: FollowOptions = FOLLOW,
): Promise<StatementImport> {
  const deadline = performance.now() + follow.timeoutMs;
  for (;;) {
    await runStatementImport(ctx, importId, { onProgress, keepFailed: true }).catch((error) => {
      if (!(error instanceof StatementFormatError || error instanceof LeaseLost)) throw error;
    });
    const [imp] = await ctx.db
      .select()
      .from(statementImports)
      .where(eq(statementImports.id, importId));
    if (!imp)
      throw new AppError(
        "not_found",
        "The process importing this file dropped it (it is not a statement); run the command again to see why.",
        { status: 404 },
      );
    if (imp.state === "done" || imp.state === "failed") return imp;
    const progress = rowProgress(imp);
    onProgress?.(progress);
    if (performance.now() >= deadline)
      throw new AppError(
        "import_still_running",
        `Stopped waiting after ${Math.round(follow.timeoutMs / 60_000)} minutes: another process is still importing this file (import ${importId}: ${progress.state}, ${progress.matched.toLocaleString("en-KE")} lines matched). It goes on there; see the reconciliation page.`,
        { status: 504, retryable: true },
      );
    await new Promise((resolve) => setTimeout(resolve, follow.pollMs));
  }
}

function rowProgress(imp: StatementImport): ImportProgress {
  return {
    state: imp.state as ImportState,
    parsed: imp.linesParsed,
    stored: imp.linesStored,
    matched: imp.linesMatched,
    lines: imp.state === "matching" ? imp.lineCount : null,
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
