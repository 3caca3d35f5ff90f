// Callback health for the console's banner: payments waiting on M-Pesa while no callback has
// arrived for ten minutes usually means callbacks are failing at the network edge (firewall, TLS, a
// changed URL) — Daraja never retries a callback it could not deliver
// (docs/daraja.md#callback-delivery).
import { and, count, eq, lte, max, min } from "drizzle-orm";
import { payments, rawCallbacks } from "../../../db/schema";
import type { AppContext } from "../../context.server";

export const CALLBACK_SILENCE_MS = 10 * 60_000;

export type CallbackHealth = {
  healthy: boolean;
  /** Payments pending for longer than the silence window. */
  stalledPending: number;
  oldestPendingAt: string | null;
  lastCallbackAt: string | null;
  silentMinutes: number | null;
};

export async function getCallbackHealth(ctx: AppContext): Promise<CallbackHealth> {
  const now = ctx.now();
  const cutoff = new Date(now.getTime() - CALLBACK_SILENCE_MS);
  const [[pending], [last]] = await Promise.all([
    // A prompt answers (or times out with 1037) within about a minute, so a payment pending for ten
    // minutes should have produced a callback by now.
    ctx.db
      .select({ n: count(), oldest: min(payments.createdAt) })
      .from(payments)
      .where(and(eq(payments.status, "pending"), lte(payments.createdAt, cutoff))),
    // Only well-addressed STK callbacks count: a wrong token in the URL is its own kind of failure.
    ctx.db
      .select({ at: max(rawCallbacks.receivedAt) })
      .from(rawCallbacks)
      .where(and(eq(rawCallbacks.kind, "stk"), eq(rawCallbacks.tokenValid, true))),
  ]);
  const lastAt = last?.at ? new Date(last.at) : null;
  const silent = !lastAt || lastAt.getTime() <= cutoff.getTime();
  return {
    healthy: !(pending.n > 0 && silent),
    stalledPending: pending.n,
    oldestPendingAt: pending.oldest ? new Date(pending.oldest).toISOString() : null,
    lastCallbackAt: lastAt?.toISOString() ?? null,
    silentMinutes: lastAt ? Math.floor((now.getTime() - lastAt.getTime()) / 60_000) : null,
  };
}
