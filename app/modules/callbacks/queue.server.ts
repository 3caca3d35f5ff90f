// The applier of stored callbacks. The database is the queue: a request stores its raw row, is
// acknowledged, and wakes this applier; the applier claims `received` rows in batches (SKIP LOCKED, so
// instances share the work without doing it twice) and applies each batch in ONE transaction with a
// few statements per callback (stk-batch.server.ts); a batch in which anything fails is applied again
// one callback per savepoint. Nothing lives only in memory: a process that dies mid-batch leaves its
// rows `received` (the transaction rolls back), and whichever instance sweeps next — every instance
// sweeps at start-up and then every second — applies them. See README, "How it is built".
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { rawCallbacks, type RawCallback } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { processC2bConfirmation, processC2bValidation } from "../reconciliation/c2b.server";
import { processInitiatorResult } from "../money-out/results.server";
import { INITIATOR_HOOK_KINDS } from "./identifiers";
import { processStkCallback } from "./intake.server";
import { applyBatchInTransaction } from "./stk-batch.server";

/** A row whose processing threw is retried after this long (by then the bug may be fixed, or the lock free). */
export const RETRY_FAILED_AFTER_S = 30;

const PROCESSORS: Record<string, (ctx: AppContext, raw: RawCallback) => Promise<unknown>> = {
  stk: (ctx, raw) => processStkCallback(ctx, raw),
  c2b_confirmation: (ctx, raw) => processC2bConfirmation(ctx, raw),
  c2b_validation: (ctx, raw) => processC2bValidation(ctx, raw),
  // Transaction Status, Reversal and Account Balance results and timeouts (money-out/results.server.ts).
  ...Object.fromEntries(
    INITIATOR_HOOK_KINDS.map((kind) => [
      kind,
      (ctx: AppContext, raw: RawCallback) => processInitiatorResult(ctx, raw),
    ]),
  ),
};
const APPLIED_KINDS = Object.keys(PROCESSORS);

const byLockOrder = (rows: RawCallback[]) => {
  // Locks are taken per CheckoutRequestID / receipt while applying; taking them in one order in
  // every batch means two instances' batches never wait on each other in a circle.
  const key = (r: RawCallback) => r.checkoutRequestId ?? r.receipt ?? r.conversationId ?? "";
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
};

/** Rows waiting to be applied, locked; rows another worker holds are skipped. */
function claim(
  tx: AppContext["db"],
  ctx: AppContext,
  options: { limit: number; olderThanMs?: number },
) {
  return tx
    .select()
    .from(rawCallbacks)
    .where(
      and(
        eq(rawCallbacks.outcome, "received"),
        inArray(rawCallbacks.kind, APPLIED_KINDS),
        or(
          isNull(rawCallbacks.processedAt),
          lt(rawCallbacks.processedAt, sql`now() - make_interval(secs => ${RETRY_FAILED_AFTER_S})`),
        ),
        options.olderThanMs === undefined
          ? undefined
          : lt(rawCallbacks.receivedAt, new Date(ctx.now().getTime() - options.olderThanMs)),
      ),
    )
    .orderBy(asc(rawCallbacks.id))
    .limit(options.limit)
    .for("update", { skipLocked: true });
}

/**
 * Claims up to `limit` stored, unapplied callbacks and applies them in one transaction, all at once
 * (stk-batch.server.ts: a few statements per callback, no savepoint each), inside one savepoint. If
 * anything fails, that savepoint is rolled back — the claimed rows stay locked by this transaction,
 * so no other worker can slip a later callback for the same payment in ahead of them — and the same
 * rows are applied one by one, each in its own savepoint: rows that fail then are stamped and retried
 * after RETRY_FAILED_AFTER_S, the others are applied.
 */
export async function applyStoredCallbacks(
  ctx: AppContext,
  options: { limit: number; olderThanMs?: number },
): Promise<{ claimed: number; failed: number }> {
  return ctx.db.transaction(async (tx) => {
    const rows = byLockOrder(await claim(tx, ctx, options));
    if (!rows.length) return { claimed: 0, failed: 0 };
    try {
      await tx.transaction(async (batch) => {
        const batchCtx = { ...ctx, db: batch };
        await applyBatchInTransaction(batchCtx, rows, (raw) => PROCESSORS[raw.kind](batchCtx, raw));
      });
      return { claimed: rows.length, failed: 0 };
    } catch (error) {
      ctx.log.warn(
        { err: error, rawCallbackIds: rows.map((r) => r.id) },
        "a callback failed in a batch; applying that batch one callback at a time",
      );
    }
    let failed = 0;
    for (const raw of rows) {
      try {
        await tx.transaction((sp) => PROCESSORS[raw.kind]({ ...ctx, db: sp }, raw));
      } catch (error) {
        failed += 1;
        ctx.log.error(
          { err: error, rawCallbackId: raw.id },
          `applying a stored callback failed; it stays received and is retried in ${RETRY_FAILED_AFTER_S} s`,
        );
        await tx
          .update(rawCallbacks)
          .set({ processedAt: sql`now()` })
          .where(eq(rawCallbacks.id, raw.id));
      }
    }
    return { claimed: rows.length, failed };
  });
}

