// The STK Query budget shared by every instance (docs/daraja.md#stk-query: at most POLL_MAX_QPS
// queries a second in all, and a pause for everyone after a Spike Arrest / Quota answer or an answer
// that says Daraja is failing, #daraja-errors). Both live in one job_leases row:
// expires_at is the next free query slot (advanced by 1/qps per query, on the database's clock) and
// backoff_until ends the pause (on the app's clock, like every other poller time).
import { eq, sql } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { jobLeases } from "../../../db/schema";
import { isDarajaDown, isDarajaUnavailable, type QueryAnswer } from "../daraja/errors";
import { OUTAGE_CREDIT_MAX_S, outagePauseS, retryAfterMs, sweepBackoffMs } from "./poll-schedule";

export const POLLER_LEASE_KEY = "poller";

const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/**
 * Takes the next query slot in one UPDATE … RETURNING, so instances never share a slot. Returns how
 * long to wait before sending, or the end of the pause when the sweep must stop instead.
 */
export async function takeQuerySlot(
  db: Db,
  input: { instanceId: string; maxQps: number; now: Date },
): Promise<{ waitMs: number } | { backoffUntil: Date }> {
  const gap = sql`(${1000 / input.maxQps}::float8 * interval '1 millisecond')`;
  const [slot] = await db.transaction(async (tx) => {
    // Every query of every instance updates this one row, so its commit is the poller's speed limit.
    // A slot is worthless after a crash: its commit need not wait for the disk.
    await tx.execute(sql`set local synchronous_commit = off`);
    return tx
      .insert(jobLeases)
      .values({
        key: POLLER_LEASE_KEY,
        holder: input.instanceId,
        expiresAt: sql`clock_timestamp() + ${gap}`,
      })
      .onConflictDoUpdate({
        target: jobLeases.key,
        set: {
          holder: input.instanceId,
          expiresAt: sql`greatest(${jobLeases.expiresAt}, clock_timestamp()) + ${gap}`,
        },
        setWhere: sql`${jobLeases.backoffUntil} is null or ${jobLeases.backoffUntil} <= ${at(input.now)}`,
      })
      .returning({
        waitMs: sql<number>`(extract(epoch from (${jobLeases.expiresAt} - ${gap} - clock_timestamp())) * 1000)::float8`,
      });
  });
  if (slot) return { waitMs: Math.max(0, Number(slot.waitMs)) };
  return { backoffUntil: (await getSweepBackoff(db, input.now)) ?? input.now };
}

/** The end of the current sweep-wide pause, or null when the poller may query. */
export async function getSweepBackoff(db: Db, now: Date): Promise<Date | null> {
  const [row] = await db
    .select({ until: jobLeases.backoffUntil })
    .from(jobLeases)
    .where(eq(jobLeases.key, POLLER_LEASE_KEY));
  return row?.until && row.until.getTime() > now.getTime() ? row.until : null;
}

export type SweepPause = {
  instanceId: string;
  now: Date;
  /** From the answer's Retry-After: the pause lasts at least this long. */
  retryAfterMs?: number | null;
  /** Set for an outage (Daraja failing), not a rate limit: when the failing query was sent. */
  failedQueryAt?: Date;
};

/**
 * The pause an STK Query answer calls for: a rate limit, or an answer that says Daraja or our access
 * to it is failing (isDarajaUnavailable). Null for an answer about the payment.
 */
export function sweepPause(
  answer: QueryAnswer,
  at: { instanceId: string; now: Date; askedAt: Date },
): SweepPause | null {
  if (answer.kind !== "rate_limited" && !isDarajaUnavailable(answer)) return null;
  return {
    instanceId: at.instanceId,
    now: at.now,
    retryAfterMs: retryAfterMs(answer, at.now),
    // Only M-Pesa being down gives give-up time back; refused credentials are ours to fix.
    failedQueryAt: isDarajaDown(answer) ? at.askedAt : undefined,
  };
}

/**
 * Daraja said "too many requests", or is failing: every instance pauses. Two workers hitting the
 * limit together extend nothing; a limit hit again soon after a pause doubles the next one, and a
 * Retry-After (retryAfterMs) makes it at least that long. updated_at marks when the pause was set
 * (the slot updates above leave it alone), which is how the doubling is measured.
 *
 * An outage pause (failedQueryAt: when the failing query was sent) is time no payment can be asked
 * about, so it must not use up their give-up time: every attempt still being polled gets it back
 * (stk_attempts.poll_outage_s), in the same transaction, once per pause.
 */
export async function backOffSweep(db: Db, input: SweepPause): Promise<Date> {
  return db.transaction(async (tx) => {
    await tx
      .insert(jobLeases)
      .values({
        key: POLLER_LEASE_KEY,
        holder: input.instanceId,
        expiresAt: sql`clock_timestamp()`,
      })
      .onConflictDoNothing();
    const [row] = await tx
      .select()
      .from(jobLeases)
      .where(eq(jobLeases.key, POLLER_LEASE_KEY))
      .for("update");
    if (row.backoffUntil && row.backoffUntil.getTime() > input.now.getTime())
      return row.backoffUntil;
    const previous = row.backoffUntil ? { setAt: row.updatedAt, until: row.backoffUntil } : null;
    const pauseMs = Math.max(sweepBackoffMs(previous, input.now), input.retryAfterMs ?? 0);
    const until = new Date(input.now.getTime() + pauseMs);
    await tx
      .update(jobLeases)
      .set({ backoffUntil: until, updatedAt: input.now, holder: input.instanceId })
      .where(eq(jobLeases.key, POLLER_LEASE_KEY));
    if (input.failedQueryAt) {
      const seconds = outagePauseS({ failedQueryAt: input.failedQueryAt, until });
      // Only attempts still being polled have a next check (a settled or given-up one has none), up to
      // OUTAGE_CREDIT_MAX_S in all. SKIP LOCKED: an attempt locked right now is being settled by a
      // callback (which locks payments first); waiting for it could deadlock, and it needs no credit.
      await tx.execute(sql`update stk_attempts
        set poll_outage_s = least(poll_outage_s + ${seconds}::int, ${OUTAGE_CREDIT_MAX_S}::int)
        where id in (select id from stk_attempts where next_poll_at is not null
          order by id for update skip locked)`);
    }
    return until;
  });
}
