// The pending-payment poller's schedule (docs/daraja.md#stk-query): every POLL_SCHEDULE tick, one
// instance (elected through a PostgreSQL lease) sweeps the due attempts. Mutual exclusion lives in
// SQL (the tick lease and SKIP LOCKED claims), not here. stop() lets in-flight queries finish and
// hands back the rest.
import cron, { type Logger } from "node-cron";
import type { AppContext } from "../app/context.server";
import { sweepDuePayments } from "../app/modules/payments/poller.server";
import { createLeaseCoordinator } from "../app/modules/payments/run-coordinator.server";

export const POLL_JOB_NAME = "poll-pending";

export function startPollPending(ctx: AppContext): { stop(): Promise<void> } {
  const shutdown = new AbortController();
  const running = new Set<Promise<unknown>>();
  const coordinator = createLeaseCoordinator(ctx.db, ctx.instanceId);
  const track = <T>(work: Promise<T>) => {
    running.add(work);
    void work.finally(() => running.delete(work)).catch(() => {});
    return work;
  };
  const task = cron.schedule(
    ctx.config.poller.schedule,
    () => track(sweepDuePayments(ctx, { trigger: "schedule", signal: shutdown.signal })),
    {
      name: POLL_JOB_NAME,
      noOverlap: true,
      distributed: true,
      distributedLease: 60_000,
      // A tick that fires while stopping is not elected, so it never touches a closing database.
      runCoordinator: {
        shouldRun: (key, ttl) =>
          shutdown.signal.aborted ? false : track(Promise.resolve(coordinator.shouldRun(key, ttl))),
        onComplete: (key) =>
          shutdown.signal.aborted
            ? undefined
            : track(Promise.resolve(coordinator.onComplete?.(key))),
      },
      logger: cronLogger(ctx),
    },
  );
  return {
    async stop() {
      await task.destroy();
      shutdown.abort();
      while (running.size) await Promise.allSettled([...running]);
    },
  };
}

function cronLogger(ctx: AppContext): Logger {
  const log = ctx.log.child({ job: POLL_JOB_NAME });
  return {
    info: (message) => log.info(message),
    warn: (message) => log.warn(message),
    error: (message, err) =>
      log.error({ err: err ?? message }, typeof message === "string" ? message : "node-cron error"),
    debug: (message) => log.debug(String(message)),
  };
}