export type CallbackApplier = {
  /** Something was stored: apply it (and anything else waiting) now. */
  wake(): void;
  /** Resolves once the applier has found nothing left to claim and holds nothing back (tests wait on this). */
  idle(): Promise<void>;
  /** Start-up recovery and the continuous sweep: apply what is waiting now, then look every `sweepMs`. */
  start(options?: { sweepMs?: number }): void;
  /**
   * Graceful shutdown: keep applying for at most `drainMs`, then stop after the batch in hand. What is
   * left stays `received` for the next sweep of any instance. Resolves true when nothing was left.
   */
  stop(options: { drainMs: number }): Promise<boolean>;
};

/**
 * Lets acknowledging go first: asked before every claim (not while draining for shutdown), it answers
 * how long to wait before applying (0: apply now; times from performance.now()), and hears when the
 * applier has found nothing left. See burst-gate.server.ts.
 */
export type ApplyGate = { holdMs(now: number): number; caughtUp(): void };

export function createCallbackApplier(
  ctx: AppContext,
  options: { workers: number; batch: number; gate?: ApplyGate },
): CallbackApplier {
  const { gate } = options;
  let held: NodeJS.Timeout | null = null;
  let loops = 0;
  let again = false;
  let stopping = false;
  let deadline = Infinity;
  let timer: NodeJS.Timeout | null = null;
  let lastErrorLogged = 0;
  let idleWaiters: (() => void)[] = [];
  let leftWork = false;

  const settleIdle = () => {
    if (loops > 0 || held) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const loop = async () => {
    try {
      for (;;) {
        if (Date.now() > deadline) {
          leftWork = true;
          return;
        }
        // Draining for shutdown is bounded by its deadline, never held.
        const wait = gate && deadline === Infinity ? gate.holdMs(performance.now()) : 0;
        if (wait > 0) {
          if (!held)
            held = setTimeout(() => {
              held = null;
              wake();
            }, wait).unref();
          return;
        }
        again = false;
        let result: { claimed: number; failed: number };
        try {
          result = await applyStoredCallbacks(ctx, { limit: options.batch });
        } catch (error) {
          // The database is unreachable, most likely. Say so once in a while, back off, and let the
          // next sweep try again; never spin.
          if (Date.now() - lastErrorLogged > 10_000) {
            lastErrorLogged = Date.now();
            ctx.log.error({ err: error }, "applying stored callbacks failed; retrying shortly");
          }
          leftWork = true;
          return;
        }
        if (result.claimed > 1 && loops < options.workers) {
          loops += 1; // more than one waiting: another worker takes the next batch alongside
          leftWork = false;
          void loop();
        }
        if (result.claimed === 0 && !again) {
          gate?.caughtUp();
          return;
        }
      }
    } finally {
      loops -= 1;
      settleIdle();
    }
  };

  const wake = () => {
    if (stopping) return;
    if (loops > 0) {
      again = true;
      return;
    }
    loops += 1;
    leftWork = false;
    void loop();
  };

  const idle = (): Promise<void> =>
    loops === 0 && !held ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));

  return {
    wake,
    idle,
    start({ sweepMs = 1000 } = {}) {
      if (timer) return;
      stopping = false;
      deadline = Infinity;
      timer = setInterval(wake, sweepMs);
      timer.unref();
      wake();
    },
    async stop({ drainMs }) {
      if (timer) clearInterval(timer);
      timer = null;
      if (held) clearTimeout(held);
      held = null;
      deadline = Date.now() + drainMs;
      wake(); // one last look for work stored before the server stopped accepting
      stopping = true;
      await new Promise<void>((resolve) => {
        const giveUp = setTimeout(resolve, drainMs + 1000);
        giveUp.unref();
        void idle().then(() => {
          clearTimeout(giveUp);
          resolve();
        });
      });
      return loops === 0 && !leftWork;
    },
  };
}
