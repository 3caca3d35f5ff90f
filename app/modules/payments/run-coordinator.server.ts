// node-cron's RunCoordinator backed by PostgreSQL (docs/decisions/003-skip-locked-polling.md): every
// instance fires the same tick, and the first to insert the tick's job_leases row runs it. node-cron
// names each tick `<task name>:<tick ISO time>`, so one row is one tick; a row stays until its lease
// lapses (an instance with a slow clock must not run a finished tick again), then is pruned.
import { and, lt, sql } from "drizzle-orm";
import type { RunCoordinator } from "node-cron";
import type { Db } from "../../../db/client";
import { jobLeases } from "../../../db/schema";

const TICK_KEY = /^(.+):\d{4}-\d{2}-\d{2}T[\d:.]+Z$/;

export function createLeaseCoordinator(db: Db, instanceId: string): RunCoordinator {
  return {
    async shouldRun(key, ttlMs) {
      const expiresAt = sql`now() + (${ttlMs}::float8 * interval '1 millisecond')`;
      // Taken only if free, lapsed (its holder died mid-tick), or already ours (a retry of our own call).
      const [row] = await db
        .insert(jobLeases)
        .values({ key, holder: instanceId, expiresAt })
        .onConflictDoUpdate({
          target: jobLeases.key,
          set: { holder: instanceId, expiresAt, updatedAt: sql`now()` },
          setWhere: sql`${jobLeases.expiresAt} < now() or ${jobLeases.holder} = ${instanceId}`,
        })
        .returning({ holder: jobLeases.holder });
      return row?.holder === instanceId;
    },
    async onComplete(key) {
      const task = TICK_KEY.exec(key)?.[1];
      if (!task) return;
      await db
        .delete(jobLeases)
        .where(
          and(
            sql`starts_with(${jobLeases.key}, ${`${task}:`})`,
            lt(jobLeases.expiresAt, sql`now()`),
          ),
        );
    },
  };
}
