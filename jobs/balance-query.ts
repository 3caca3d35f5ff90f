// Once a day (BALANCE_QUERY_SCHEDULE), ask M-Pesa for the Account Balance; the result arrives on the
// balance hook and becomes a snapshot. Only one instance asks: a PostgreSQL advisory lock is taken
// for the day's slot, so two instances sharing a database send one request.
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { requestDailyAccountBalance } from "../app/modules/money-out/balance.server";

export function startBalanceQuery(ctx: AppContext): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const task = cron.schedule(
    ctx.config.balanceSchedule,
    () => {
      running = requestDailyAccountBalance(ctx).catch((error) =>
        ctx.log.error({ err: error }, "the daily Account Balance query failed"),
      );
      return running;
    },
    { name: "balance-query", noOverlap: true },
  );
  return {
    async stop() {
      await task.destroy();
      await running;
    },
  };
}
