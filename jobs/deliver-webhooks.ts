// Merchant webhook delivery: every second, whatever is due is claimed (SKIP LOCKED, so every instance
// runs it) and sent. A send in flight at stop() finishes or is abandoned; its lease then runs out
// and any instance sends it again with the same webhook-id.
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { within } from "../app/lib/within";
import { runWebhookDeliveries } from "../app/modules/webhooks/worker.server";

export function startDeliverWebhooks(ctx: AppContext): { stop(): Promise<void> } {
  const shutdown = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  const task = cron.schedule(
    "* * * * * *",
    () => {
      running = runWebhookDeliveries(ctx, { signal: shutdown.signal }).catch((error) =>
        ctx.log.error({ err: error }, "webhook delivery run failed"),
      );
      return running;
    },
    { name: "deliver-webhooks", noOverlap: true },
  );
  return {
    async stop() {
      shutdown.abort();
      await task.destroy();
      await within(running, 5_000, () => undefined);
    },
  };
}
