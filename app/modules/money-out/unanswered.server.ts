// A reversal M-Pesa never answered. Daraja posts an initiator result once, and not again when our
// ResultURL could not take it (docs/daraja.md#initiator-apis), so a reversal can stay `sent` for good:
// a live reversal, with no other allowed for the receipt. Once MPESA_RESULT_WAIT_S has passed, a
// finance user may record that no answer came, saying what they checked; the request becomes
// `unanswered` (not live), the receipt may be reversed again (four eyes again), and a result that
// still comes is applied as any other (money-out/results.server.ts).
import { eq } from "drizzle-orm";
import { z } from "zod";
import { darajaRequests, type DarajaRequest } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { formatEat } from "../../lib/time";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { addPaymentEvent } from "../ledger/events.server";
import { pendingReversal, type MoneyOutResult } from "./requests.server";
import { requestStateText } from "./request-states";
import { markUnanswered, moved } from "./request-writer.server";

/** A reversal waiting for M-Pesa: sent, or cut off while being sent (a crash before the ack). */
const WAITING = ["sending", "sent"] as const;

/**
 * When finance may record that M-Pesa did not answer; null when the request is not waiting. A request
 * still `sending` may be in the middle of its HTTP call: it also waits out the call's own time limit,
 * so no second reversal is asked for while the first may still be on its way.
 */
export function noAnswerFrom(
  row: Pick<DarajaRequest, "kind" | "state" | "sentAt" | "updatedAt">,
  wait: { resultWaitMs: number; timeoutMs: number },
): Date | null {
  if (row.kind !== "reversal" || !(WAITING as readonly string[]).includes(row.state)) return null;
  if (row.state === "sending")
    return new Date(row.updatedAt.getTime() + wait.resultWaitMs + wait.timeoutMs);
  return new Date((row.sentAt ?? row.updatedAt).getTime() + wait.resultWaitMs);
}

export const UnansweredSchema = z.object({
  note: z
    .string({ message: "Say what you checked (at least 5 characters)." })
    .trim()
    .min(5, "Say what you checked (at least 5 characters).")
    .max(500, "Keep the note under 500 characters."),
});

export async function recordUnansweredReversal(
  ctx: AppContext,
  actor: Actor & { kind: "user" },
  paymentId: string,
  requestId: string,
  { note }: z.output<typeof UnansweredSchema>,
): Promise<MoneyOutResult> {
  const found = await pendingReversal(ctx.db, paymentId, requestId);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    // Locked, as the result's applier locks it: a result applied meanwhile is seen here, and one that
    // comes next waits for this decision and is applied after it.
    const [row] = await tx
      .select()
      .from(darajaRequests)
      .where(eq(darajaRequests.id, found.id))
      .for("update");
    const from = row && noAnswerFrom(row, ctx.config.mpesa);
    if (!row || !from)
      throw new AppError(
        "already_decided",
        `This reversal is not waiting for M-Pesa's answer (it is ${requestStateText((row ?? found).state)}).`,
        { status: 409 },
      );
    if (now < from)
      throw new AppError(
        "too_early",
        `M-Pesa may still answer: you can record that it did not after ${formatEat(from)}.`,
        { status: 409 },
      );
    // Locked above and checked by noAnswerFrom, so the move finds the row as it was read.
    moved(await markUnanswered(tx, row, now));
    const sent = row.sentAt ? `sent ${formatEat(row.sentAt)}` : "never acknowledged";
    await recordStaffAction(tx, actor, {
      action: "reversal.unanswered",
      entityType: "payment",
      entityId: paymentId,
      before: { state: row.state, sentAt: row.sentAt?.toISOString() ?? null },
      after: { state: "unanswered", requestId: row.id },
      note,
    });
    await addPaymentEvent(tx, actor, {
      paymentId,
      type: "reversal_unanswered",
      summary: `${actor.label} recorded that M-Pesa never answered the reversal of receipt ${row.receipt} (${sent}): ${note}. The receipt may be reversed again; a result that still comes is applied.`,
      data: { requestId: row.id },
    });
    return {
      ok: true,
      requestId: row.id,
      message:
        "Recorded: M-Pesa did not answer. The receipt may be reversed again (a second finance user approves).",
    };
  });
}
