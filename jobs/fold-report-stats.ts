// Every minute, the reporting rollup's deltas (appended by the payments trigger) are folded into
// payment_stats, so reads stay small even when nobody opens the dashboard. Safe on every instance:
// the fold takes a PostgreSQL advisory lock and skips if another instance holds it.
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { foldPaymentStats } from "../app/modules/reports/stats.server";

export function startFoldReportStats(ctx: AppContext): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const task = cron.schedule(
    "15 * * * * *",
    () => {
      running = foldPaymentStats(ctx.db).catch((error) =>
        ctx.log.error({ err: error }, "folding the report rollup failed"),
      );
      return running;
    },
    { name: "fold-report-stats", noOverlap: true },
  );
  return {
    async stop() {
      await task.destroy();
      await running;
    },
  };
}
