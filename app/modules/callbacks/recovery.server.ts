// Callbacks acknowledged but never applied (the process stopped, the queue was full, processing hit a
// bug) stay `received`. This sweep applies them; the claim stamp lets several instances share the work
// without applying one row twice at the same moment (applying twice would still be harmless).
import { sql } from "drizzle-orm";
import { rowsOf } from "../../../db/client";
import type { AppContext } from "../../context.server";
import { processStkCallback } from "./intake.server";

export async function recoverStaleCallbacks(
  ctx: AppContext,
  options: { olderThanMs?: number; limit?: number } = {},
): Promise<{ recovered: number; failed: number }> {
  const cutoff = new Date(ctx.now().getTime() - (options.olderThanMs ?? 60_000));
  const claimed = rowsOf<{ id: number }>(
    await ctx.db.execute(sql`
    update raw_callbacks set processed_at = now()
    where id in (
      select id from raw_callbacks
      where kind = 'stk' and outcome = 'received' and received_at < ${cutoff.toISOString()}::timestamptz
        and (processed_at is null or processed_at < now() - interval '5 minutes')
      order by id limit ${options.limit ?? 200}
      for update skip locked)
    returning id`),
  );
  let failed = 0;
  for (const { id } of claimed) {
    try {
      await processStkCallback(ctx, Number(id));
    } catch (error) {
      failed += 1;
      ctx.log.error(
        { err: error, rawCallbackId: id },
        "recovering a stored callback failed; it stays received",
      );
    }
  }
  return { recovered: claimed.length - failed, failed };
}
