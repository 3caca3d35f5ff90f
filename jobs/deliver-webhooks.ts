// Merchant webhook delivery: every second, unless a run is still going (it goes on while anything is
// due, worker.server.ts), whatever is due is claimed (SKIP LOCKED, so every instance runs it) and
// sent. A send in flight at stop() finishes or is abandoned; its lease then runs out and any instance
// sends it again with the same webhook-id.
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { within } from "../app/lib/within";
import { runWebhookDeliveries } from "../app/modules/webhooks/worker.server";

export function startDeliverWebhooks(ctx: AppContext): { stop(): Promise<void> } {
  const shutdown = new AbortController();
  let running: Promise<void> | null = null;
  // The tick returns at once, so node-cron never finds it still running: a run that lasts minutes
  // (a backlog, a receiver that is down) would have it log an overlap warning every second.
  const task = cron.schedule(
    "* * * * * *",
    () => {
      running ??= runWebhookDeliveries(ctx, { signal: shutdown.signal })
        .then(
          () => {},
          (error: unknown) => ctx.log.error({ err: error }, "webhook delivery run failed"),
        )
        .finally(() => {
          running = null;
        });
    },
    { name: "deliver-webhooks" },
  );
  return {
    async stop() {
      shutdown.abort();
      await task.destroy();
      if (running) await within(running, 5_000, () => undefined);
    },
  };
}
