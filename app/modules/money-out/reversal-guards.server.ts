// What stops a second reversal of a receipt: one that completed, or one that may still complete (its
// send failed, or M-Pesa's queue timed it out). Asked when a reversal is requested, approved and shown.
import { and, eq, inArray } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { darajaRequests, type DarajaRequest } from "../../../db/schema";
import { formatEat } from "../../lib/time";
import { mayStillCompleteUntil } from "./request-states";

/** An earlier reversal of this receipt that M-Pesa completed, if any. */
export async function completedReversalOf(db: Db, receipt: string) {
  const [done] = await db
    .select({ id: darajaRequests.id })
    .from(darajaRequests)
    .where(
      and(
        eq(darajaRequests.kind, "reversal"),
        eq(darajaRequests.receipt, receipt),
        eq(darajaRequests.state, "completed"),
      ),
    )
    .limit(1);
  return done ?? null;
}

/**
 * Why a new reversal of the receipt must wait: an earlier one failed to send or timed out in M-Pesa's
 * queue and may still complete (a second would send the money back twice). Null when none may.
 */
export async function earlierReversalRefusal(
  db: Db,
  receipt: string,
  now: Date,
  resultWaitMs: number,
): Promise<string | null> {
  const rows = await db
    .select({
      kind: darajaRequests.kind,
      state: darajaRequests.state,
      updatedAt: darajaRequests.updatedAt,
    })
    .from(darajaRequests)
    .where(
      and(
        eq(darajaRequests.kind, "reversal"),
        eq(darajaRequests.receipt, receipt),
        inArray(darajaRequests.state, ["send_failed", "timed_out"]),
      ),
    );
  const waits = rows
    .map((r) => ({ state: r.state, until: mayStillCompleteUntil(r, resultWaitMs) }))
    .filter((w): w is { state: DarajaRequest["state"]; until: Date } => !!w.until && now < w.until)
    .sort((a, b) => b.until.getTime() - a.until.getTime());
  const last = waits[0];
  if (!last) return null;
  const what =
    last.state === "timed_out"
      ? "timed out in M-Pesa's queue"
      : "got no clear answer when it was sent";
  return `An earlier reversal of receipt ${receipt} ${what}, and M-Pesa may still complete it: a new reversal can be asked for after ${formatEat(last.until)} (its result, if one comes, is applied).`;
}
