// Statement imports run as jobs: at start-up (an import a restart interrupted is resumed)
// and every 20 seconds (one another instance abandoned, whose lease ran out), any waiting import is
// claimed with SKIP LOCKED and run. An upload also starts the run at once (kickStatementImports).
import cron from "node-cron";
import type { AppContext } from "../app/context.server";
import { within } from "../app/lib/within";
import { kickStatementImports } from "../app/modules/reconciliation/import.server";

export function startStatementImports(ctx: AppContext): { stop(): Promise<void> } {
  let running: Promise<unknown> = kickStatementImports(ctx);
  const task = cron.schedule(
    "*/20 * * * * *",
    () => {
      running = kickStatementImports(ctx);
      return running;
    },
    { name: "statement-imports", noOverlap: true },
  );
  return {
    async stop() {
      await task.destroy();
      // An import cut short here is rolled back and resumed by the next start (or another instance).
      await within(running, 5_000, () => undefined);
    },
  };
}
