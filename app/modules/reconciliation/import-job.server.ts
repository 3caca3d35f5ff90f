// Statement imports as jobs: any instance claims a waiting or abandoned import with SKIP LOCKED and a
// lease, and runs it from the step that was not committed (store, then match). Each claim has a token
// that every write of the run names, and the store and match steps check it last in their transaction:
// a run whose lease ran out while another took the import over changes nothing. Progress is kept in
// this process (both drivers) and on the import's row (PostgreSQL).
import { eq, sql } from "drizzle-orm";
import { rowsOf, type Db } from "../../../db/client";
import { statementImports } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { type Actor } from "../auth/staff-audit.server";
import {
  matchStatementImport,
  type MatchProgress,
  type MatchSummary,
  type MatchTrace,
} from "./match.server";
import {
  claimedWith,
  discard,
  failCutOffUploads,
  failImport,
  freeFile,
  importMessage,
  LeaseLost,
  recordFailedTry,
  sweepLeftovers,
  type ImportProgress,
  type ImportResult,
  type ImportState,
  type ImportSummary,
  type ProgressListener,
} from "./import-model.server";
import { driverOf } from "./staging-copy.server";
import type { StoreSettled } from "./line-mover.server";
import { storeImport } from "./staging.server";
import { StatementFormatError } from "./statement-parse.server";

export { MAX_STORE_TRIES, UPLOAD_CUT_OFF_AFTER_MINUTES } from "./import-model.server";

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
    update statement_imports set claimed_by = ${ctx.instanceId}, claimed_at = now(), claim_token = gen_random_uuid()
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

/** This process's claims being taken or held, by instance and import: one run of an import at a time. */
const held = new Set<string>();

/** Claims the import for a run of this instance; its token, or null when another run holds it. */
async function claim(ctx: AppContext, importId: string): Promise<string | null> {
  const stale = staleClaim(ctx);
  const [row] = rowsOf<{ claim_token: string }>(
    await ctx.db.execute(sql`
    update statement_imports set claimed_by = ${ctx.instanceId}, claimed_at = now(), claim_token = gen_random_uuid()
    where id = (select id from statement_imports where id = ${importId}
      and state in ('queued', 'storing', 'matching') and (claimed_by is null or claimed_by = ${ctx.instanceId} or ${stale})
      for update skip locked)
    returning claim_token`),
  );
  return row?.claim_token ?? null;
}

/** Runs every import waiting in the database, one after another; returns how many it finished. */
export async function runPendingImports(ctx: AppContext): Promise<number> {
  await failCutOffUploads(ctx.db);
  await sweepLeftovers(ctx.db);
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
      else if (error instanceof LeaseLost)
        ctx.log.warn({ importId, error: String(error) }, "statement import left to another run");
      else {
        failed.push(importId);
        ctx.log.error({ importId, error: String(error) }, "statement import failed");
      }
    });
    done += 1;
  }
  return done;
}

/** Matching as the job calls it: `beforeCommit` is the claim check, last in the match's transaction. */
export type Matcher = (
  ctx: AppContext,
  importId: string,
  progress?: MatchProgress,
  trace?: MatchTrace,
  beforeCommit?: (tx: Db, summary: MatchSummary) => Promise<MatchSummary>,
  /** What the store step of this run wrote settled (none when an earlier run stored the import). */
  settledAtStore?: StoreSettled,
) => Promise<MatchSummary>;

/**
 * The run's hold on its claim. PostgreSQL: progress writes and a heartbeat renew the lease, naming the
 * claim's token; once one finds the claim gone, or none has been sent for the lease's length (a pause,
 * a lost database: another instance may have taken the import since), the run stops at its next
 * report. On PGlite, one process's database, a claim is taken only from a process that died.
 */
function holdClaim(ctx: AppContext, importId: string, token: string) {
  const pg = driverOf(ctx.db) === "postgres";
  let renewedAt = performance.now();
  let lost = false;
  const renew = async (set: Partial<typeof statementImports.$inferInsert> = {}) => {
    const sent = performance.now();
    const rows = await ctx.db
      .update(statementImports)
      .set({ ...set, claimedAt: sql`now()` })
      .where(claimedWith(importId, token))
      .returning({ id: statementImports.id });
    if (rows.length === 0) {
      lost = true;
      throw new LeaseLost(importId);
    }
    renewedAt = Math.max(renewedAt, sent);
  };
  const heartbeat = pg ? setInterval(() => void renew().catch(() => {}), HEARTBEAT_MS) : null;
  return {
    pg,
    renew,
    check() {
      if (lost || (pg && performance.now() - renewedAt > LEASE_SECONDS * 1000))
        throw new LeaseLost(importId);
    },
    release() {
      if (heartbeat) clearInterval(heartbeat);
    },
  };
}

/**
 * Steps 2 and 3 for one import, from wherever it stopped. Returns null when another run holds it, and
 * throws LeaseLost when another run took it over meanwhile (this run's writes then changed nothing).
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
    matcher?: Matcher;
    /** Tests only: rows per COPY piece on PostgreSQL. */
    pieceRows?: number;
    /** Tests only: the run pauses here, holding its claim and the import as it read it. */
    afterClaim?: () => Promise<void>;
  },
): Promise<ImportResult | null> {
  const key = `${ctx.instanceId} ${importId}`;
  if (held.has(key)) return null;
  held.add(key);
  try {
    const token = await claim(ctx, importId);
    return token ? await runClaimed(ctx, importId, token, options) : null;
  } finally {
    held.delete(key);
  }
}

