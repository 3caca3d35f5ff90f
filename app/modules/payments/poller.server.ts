// The pending-payment poller (docs/daraja.md#stk-query, #callback-delivery): finds attempts whose
// next check is due, claims them with FOR UPDATE SKIP LOCKED plus a lease (so no two instances ask
// about one attempt at once, and a dead instance's claims expire), asks STK Query within the shared
// rate budget, and hands each answer to poll-answer.server.ts. Every sweep is a poller_runs row.
// See docs/decisions/003-skip-locked-polling.md.
import { and, asc, count, desc, eq, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { pollerRuns, stkAttempts, type PollerRun } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import type { QueryAnswer } from "../daraja/errors";
import { POLLER_ACTOR, type EventActor } from "../ledger/events.server";
import { OPEN_ATTEMPT_STATES } from "../ledger/transitions";
import { recordPollAnswer, type PollOutcome } from "./poll-answer.server";
import { backOffSweep, getSweepBackoff, sweepPause, takeQuerySlot } from "./poll-rate.server";
import { recoverStalledPushes } from "./push-failure.server";

export type SweepTrigger = "schedule" | "cli" | "console";
export type SweepOptions = { trigger: SweepTrigger; signal?: AbortSignal; limit?: number };
export type SweepSummary = {
  runId: number | null;
  instance: string;
  trigger: SweepTrigger;
  status: "ok" | "failed" | "skipped";
  due: number;
  queried: number;
  changed: number;
  errors: number;
  gaveUp: number;
  /** Claimed but not asked (stop requested or rate limit): handed back at once, not counted. */
  released: number;
  backoffUntil: Date | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** Wall time in database work and in Daraja calls, summed over the sweep's workers. */
  dbMs: number;
  queryMs: number;
};
export type Claim = {
  id: string;
  paymentId: string;
  checkoutRequestId: string;
  claimedUntil: Date;
};

const MAX_WORKERS = 8;
const MAX_BATCH = 100;

/** Attempts the poller may ask about: an accepted push whose outcome is still open. */
const pollable = () =>
  and(
    isNotNull(stkAttempts.checkoutRequestId),
    inArray(stkAttempts.status, [...OPEN_ATTEMPT_STATES]),
  );
// A lease is written and judged by PostgreSQL's clock, the one clock every instance shares: an instance
// whose own clock runs fast would otherwise take another's live claim for lapsed and ask again.
// (Scheduling, nextPollAt, stays on the app's clock: an instance early or late by its skew asks early
// or late, never twice.) Each process keeps its own deadline for a claim on its own clock.

/** No claim on the attempt, or one whose lease PostgreSQL's clock says has lapsed. */
export const claimFree = () =>
  or(isNull(stkAttempts.pollClaimedUntil), sql`${stkAttempts.pollClaimedUntil} < now()`);

/** A lease of `ms` from now, by PostgreSQL's clock. */
export const leaseFromNow = (ms: number) => sql<Date>`now() + ${`${ms} milliseconds`}::interval`;

/** A new claim's lease: the value to write (PostgreSQL's clock) and this process's own deadline. */
export function newLease(ctx: AppContext, batch: number) {
  const ms = leaseMs(ctx, batch);
  return { pollClaimedUntil: leaseFromNow(ms), claimedUntil: new Date(ctx.now().getTime() + ms) };
}

export async function countDueAttempts(ctx: AppContext): Promise<number> {
  const [row] = await ctx.db
    .select({ n: count() })
    .from(stkAttempts)
    .where(and(lte(stkAttempts.nextPollAt, ctx.now()), pollable()));
  return Number(row.n);
}

export async function listPollerRuns(db: Db, limit = 50): Promise<PollerRun[]> {
  return db
    .select()
    .from(pollerRuns)
    .orderBy(desc(pollerRuns.startedAt), desc(pollerRuns.id))
    .limit(limit);
}

/** A claim must outlive the wait for its rate slot and the query itself, with room to spare. */
function leaseMs(ctx: AppContext, batch: number): number {
  return (
    Math.ceil((4 * batch * 1000) / ctx.config.poller.maxQps) +
    2 * ctx.config.mpesa.timeoutMs +
    30_000
  );
}

async function claimDue(ctx: AppContext, limit: number): Promise<Claim[]> {
  const now = ctx.now();
  const { pollClaimedUntil, claimedUntil } = newLease(ctx, limit);
  const rows = await ctx.db.transaction(async (tx) => {
    // SKIP LOCKED: a row another instance is claiming right now is simply someone else's this time.
    // Oldest first (closest to giving up), then largest: with a tight query budget (2026 sandbox:
    // 5 per minute) the money most at risk is asked about first.
    const due = await tx
      .select({ id: stkAttempts.id })
      .from(stkAttempts)
      .where(and(lte(stkAttempts.nextPollAt, now), pollable(), claimFree()))
      .orderBy(asc(stkAttempts.createdAt), desc(stkAttempts.amountKes), asc(stkAttempts.id))
      .limit(limit)
      .for("no key update", { skipLocked: true });
    if (!due.length) return [];
    return tx
      .update(stkAttempts)
      .set({ pollClaimedBy: ctx.instanceId, pollClaimedUntil })
      .where(
        inArray(
          stkAttempts.id,
          due.map((d) => d.id),
        ),
      )
      .returning({
        id: stkAttempts.id,
        paymentId: stkAttempts.paymentId,
        checkoutRequestId: stkAttempts.checkoutRequestId,
        createdAt: stkAttempts.createdAt,
        amountKes: stkAttempts.amountKes,
      });
  });
  rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || b.amountKes - a.amountKes);
  return rows.map((r) => ({
    id: r.id,
    paymentId: r.paymentId,
    checkoutRequestId: r.checkoutRequestId!,
    claimedUntil,
  }));
}

