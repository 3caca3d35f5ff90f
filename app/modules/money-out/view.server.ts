// What the payment page shows and does about money out (Transaction Status, reversals): the requests
// so far, which buttons fit, and the page's intents. The route stays four beats: it calls these.
import { z } from "zod";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { parseWith } from "../../lib/validation";
import { can, type Role } from "../auth/permissions";
import type { Actor } from "../auth/staff-audit.server";
import { reversalRefusal, statusQueryRefusal } from "./eligibility";
import {
  approveReversal,
  listPaymentRequests,
  moneyOutPayment,
  rejectReversal,
  requestReversal,
  requestTransactionStatus,
  ReversalSchema,
  type MoneyOutResult,
} from "./requests.server";
import { reversalFailureText } from "./results.server";
import { earlierReversalRefusal } from "./reversal-guards.server";
import { getReversalCap } from "./settings.server";
import { noAnswerFrom, recordUnansweredReversal, UnansweredSchema } from "./unanswered.server";
import type { MoneyOutView } from "./view";

export type { MoneyOutRequestView, MoneyOutView } from "./view";

export async function getMoneyOutView(
  ctx: AppContext,
  paymentId: string,
  viewer: { userId: string; role: Role },
): Promise<MoneyOutView | null> {
  const p = await moneyOutPayment(ctx.db, paymentId);
  if (!p) return null;
  const capKes = await getReversalCap(ctx.db);
  const rows = await listPaymentRequests(ctx.db, paymentId);
  const now = ctx.now();
  return {
    allowed: can(viewer.role, "payments:money_out"),
    needsReceipt: !p.receipt,
    statusRefusal: ctx.config.mpesa.initiator
      ? statusQueryRefusal(p)
      : "The M-Pesa initiator is not configured; ask an admin.",
    reversalRefusal:
      reversalRefusal(p, {
        allowReversals: ctx.config.mpesa.allowReversals,
        capKes,
        configured: !!ctx.config.mpesa.initiator,
      }) ??
      (p.receipt
        ? await earlierReversalRefusal(ctx.db, p.receipt, now, ctx.config.mpesa.resultWaitMs)
        : null),
    capKes,
    requests: rows.map((r) => {
      const from = noAnswerFrom(r, ctx.config.mpesa);
      return {
        id: r.id,
        kind: r.kind,
        state: r.state,
        receipt: r.receipt,
        amountKes: r.amountKes,
        reason: r.reason,
        requestedBy: r.requestedByLabel,
        mine: r.requestedByUserId === viewer.userId,
        noAnswer: from ? { from: from.toISOString(), now: now >= from } : null,
        result:
          r.state === "unanswered"
            ? "No answer from M-Pesa (see the timeline)"
            : r.resultCode === null
              ? (r.sendError ?? null)
              : r.resultCode === "0"
                ? r.resultOutcome === "conflict"
                  ? "M-Pesa answered success, but its result is incomplete or disagrees with our books: see the open case (nothing was booked)"
                  : r.kind === "reversal"
                    ? `Reversed (${formatKes(r.amountKes ?? 0)})`
                    : "Answered (see the timeline)"
                : r.kind === "reversal"
                  ? reversalFailureText(r.resultCode, r.resultDesc ?? "")
                  : `ResultCode ${r.resultCode}: ${r.resultDesc ?? ""}`,
        createdAt: r.createdAt.toISOString(),
      };
    }),
  };
}

export const MONEY_OUT_INTENTS = [
  "status_query",
  "reversal_request",
  "reversal_approve",
  "reversal_reject",
  "reversal_unanswered",
] as const;

export const isMoneyOutIntent = (intent: string | undefined): boolean =>
  (MONEY_OUT_INTENTS as readonly string[]).includes(intent ?? "");

const IntentSchema = z.object({
  intent: z.enum(MONEY_OUT_INTENTS),
  receipt: z.string().max(40).optional(),
  reason: z.string().max(500).optional(),
  requestId: z.string().max(40).optional(),
  note: z.string().max(500).optional(),
});

/** One of the payment page's money-out intents, for a finance or admin user. */
export async function runMoneyOutIntent(
  ctx: AppContext,
  actor: Actor & { kind: "user" },
  paymentId: string,
  fields: Record<string, string | undefined>,
): Promise<MoneyOutResult> {
  if (!can(actor.role, "payments:money_out"))
    throw new AppError("forbidden", "Only finance and admin users can do this.", { status: 403 });
  const input = parseWith(IntentSchema, fields);
  switch (input.intent) {
    case "status_query":
      return requestTransactionStatus(ctx, actor, paymentId, { receipt: input.receipt });
    case "reversal_request":
      return requestReversal(
        ctx,
        actor,
        paymentId,
        parseWith(ReversalSchema, { reason: input.reason }),
      );
    case "reversal_approve":
      return approveReversal(ctx, actor, paymentId, input.requestId ?? "");
    case "reversal_reject":
      return rejectReversal(ctx, actor, paymentId, input.requestId ?? "", input.note);
    case "reversal_unanswered":
      return recordUnansweredReversal(
        ctx,
        actor,
        paymentId,
        input.requestId ?? "",
        parseWith(UnansweredSchema, { note: input.note }),
      );
  }
}
