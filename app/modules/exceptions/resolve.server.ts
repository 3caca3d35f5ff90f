// Resolving exceptions: one entry point for every action finance takes on
// a case. Each needs a note, runs in one transaction on the locked case, is recorded in the staff
// audit and on the payment's timeline, and changes payment status only through the ledger.
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { exceptions, type ExceptionStatus } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError, forbidden } from "../../lib/app-error";
import { can } from "../auth/permissions";
import { typeTitle } from "./actions";
import {
  assertFits,
  closeCase,
  lockCase,
  recordCaseStep,
  type ActionResult,
  type Case,
  type StaffActor,
} from "./case.server";
import { approveProposal, proposePaidOffline, rejectProposal } from "./four-eyes.server";
import { requeryException } from "./requery.server";
import type { ResolveInput } from "./resolve-input";
import {
  acceptPaid,
  chooseOutcome,
  linkToPayment,
  markExpired,
  markRefunded,
} from "./settle.server";
import { updateCase } from "../ledger/cases.server";

export type { StaffActor } from "./case.server";
export type ResolveResult = ActionResult & { exceptionId: string; status: ExceptionStatus };

export { parseResolveInput } from "./resolve-input";

export async function resolveException(
  ctx: AppContext,
  actor: StaffActor,
  exceptionId: string,
  input: ResolveInput,
): Promise<ResolveResult> {
  // The routes check the permission too; this keeps a CLI or a future caller honest.
  if (!can(actor.role, "exceptions:resolve"))
    throw forbidden("Only finance and admin users resolve exceptions.");
  const result =
    input.intent === "requery"
      ? await requeryException(ctx, actor, exceptionId, input.note)
      : await ctx.db.transaction(async (tx) => {
          const c = await lockCase(tx, exceptionId);
          return actOnCase(tx, actor, c, input, ctx.now());
        });
  const [after] = await ctx.db
    .select({ status: exceptions.status })
    .from(exceptions)
    .where(eq(exceptions.id, exceptionId));
  return { ...result, exceptionId, status: after.status };
}

/**
 * One action on one case already locked in the caller's transaction (a single decision, or one
 * case of a bulk action): the fit is checked here, so no caller can skip it.
 */
export async function actOnCase(
  tx: Db,
  actor: StaffActor,
  c: Case,
  input: Exclude<ResolveInput, { intent: "requery" }>,
  now: Date,
): Promise<ActionResult> {
  assertFits(c, input.intent);
  const step = { actor, c, note: input.note, now };
  switch (input.intent) {
    case "accept_paid":
      return acceptPaid(tx, step);
    case "mark_refunded":
      return markRefunded(tx, { ...step, reversalRef: input.reversalRef });
    case "link_to_payment":
      return linkToPayment(tx, { ...step, paymentRef: input.paymentRef });
    case "choose_outcome":
      return chooseOutcome(tx, { ...step, outcome: input.outcome });
    case "mark_expired":
      return markExpired(tx, step);
    case "mark_paid_offline":
      return proposePaidOffline(tx, { ...step, receipt: input.receipt });
    case "approve":
      return approveProposal(tx, step);
    case "reject":
      return rejectProposal(tx, step);
    case "write_off":
      return closeCase(tx, actor, c, {
        resolution: "write_off",
        note: step.note,
        now: step.now,
        summary: "written off; no payment was changed",
      });
    case "not_ours":
      return closeCase(tx, actor, c, {
        resolution: "not_ours",
        note: step.note,
        now: step.now,
        summary: "the callback is not for any of our payments",
      });
    case "acknowledge": {
      if (
        c.exception.type === "unknown_outcome" &&
        (!c.payment || c.payment.status === "unknown")
      ) {
        throw new AppError(
          "still_unknown",
          "The payment's outcome is still unknown: re-query M-Pesa, mark it expired, or mark it paid offline.",
          { status: 409 },
        );
      }
      return closeCase(tx, actor, c, {
        resolution: "acknowledge",
        note: step.note,
        now: step.now,
        summary: "acknowledged; nothing else needed doing",
      });
    }
    case "reopen": {
      const x = c.exception;
      await updateCase(tx, x, {
        status: "open",
        resolution: null,
        resolutionNote: null,
        resolvedByUserId: null,
        approvedByUserId: null,
        resolvedAt: null,
        proposedResolution: null,
        proposedData: null,
        proposedByUserId: null,
        proposedAt: null,
        reopen: true,
      });
      // The audit keeps the resolution being undone; the money it moved stays as it is.
      await recordCaseStep(tx, actor, c, {
        action: "exception.reopen",
        eventType: "exception_reopened",
        note: step.note,
        summary: `Exception (${typeTitle(x.type).toLowerCase()}) reopened by ${actor.label}`,
        before: {
          status: x.status,
          resolution: x.resolution,
          resolutionNote: x.resolutionNote,
          resolvedAt: x.resolvedAt,
          resolvedByUserId: x.resolvedByUserId,
          approvedByUserId: x.approvedByUserId,
        },
        after: { status: "open", reopenCount: x.reopenCount + 1 },
      });
      return { message: "Reopened: the exception is back in the queue." };
    }
  }
}
