// Callbacks acknowledged but never applied (the process stopped mid-batch, processing hit a bug) stay
// `received`. The applier (queue.server.ts) sweeps for them at start-up and every second; this is the
// same claim-and-apply step on demand, for rows older than a cutoff (CLI, tests).
import type { AppContext } from "../../context.server";
import { applyStoredCallbacks } from "./queue.server";

export async function recoverStaleCallbacks(
  ctx: AppContext,
  options: { olderThanMs?: number; limit?: number } = {},
): Promise<{ recovered: number; failed: number }> {
  const { claimed, failed } = await applyStoredCallbacks(ctx, {
    limit: options.limit ?? 200,
    olderThanMs: options.olderThanMs ?? 60_000,
  });
  return { recovered: claimed - failed, failed };
}
