// The poller's page for admins: recent sweeps, what is due now, the sweeps that went wrong, and a
// "run now" that goes through the poller's own sweep (payments/poller.server.ts,
// docs/daraja.md#stk-query) and is recorded in the staff audit.
import { and, count, desc, eq, gt, gte, or } from "drizzle-orm";
import { darajaCalls, pollerRuns, type PollerRun } from "../../../db/schema";
import { getSweepBackoff } from "../payments/poll-rate.server";
import type { AppContext } from "../../context.server";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import {
  countDueAttempts,
  listPollerRuns,
  sweepDuePayments,
  type SweepSummary,
} from "../payments/poller.server";

export type PollerRunView = {
  id: number;
  instance: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  due: number;
  queried: number;
  changed: number;
  errors: number;
  error: string | null;
};

const toView = (r: PollerRun): PollerRunView => ({
  id: r.id,
  instance: r.instance,
  trigger: r.trigger,
  status: r.status,
  startedAt: r.startedAt.toISOString(),
  finishedAt: r.finishedAt?.toISOString() ?? null,
  durationMs: r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
  due: r.due,
  queried: r.queried,
  changed: r.changed,
  errors: r.errors,
  error: r.error,
});

/** The STK Query budget in use: what was spent in the last minute, refusals, and any pause now. */
export type QueryBudgetView = {
  maxQps: number;
  queriesLastMinute: number;
  rateLimitedLastHour: number;
  pausedUntil: string | null;
};

async function getQueryBudget(ctx: AppContext): Promise<QueryBudgetView> {
  const now = ctx.now().getTime();
  const queries = (since: number, outcome?: string) =>
    ctx.db
      .select({ n: count() })
      .from(darajaCalls)
      .where(
        and(
          eq(darajaCalls.endpoint, "query"),
          gte(darajaCalls.createdAt, new Date(since)),
          outcome ? eq(darajaCalls.outcome, outcome) : undefined,
        ),
      )
      .then(([row]) => Number(row.n));
  const [queriesLastMinute, rateLimitedLastHour, pausedUntil] = await Promise.all([
    queries(now - 60_000),
    queries(now - 3_600_000, "rate_limited"),
    getSweepBackoff(ctx.db, ctx.now()),
  ]);
  return {
    maxQps: ctx.config.poller.maxQps,
    queriesLastMinute,
    rateLimitedLastHour,
    pausedUntil: pausedUntil?.toISOString() ?? null,
  };
}

export async function getPollerOverview(ctx: AppContext) {
  const [runs, due, failures, budget] = await Promise.all([
    listPollerRuns(ctx.db, 30),
    countDueAttempts(ctx),
    // Newest first down the started_at index, so a long history of good runs costs nothing.
    ctx.db
      .select()
      .from(pollerRuns)
      .where(or(eq(pollerRuns.status, "failed"), gt(pollerRuns.errors, 0)))
      .orderBy(desc(pollerRuns.startedAt))
      .limit(10),
    getQueryBudget(ctx),
  ]);
  return {
    due,
    budget,
    runs: runs.map(toView),
    failures: failures.map(toView),
    settings: ctx.config.poller,
  };
}

export async function runPollerNow(ctx: AppContext, actor: Actor): Promise<SweepSummary> {
  const summary = await sweepDuePayments(ctx, { trigger: "console" });
  await recordStaffAction(ctx.db, actor, {
    action: "poller.run",
    entityType: "poller_run",
    entityId: summary.runId == null ? null : String(summary.runId),
    after: {
      status: summary.status,
      due: summary.due,
      queried: summary.queried,
      changed: summary.changed,
      errors: summary.errors,
      error: summary.error,
    },
  });
  return summary;
}

export function describeSweep(s: SweepSummary): string {
  if (s.status === "skipped")
    return `The poller did not run: ${s.error ?? "another run is in progress"}.`;
  if (s.status === "failed") return `The run failed: ${s.error ?? "see the log"}.`;
  if (s.due === 0) return "Nothing was due; every pending payment has been checked recently.";
  return `Checked ${s.queried} of ${s.due} due payments; ${s.changed} changed status${s.errors ? `, ${s.errors} errors` : ""}.`;
}