async function runClaimed(
  ctx: AppContext,
  importId: string,
  token: string,
  options: Parameters<typeof runStatementImport>[2],
): Promise<ImportResult> {
  const [row] = await ctx.db
    .select()
    .from(statementImports)
    .where(eq(statementImports.id, importId));
  // The token this run was given (read back, the row could already name a later claim).
  const imp = { ...row, claimToken: token };
  const queuedSummary = (imp.summary ?? {}) as { importedBy?: string; actor?: Actor };
  const progress: ImportProgress = {
    state: imp.state as ImportState,
    parsed: imp.linesParsed,
    stored: imp.linesStored,
    matched: imp.linesMatched,
    lines: imp.state === "matching" ? imp.lineCount : null,
  };
  running.set(importId, progress);
  const lease = holdClaim(ctx, importId, token);
  let lastWrite = 0;
  // PostgreSQL: the row carries the progress (any instance's page reads it) and renews the lease.
  // PGlite has one connection, held by the step's transaction, so progress stays in this process.
  const report = async (force = false) => {
    lease.check();
    options.onProgress?.({ ...progress });
    if (!lease.pg || (!force && performance.now() - lastWrite < 500)) return;
    lastWrite = performance.now();
    await lease.renew({
      state: progress.state,
      linesParsed: progress.parsed,
      linesStored: progress.stored,
      linesMatched: progress.matched,
    });
  };
  // Last in the match's transaction: the claim is checked (its row then stays locked until the commit,
  // so no other run claims it meanwhile) and the match's summary kept on the row. A run resumed after
  // a crash before `done` finds nothing left to match, and keeps the summary of the run that matched.
  // Returns `match` itself when it is the one kept. (clock_timestamp(): now() is when this long
  // transaction began, and would leave the lease looking older than it is.)
  const keepMatch = async (tx: Db, match: MatchSummary): Promise<MatchSummary> => {
    const [held] = rowsOf<{ match: string | null }>(
      await tx.execute(sql`
      update statement_imports set claimed_at = clock_timestamp()
      where id = ${importId} and claim_token = ${token}
      returning (summary->'match')::text as match`),
    );
    if (!held) throw new LeaseLost(importId);
    if (held.match !== null && held.match !== "null") return JSON.parse(held.match) as MatchSummary;
    await tx.execute(sql`update statement_imports
      set summary = jsonb_set(coalesce(summary, '{}'::jsonb), '{match}', ${JSON.stringify(match)}::jsonb)
      where id = ${importId}`);
    return match;
  };
  const started = performance.now();
  // Whether the file and staged rows were freed while the lines were being matched.
  let freeing = Promise.resolve(false);
  try {
    await options.afterClaim?.();
    let storeMs = 0;
    let settledAtStore: StoreSettled | undefined;
    if (imp.state === "queued" || imp.state === "storing") {
      progress.state = "storing";
      progress.parsed = progress.stored = progress.matched = 0;
      await report(true);
      // The per-line reference (tests) matches every line itself, so nothing is matched while storing.
      ({ settled: settledAtStore } = await storeImport(ctx, imp, queuedSummary, progress, report, {
        trace: options.trace,
        matchOwned: !options.matcher,
        pieceRows: options.pieceRows,
      }));
      storeMs = Math.round(performance.now() - started);
      // Once the lines are stored nothing reads the file or the staged rows again. On PostgreSQL they
      // are deleted on another connection while matching runs (other tables, the other core); the
      // import is said done only after. PGlite's one connection frees them with the done mark.
      if (driverOf(ctx.db) === "postgres")
        freeing = freeFile(ctx.db, [importId]).then(
          () => true,
          (err: unknown) => {
            ctx.log.warn({ importId, err }, "statement import: freeing its file waits for the end");
            return false;
          },
        );
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
      keepMatch,
      settledAtStore,
    );
    const matchMs = Math.round(performance.now() - started) - storeMs;
    const freed = await freeing;
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
      const done = await tx
        .update(statementImports)
        .set({
          state: "done",
          summary,
          linesMatched: stored.lineCount,
          claimedBy: null,
          claimedAt: null,
          claimToken: null,
        })
        .where(claimedWith(importId, token))
        .returning({ id: statementImports.id });
      if (done.length === 0) throw new LeaseLost(importId);
      if (!freed) await freeFile(tx, [importId]);
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
    // Another run holds the import: nothing of this one is recorded (and its writes changed nothing).
    if (error instanceof LeaseLost) throw error;
    if (error instanceof StatementFormatError) {
      if (options.keepFailed) await failImport(ctx.db, importId, token, error.message);
      else if (!(await discard(ctx.db, importId, token))) throw new LeaseLost(importId);
    } else {
      // Anything else (the database went away) leaves the import to be resumed by the next run.
      await recordFailedTry(ctx, importId, token, error).catch((failure) => {
        if (failure instanceof LeaseLost) throw failure;
        ctx.log.warn(
          { importId, err: failure },
          "statement import: its failed try went unrecorded",
        );
      });
    }
    throw error;
  } finally {
    // A try that failed while the file was being freed ends after it (the free never throws).
    await freeing;
    lease.release();
    if (running.get(importId) === progress) running.delete(importId);
  }
}
