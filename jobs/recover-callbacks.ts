// Start-up recovery and the continuous sweep of stored-but-unapplied callbacks: the applier looks at
// once (whatever a previous process acknowledged and did not apply) and then every second. Claims are
// made in SQL with SKIP LOCKED, so every instance runs it. Once a minute, held C2B confirmations from
// untrusted addresses whose receipt has since been vouched for are applied.
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { corroborateHeldC2b } from "../app/modules/reconciliation/c2b.server";

export function startRecoverCallbacks(ctx: AppContext): { stop(): Promise<void> } {
  ctx.callbackQueue.start({ sweepMs: 1000 });
  let running: Promise<unknown> | null = null;
  const task = cron.schedule(
    "40 * * * * *",
    () => {
      running = corroborateHeldC2b(ctx).catch((error) =>
        ctx.log.error({ err: error }, "re-checking held C2B confirmations failed"),
      );
      return running;
    },
    { name: "corroborate-held-c2b", noOverlap: true },
  );
  return {
    async stop() {
      // The drain of stored callbacks is bounded by the server's shutdown (see server.ts).
      await task.destroy();
      await running;
    },
  };
}
