// What a statement import is while it runs and when it is done: its states, counts and progress,
// the messages finance reads (a finished import's, and why a try stopped, in plain words), a run that
// lost its claim, and how a run ends other than done: a failed try, a refused file, a dropped import,
// with the file freed in the same transaction (and the leftovers swept). Shared by the import steps
// (import.server.ts, staging.server.ts) and the job that runs them (import-job.server.ts).
import { randomUUID } from "node:crypto";
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { statementImportChunks, statementImports } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import type { MatchSummary } from "./match.server";

export type ImportCounts = {
  lines: number;
  newLines: number;
  knownLines: number;
  failed: number;
  paidInKes: number;
  withdrawnKes: number;
  /** Rows repeating a booked receipt with other facts: a statement_conflict case each (absent before). */
  conflicts?: number;
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

/**
 * Drops an import that stored nothing (its chunks go with it). With `claimToken`, only while that claim
 * holds it: false when another run took the import over, which then keeps it.
 */
export async function discard(db: Db, importId: string, claimToken?: string): Promise<boolean> {
  const dropped = await db
    .delete(statementImports)
    .where(
      and(
        eq(statementImports.id, importId),
        claimToken === undefined ? undefined : eq(statementImports.claimToken, claimToken),
      ),
    )
    .returning({ id: statementImports.id });
  return claimToken === undefined || dropped.length === 1;
}

/**
 * A run whose claim on the import is gone: its lease ran out (a pause, a lost database) and another
 * run may hold the import now. Nothing of this run is kept, and it is not a failed try: the import is
 * not this run's to count or fail.
 */
export class LeaseLost extends Error {
  constructor(importId: string) {
    super(
      `statement import ${importId}: this run's claim ran out, so it stopped (another run takes the import)`,
    );
    this.name = "LeaseLost";
  }
}

// Codes of a database that could not be reached or went away: Node's socket errors, postgres.js's own,
// PostgreSQL's class 08 (connection exception) and 57P01–57P03 (shut down, restarting, not accepting).
const UNREACHABLE =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|CONNECTION_\w+|CONNECT_TIMEOUT|08\w{3}|57P0[123])$/;
const UNREACHABLE_TEXT =
  /ECONNREFUSED|ECONNRESET|terminating connection|connection terminated|server closed the connection/i;

/**
 * Why a try stopped, as the import page says it to finance: the known conditions in plain words, any
 * other as an internal error with `ref`, under which the caller logs the detail (the database's own
 * words can name hosts, tables and values).
 */
export function failureReason(error: unknown, ref: string): string {
  const chain: { code?: unknown; message?: unknown }[] = [];
  for (let e = error; e && typeof e === "object" && chain.length < 8; e = (e as Error).cause)
    chain.push(e as { code?: unknown; message?: unknown });
  const codes = chain.map((e) => (typeof e.code === "string" ? e.code : ""));
  const text = chain.map((e) => (typeof e.message === "string" ? e.message : "")).join("\n");
  if (codes.includes("53100")) return "the database is out of disk space";
  if (codes.some((c) => UNREACHABLE.test(c)) || UNREACHABLE_TEXT.test(text))
    return "the database was unreachable";
  if (/^statement import: .* reached the database/m.test(text))
    return "some rows did not reach the database";
  return `an internal error (see the server log, ref ${ref})`;
}

/** An import's file and staged rows, which nothing needs once it is done or failed. */
export async function freeFile(db: Db, importIds: string[]): Promise<void> {
  if (importIds.length === 0) return;
  await db.delete(statementImportChunks).where(inArray(statementImportChunks.importId, importIds));
  await db.execute(
    sql`delete from statement_staging where import_id in (${sql.join(
      importIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )})`,
  );
}

/** How long an upload may stay `uploading` before the job takes it for one a restart cut off. */
export const UPLOAD_CUT_OFF_AFTER_MINUTES = 30;

/**
 * Uploads a restart or a dropped connection cut off before the whole file arrived: no process writes
 * them any more, so they are failed (the page says to upload the file again) and their chunks freed,
 * in one transaction (a failed import never keeps its file).
 */
export async function failCutOffUploads(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    const cut = await tx
      .update(statementImports)
      .set({
        state: "failed",
        error: "the upload was cut off before the whole file arrived; upload it again",
        fileSha256: sql`'failed:' || ${statementImports.id}`,
        claimedBy: null,
        claimToken: null,
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
    await freeFile(
      tx,
      cut.map((c) => c.id),
    );
  });
}