/** Hands unasked claims back without touching their schedule or counts. */
export async function releaseClaims(ctx: AppContext, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await ctx.db
    .update(stkAttempts)
    .set({ pollClaimedBy: null, pollClaimedUntil: null })
    .where(and(inArray(stkAttempts.id, ids), eq(stkAttempts.pollClaimedBy, ctx.instanceId)));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

type Timed = <T>(kind: "db" | "query", work: () => Promise<T>) => Promise<T>;

/** Asks about one claimed attempt (after its rate slot) and records the answer; null = not asked. */
export async function askAndRecord(
  ctx: AppContext,
  claim: Claim,
  s: { summary: SweepSummary; halt: AbortController; timed: Timed; actor: EventActor },
): Promise<PollOutcome | null> {
  const { summary, halt, timed } = s;
  const slot = await timed("db", () =>
    takeQuerySlot(ctx.db, {
      instanceId: ctx.instanceId,
      maxQps: ctx.config.poller.maxQps,
      now: ctx.now(),
    }),
  );
  if ("backoffUntil" in slot) {
    summary.backoffUntil = slot.backoffUntil;
    halt.abort();
    return null;
  }
  await sleep(slot.waitMs, halt.signal);
  // Stop requested or rate limited while waiting, or the claim is about to lapse: leave it for later
  // rather than risk two instances asking about one attempt.
  if (
    halt.signal.aborted ||
    ctx.now().getTime() > claim.claimedUntil.getTime() - ctx.config.mpesa.timeoutMs - 5_000
  )
    return null;
  if (slot.waitMs > 50) {
    // Another instance may have been told to slow down while this slot waited.
    const paused = await timed("db", () => getSweepBackoff(ctx.db, ctx.now()));
    if (paused) {
      summary.backoffUntil = paused;
      halt.abort();
      return null;
    }
  }

  const askedAt = ctx.now();
  const answer: QueryAnswer = await timed("query", () =>
    ctx.daraja.stkQuery(claim.checkoutRequestId, {
      paymentId: claim.paymentId,
      attemptId: claim.id,
    }),
  );
  summary.queried++;
  if (answer.kind === "error") summary.errors++;
  // A rate limit, or Daraja (or our access to it) failing: every instance pauses, and this sweep
  // stops here rather than spend its batch on answers that say nothing about the payments.
  const pause = sweepPause(answer, { instanceId: ctx.instanceId, now: ctx.now(), askedAt });
  if (pause) {
    halt.abort();
    summary.backoffUntil = await timed("db", () => backOffSweep(ctx.db, pause));
  }
  const outcome = await timed("db", () =>
    recordPollAnswer(ctx, {
      attemptId: claim.id,
      answer,
      actor: s.actor,
      claimedBy: ctx.instanceId,
      pausedUntil: pause && summary.backoffUntil,
    }),
  );
  if (outcome.changed) summary.changed++;
  if (outcome.kind === "gave_up") summary.gaveUp++;
  return outcome;
}

async function runWorkers(
  ctx: AppContext,
  summary: SweepSummary,
  options: SweepOptions,
  timed: Timed,
): Promise<void> {
  const { maxQps } = ctx.config.poller;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const batch = Math.max(1, Math.min(MAX_BATCH, Math.ceil(maxQps * 2), limit));
  // `halt` stops this sweep: the caller's signal (shutdown) or a rate-limit answer.
  const halt = new AbortController();
  const onAbort = () => halt.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) halt.abort();

  const queue: Claim[] = [];
  let claimed = 0;
  let exhausted = false;
  let claiming: Promise<void> | null = null;
  const nextClaim = async (): Promise<Claim | null> => {
    for (;;) {
      if (halt.signal.aborted) return null;
      const next = queue.shift();
      if (next) return next;
      if (exhausted || claimed >= limit) return null;
      // One claim query at a time per sweep; the other workers wait for its batch.
      claiming ??= timed("db", () => claimDue(ctx, Math.min(batch, limit - claimed)))
        .then((rows) => {
          claimed += rows.length;
          queue.push(...rows);
          if (rows.length === 0) exhausted = true;
        })
        .finally(() => {
          claiming = null;
        });
      await claiming;
    }
  };

  const unasked: string[] = [];
  const worker = async () => {
    for (let claim = await nextClaim(); claim; claim = await nextClaim()) {
      try {
        if (!(await askAndRecord(ctx, claim, { summary, halt, timed, actor: POLLER_ACTOR })))
          unasked.push(claim.id);
      } catch (error) {
        summary.errors++;
        unasked.push(claim.id);
        ctx.log.error(
          { err: error, attemptId: claim.id },
          "poller: recording an STK Query answer failed",
        );
      }
    }
  };
  const workers = Math.max(1, Math.min(MAX_WORKERS, Math.ceil(maxQps), limit));
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    const leftovers = [...unasked, ...queue.splice(0).map((c) => c.id)];
    summary.released = leftovers.length;
    await timed("db", () => releaseClaims(ctx, leftovers));
  }
}

