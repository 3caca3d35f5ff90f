// Statement imports as jobs: any instance claims a waiting or abandoned import with SKIP
// LOCKED and a lease, and runs it from the step that was not committed (store, then match). Progress is
// kept in this process (both drivers) and on the import's row (PostgreSQL).
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { rowsOf } from "../../../db/client";
import { statementImportChunks, statementImports } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { type Actor } from "../auth/staff-audit.server";
import { matchStatementImport, type MatchSummary, type MatchTrace } from "./match.server";
import {
  discard,
  importMessage,
  type ImportProgress,
  type ImportResult,
  type ImportState,
  type ImportSummary,
  type ProgressListener,
} from "./import-model.server";
import { cleanForLog } from "../../lib/error-log.server";
import { driverOf } from "./staging-copy.server";
import { storeImport } from "./staging.server";
import { StatementFormatError } from "./statement-parse.server";

const LEASE_SECONDS = 60;
const HEARTBEAT_MS = 10_000;

/** Imports running in this process: the import page and the CLI read their progress from here. */
const running = new Map<string, ImportProgress>();

export function liveProgress(importId: string): ImportProgress | null {
  return running.get(importId) ?? null;
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

export async function claimNextImport(
  ctx: AppContext,
  /** Imports this run already tried and saw fail: left for the next run. */
  skip: string[] = [],
): Promise<string | null> {
  const stale = staleClaim(ctx);
  const notSkipped = skip.length
    ? sql`and id not in (${sql.join(
        skip.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  const [row] = rowsOf<{ id: string }>(
    await ctx.db.execute(sql`
    update statement_imports set claimed_by = ${ctx.instanceId}, claimed_at = now()
    where id = (select id from statement_imports
      where state in ('queued', 'storing', 'matching') and (claimed_by is null or ${stale}) ${notSkipped}
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

/** Failed runs (reasons of ours) after which an import that has not stored its lines is given up. */
export const MAX_STORE_TRIES = 5;

/**
 * A run that failed for a reason of ours: the page shows the error while the next run tries again. An
 * import that keeps failing before its lines are stored is given up after MAX_STORE_TRIES: nothing of
 * it is booked (the store is one transaction), so it is failed, as a bad file is, and may be uploaded
 * again once the cause is fixed. One whose lines are stored keeps being matched: failing it would
 * leave booked lines under an import that says nothing was.
 */
async function recordFailedTry(ctx: AppContext, importId: string, error: unknown): Promise<void> {
  const reason = rootCause(error);
  const givenUp = `it failed ${MAX_STORE_TRIES} times while its lines were being stored, the last time with "${reason}"; upload it again once that is fixed`;
  // One statement: no other instance can claim the import between counting the try and giving up.
  const [row] = rowsOf<{ state: string }>(
    await ctx.db.execute(sql`
      update statement_imports set failed_tries = failed_tries + 1, claimed_by = null,
        state = case when ${GIVE_UP} then 'failed' else state end,
        file_sha256 = case when ${GIVE_UP} then 'failed:' || id::text else file_sha256 end,
        error = case when ${GIVE_UP} then ${givenUp} else ${reason} end
      where id = ${importId}
      returning state`),
  );
  if (row?.state !== "failed") return;
  await ctx.db.delete(statementImportChunks).where(eq(statementImportChunks.importId, importId));
  await ctx.db.execute(sql`delete from statement_staging where import_id = ${importId}`);
}

// Nothing of an import is booked until its store step commits (state `matching`).
const GIVE_UP = sql`(failed_tries + 1 >= ${MAX_STORE_TRIES} and state in ('queued', 'storing'))`;

// What the page shows: the database's own words ("disk full"), not the whole statement that failed
// (the log has that).
function rootCause(error: unknown): string {
  let cause = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cleanForLog(cause instanceof Error ? cause.message : String(error));
}

/** How long an upload may stay `uploading` before the job takes it for one a restart cut off. */
export const UPLOAD_CUT_OFF_AFTER_MINUTES = 30;

/**
 * Uploads a restart or a dropped connection cut off before the whole file arrived: no process writes
 * them any more, so they are failed (the page says to upload the file again) and their chunks freed.
 */
async function failCutOffUploads(ctx: AppContext): Promise<void> {
  const cut = await ctx.db
    .update(statementImports)
    .set({
      state: "failed",
      error: "the upload was cut off before the whole file arrived; upload it again",
      fileSha256: sql`'failed:' || ${statementImports.id}`,
      claimedBy: null,
    })
    .where(
      and(
        eq(statementImports.state, "uploading"),
        lt(
          statementImports.importedAt,
          sql`now() - ${`${UPLOAD_CUT_OFF_AFTER_MINUTES} minutes`}::interval`,
        ),
      ),
    )
    .returning({ id: statementImports.id });
  if (cut.length > 0)
    await ctx.db.delete(statementImportChunks).where(
      inArray(
        statementImportChunks.importId,
        cut.map((c) => c.id),
      ),
    );
}

/** Runs every import waiting in the database, one after another; returns how many it finished. */
export async function runPendingImports(ctx: AppContext): Promise<number> {
  await failCutOffUploads(ctx);
  let done = 0;
  // An import that failed for a reason of ours (not its file) waits for the next run: retried at once,
  // the same error would parse the whole file again and again while newer imports wait behind it.
  const failed: string[] = [];
  for (let id = await claimNextImport(ctx, failed); id; id = await claimNextImport(ctx, failed)) {
    const importId = id;
    await runStatementImport(ctx, importId, { keepFailed: true }).catch((error) => {
      // A file that is not a valid statement is the uploader's to fix (the import page says why);
      // anything else is ours.
      if (error instanceof StatementFormatError)
        ctx.log.warn({ importId, error: String(error) }, "statement import refused the file");
      else {
        failed.push(importId);
        ctx.log.error({ importId, error: String(error) }, "statement import failed");
      }
    });
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
    /** Tests only: rows per COPY piece on PostgreSQL. */
    pieceRows?: number;
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
      // The per-line reference (tests) matches every line itself, so nothing is matched while storing.
      await storeImport(ctx, imp, queuedSummary, progress, report, {
        trace: options.trace,
        matchOwned: !options.matcher,
        pieceRows: options.pieceRows,
      });
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
    // Said "done" only once the row holds the match's summary: a page reading this process's
    // progress before that showed a finished import with no results.
    progress.state = "done";
    progress.matched = stored.lineCount;
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
      await recordFailedTry(ctx, importId, error).catch(() => {});
    }
    throw error;
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    running.delete(importId);
  }
}