/**
 * What an import left behind that nothing will read: the file of one done or failed (written before
 * freeing it was part of ending it, or by a run that lost its claim), and staged rows of any import
 * not waiting or running (staging has no foreign key: a dropped import's rows stay otherwise).
 */
export async function sweepLeftovers(db: Db): Promise<void> {
  await db.execute(sql`delete from statement_import_chunks c using statement_imports i
    where i.id = c.import_id and i.state in ('done', 'failed')`);
  await db.execute(sql`delete from statement_staging s where not exists (select 1 from statement_imports i
    where i.id = s.import_id and i.state in ('queued', 'storing', 'matching'))`);
}

export function importMessage(fileName: string, s: ImportSummary): string {
  const parts = [
    `Imported ${s.lines.toLocaleString("en-KE")} lines from "${fileName}": ${s.newLines.toLocaleString("en-KE")} new`,
  ];
  const known = s.knownLines - (s.conflicts ?? 0);
  if (known)
    parts.push(`${known.toLocaleString("en-KE")} already known from an earlier import (unchanged)`);
  if (s.conflicts)
    parts.push(
      `${s.conflicts.toLocaleString("en-KE")} repeating a booked receipt with another amount or time (a case each)`,
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

/** The import's row while `token` is its claim: every write of a run goes through this. */
export const claimedWith = (importId: string, token: string) =>
  and(eq(statementImports.id, importId), eq(statementImports.claimToken, token));

/** Failed runs (reasons of ours) after which an import that has not stored its lines is given up. */
export const MAX_STORE_TRIES = 5;

/**
 * A run that failed for a reason of ours: the page shows the error while the next run tries again. An
 * import that keeps failing before its lines are stored is given up after MAX_STORE_TRIES: nothing of
 * it is booked (the store is one transaction), so it is failed, as a bad file is, and may be uploaded
 * again once the cause is fixed. One whose lines are stored keeps being matched: failing it would
 * leave booked lines under an import that says nothing was.
 */
export async function recordFailedTry(
  ctx: AppContext,
  importId: string,
  token: string,
  error: unknown,
): Promise<void> {
  // The page says it in plain words; the detail is in the log, under the ref the page names.
  const ref = randomUUID().slice(0, 8);
  ctx.log.warn({ importId, ref, err: error }, "statement import: a try failed");
  const reason = failureReason(error, ref);
  const givenUp = `it failed ${MAX_STORE_TRIES} times while its lines were being stored, the last time with "${reason}"; upload it again once that is fixed`;
  // One statement: no other instance can claim the import between counting the try and giving up; and
  // one transaction with freeing the file, so a failed import never keeps it.
  await ctx.db.transaction(async (tx) => {
    const [row] = rowsOf<{ state: string }>(
      await tx.execute(sql`
      update statement_imports set failed_tries = failed_tries + 1, claimed_by = null, claim_token = null,
        state = case when ${GIVE_UP} then 'failed' else state end,
        file_sha256 = case when ${GIVE_UP} then 'failed:' || id::text else file_sha256 end,
        error = case when ${GIVE_UP} then ${givenUp} else ${reason} end
      where id = ${importId} and claim_token = ${token}
      returning state`),
    );
    if (!row) throw new LeaseLost(importId);
    if (row.state === "failed") await freeFile(tx, [importId]);
  });
}

// Nothing of an import is booked until its store step commits (state `matching`).
const GIVE_UP = sql`(failed_tries + 1 >= ${MAX_STORE_TRIES} and state in ('queued', 'storing'))`;

/** A file that is not a statement: failed with the parser's words, its file freed, in one transaction. */
export async function failImport(
  db: Db,
  importId: string,
  token: string,
  error: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    const failed = await tx
      .update(statementImports)
      // The hash is freed: the same file, corrected or not, may be uploaded again.
      .set({
        state: "failed",
        error,
        fileSha256: `failed:${importId}`,
        claimedBy: null,
        claimToken: null,
      })
      .where(claimedWith(importId, token))
      .returning({ id: statementImports.id });
    if (failed.length === 0) throw new LeaseLost(importId);
    await freeFile(tx, [importId]);
  });
}