/** drizzle wraps the driver's error ("Failed query: … params: …"); the root says what went wrong and carries no data. */
function rootMessage(error: unknown): string {
  let e = error;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

type RunBody = (summary: SweepSummary, timed: Timed) => Promise<void>;

/** Records a poller_runs row around `body`; a throw becomes status "failed", never the caller's problem. */
export async function withRun(
  ctx: AppContext,
  trigger: SweepTrigger,
  body: RunBody,
): Promise<SweepSummary> {
  const startedAt = ctx.now();
  const summary: SweepSummary = {
    runId: null,
    instance: ctx.instanceId,
    trigger,
    status: "ok",
    due: 0,
    queried: 0,
    changed: 0,
    errors: 0,
    gaveUp: 0,
    released: 0,
    backoffUntil: null,
    error: null,
    startedAt,
    finishedAt: startedAt,
    dbMs: 0,
    queryMs: 0,
  };
  const timed: Timed = async (kind, work) => {
    const t0 = performance.now();
    try {
      return await work();
    } finally {
      summary[kind === "db" ? "dbMs" : "queryMs"] += performance.now() - t0;
    }
  };
  try {
    const [run] = await timed("db", () =>
      ctx.db
        .insert(pollerRuns)
        .values({ instance: ctx.instanceId, trigger, status: "running", startedAt })
        .returning({ id: pollerRuns.id }),
    );
    summary.runId = run.id;
    await body(summary, timed);
  } catch (error) {
    summary.status = "failed";
    summary.error = rootMessage(error).slice(0, 1000);
    ctx.log.error({ err: error, runId: summary.runId }, "poller run failed");
  }
  summary.finishedAt = ctx.now();
  if (summary.runId === null) return summary;
  try {
    await ctx.db
      .update(pollerRuns)
      .set({
        status: summary.status,
        finishedAt: summary.finishedAt,
        due: summary.due,
        queried: summary.queried,
        changed: summary.changed,
        errors: summary.errors,
        error:
          summary.error ??
          (summary.released ? `${summary.released} claimed attempts handed back unasked` : null),
      })
      .where(eq(pollerRuns.id, summary.runId));
  } catch (error) {
    // The row stays "running"; the sweep's outcome is in the log.
    ctx.log.error(
      { err: error, runId: summary.runId },
      "poller: could not record the end of a run",
    );
  }
  return summary;
}

/**
 * One sweep over every due attempt. Never throws: a failure is recorded on its poller_runs row (and
 * logged), so a scheduled sweep cannot take the process down. Claims it did not use are handed back.
 */
export function sweepDuePayments(ctx: AppContext, options: SweepOptions): Promise<SweepSummary> {
  return withRun(ctx, options.trigger, async (summary, timed) => {
    const backoff = await timed("db", () => getSweepBackoff(ctx.db, ctx.now()));
    if (options.signal?.aborted || backoff) {
      summary.status = "skipped";
      summary.backoffUntil = backoff;
      summary.error = backoff
        ? `M-Pesa rate limit or outage: paused until ${backoff.toISOString()}`
        : "stopping";
      return;
    }
    // Pushes cut off mid-way have no CheckoutRequestID to ask about: they become unknown, with a case.
    await timed("db", () => recoverStalledPushes(ctx));
    summary.due = await timed("db", () => countDueAttempts(ctx));
    if (summary.due > 0) await runWorkers(ctx, summary, options, timed);
  });
}
