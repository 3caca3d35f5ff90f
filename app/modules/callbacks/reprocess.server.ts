// The console's "re-process" for a stored callback that went nowhere (invalid, or an orphan whose
// attempt has since appeared): the same idempotent path as intake (reprocessCallback), plus the staff
// audit entry. Rows that were applied, duplicate or conflicting are settled and are not re-run here.
import { eq } from "drizzle-orm";
import { rawCallbacks, type CallbackOutcome } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError, forbidden } from "../../lib/app-error";
import { can } from "../auth/permissions";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { reprocessCallback } from "./intake.server";

export const REPROCESSABLE_OUTCOMES: readonly CallbackOutcome[] = ["invalid", "orphan"];

/**
 * STK callbacks and C2B confirmations alike: invalid ones (after a fix), and ones still `received`
 * (their processing failed). STK orphans too, once their attempt may exist. A C2B confirmation left
 * unmatched already holds its unowned receipt and an unmatched_c2b case, which is where a person
 * places that money; re-running it would only call it a duplicate.
 */
export function isReprocessable(c: {
  kind: string;
  outcome: string;
  tokenValid: boolean;
}): boolean {
  if (!c.tokenValid) return false;
  if (c.kind === "stk") return [...REPROCESSABLE_OUTCOMES, "received"].includes(c.outcome as never);
  if (c.kind === "c2b_confirmation") return c.outcome === "invalid" || c.outcome === "received";
  return false;
}

export async function reprocessFromConsole(
  ctx: AppContext,
  actor: Actor & { kind: "user" },
  rawId: number,
): Promise<{ outcome: CallbackOutcome; message: string }> {
  if (!can(actor.role, "callbacks:reprocess"))
    throw forbidden("Only finance and admin users re-process callbacks.");
  const [raw] =
    Number.isSafeInteger(rawId) && rawId > 0
      ? await ctx.db
          .select({
            outcome: rawCallbacks.outcome,
            kind: rawCallbacks.kind,
            tokenValid: rawCallbacks.tokenValid,
          })
          .from(rawCallbacks)
          .where(eq(rawCallbacks.id, rawId))
      : [];
  if (!raw) throw new AppError("not_found", "That callback does not exist.", { status: 404 });
  if (!isReprocessable(raw)) {
    throw new AppError(
      "not_reprocessable",
      raw.kind === "c2b_confirmation"
        ? `This C2B confirmation was already ${raw.outcome}; only invalid or still-received ones are re-processed (unmatched money is placed from its exception).`
        : `This callback was already ${raw.outcome}; only invalid or orphan callbacks (and ones still received) are re-processed.`,
      { status: 409 },
    );
  }
  const outcome = await reprocessCallback(ctx, rawId, actor);
  await recordStaffAction(ctx.db, actor, {
    action: "callback.reprocess",
    entityType: "raw_callback",
    entityId: String(rawId),
    before: { outcome: raw.outcome },
    after: { outcome },
  });
  const message =
    outcome === raw.outcome
      ? `Re-processed: still ${outcome}. Nothing changed.`
      : `Re-processed: the callback is now ${outcome}.`;
  return { outcome, message };
}
