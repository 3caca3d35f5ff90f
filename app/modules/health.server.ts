// Health facts shown by /healthz and the console's banners.
import { sql } from "drizzle-orm";
import type { AppContext } from "../context.server";

export async function checkDatabase(
  ctx: AppContext,
): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = Date.now();
  try {
    await ctx.db.execute(sql`select 1`);
    return { ok: true, latencyMs: Date.now() - started };
  } catch (error) {
    ctx.log.error({ err: error }, "health check: database unreachable");
    return { ok: false, latencyMs: Date.now() - started, error: "database unreachable" };
  }
}
