// Fixed-window rate limits kept in PostgreSQL, so every instance shares them and a burst of
// concurrent requests cannot all pass a count-then-check: each hit is one atomic upsert that returns
// the new count, and only the first `limit` hits of a window see a count within the limit.
import { lt, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { rateLimits } from "../../../db/schema";

export type Limit = { limit: number; windowMs: number };

/** Counts one hit on `key` and says whether it is within the limit of the current window. */
export async function hit(
  db: Db,
  key: string,
  { limit, windowMs }: Limit,
  now: Date,
): Promise<{ allowed: boolean; hits: number }> {
  // ISO strings with a cast: both drivers bind them the same way inside a raw `sql` fragment.
  const since = sql`${new Date(now.getTime() - windowMs).toISOString()}::timestamptz`;
  const at = sql`${now.toISOString()}::timestamptz`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStartedAt: now, hits: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        // A window that has run out starts again at this hit.
        hits: sql`case when ${rateLimits.windowStartedAt} <= ${since} then 1 else ${rateLimits.hits} + 1 end`,
        windowStartedAt: sql`case when ${rateLimits.windowStartedAt} <= ${since} then ${at} else ${rateLimits.windowStartedAt} end`,
      },
    })
    .returning({ hits: rateLimits.hits });
  return { allowed: row.hits <= limit, hits: row.hits };
}

/** Takes back a hit that turned out not to count (a sign-in that succeeded). */
export async function forgive(db: Db, key: string): Promise<void> {
  await db
    .update(rateLimits)
    .set({ hits: sql`greatest(${rateLimits.hits} - 1, 0)` })
    .where(sql`${rateLimits.key} = ${key}`);
}

/** Drops counters whose window ended long ago; called now and then from a write path. */
export async function sweepRateLimits(db: Db, now: Date, olderThanMs: number): Promise<void> {
  await db
    .delete(rateLimits)
    .where(lt(rateLimits.windowStartedAt, new Date(now.getTime() - olderThanMs)));
}
