// Every scheduled job of the process, registered once. Jobs are thin: a schedule and one call.
import type { AppContext } from "../app/context.server";
import { startBalanceQuery } from "./balance-query";
import { startDeliverWebhooks } from "./deliver-webhooks";
import { startFoldReportStats } from "./fold-report-stats";
import { startPollPending } from "./poll-pending";
import { startRecoverCallbacks } from "./recover-callbacks";
import { startStatementImports } from "./statement-imports";

export type Jobs = { stop(): Promise<void> };

export function startJobs(ctx: AppContext): Jobs {
  const started = [
    startRecoverCallbacks(ctx),
    startFoldReportStats(ctx),
    startStatementImports(ctx),
    startDeliverWebhooks(ctx),
    startBalanceQuery(ctx),
    ...(ctx.config.poller.enabled ? [startPollPending(ctx)] : []),
  ];
  return {
    async stop() {
      await Promise.all(started.map((job) => job.stop()));
    },
  };
}
