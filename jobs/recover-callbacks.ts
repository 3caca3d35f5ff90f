// Start-up recovery and the continuous sweep of stored-but-unapplied callbacks: the applier looks at
// once (whatever a previous process acknowledged and did not apply) and then every second. Claims are
// made in SQL with SKIP LOCKED, so every instance runs it.
import type { AppContext } from "../app/context.server";

export function startRecoverCallbacks(ctx: AppContext): { stop(): Promise<void> } {
  ctx.callbackQueue.start({ sweepMs: 1000 });
  return {
    async stop() {
      // The drain itself is bounded by the server's shutdown (see server.ts).
    },
  };
}
