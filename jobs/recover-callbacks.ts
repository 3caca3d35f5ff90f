// Every minute, callbacks that were stored and acknowledged but never applied (the process stopped,
// the in-process queue was full) are applied. Claims are made in SQL, so every instance may run it.
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { recoverStaleCallbacks } from "../app/modules/callbacks/recovery.server";

export function startRecoverCallbacks(ctx: AppContext): { stop(): Promise<void> } {
  let running: Promise<unknown> | null = null;
  const task = cron.schedule(
    "30 * * * * *",
    () => {
      running = recoverStaleCallbacks(ctx).catch((error) =>
        ctx.log.error({ err: error }, "callback recovery failed"),
      );
      return running;
    },
    { name: "recover-callbacks", noOverlap: true },
  );
  return {
    async stop() {
      await task.destroy();
      await running;
      // Whatever the queue still holds was stored first; finish it rather than leave it for later.
      await ctx.callbackQueue.idle();
    },
  };
}
