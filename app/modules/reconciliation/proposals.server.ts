// Finance's one click on a proposed statement match: the proposal becomes a fact through the
// single payment writer (the payment is paid with the line's receipt), audited. Proposals are never
// applied without a person; see match-rules.ts for how they are chosen.
import { eq } from "drizzle-orm";
import { payments, statementLines } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { applyReceiptMatch } from "../ledger/receipt-match.server";
import { describeLine } from "./match.server";

export type ConfirmResult = {
  paymentId: string;
  orderRef: string;
  receipt: string;
  outcome: string;
  message: string;
};

export async function confirmProposedMatch(
  ctx: AppContext,
  lineId: number,
  actor: Actor & { kind: "user" | "api_key" },
): Promise<ConfirmResult> {
  if (!Number.isSafeInteger(lineId) || lineId <= 0)
    throw new AppError("not_found", "That statement line does not exist.", { status: 404 });
  return ctx.db.transaction(async (tx) => {
    const [line] = await tx
      .select()
      .from(statementLines)
      .where(eq(statementLines.id, lineId))
      .for("update");
    if (!line)
      throw new AppError("not_found", "That statement line does not exist.", { status: 404 });
    if (line.matchState !== "proposed" || !line.proposedPaymentId) {
      throw new AppError(
        "not_proposed",
        `Statement line ${line.receipt} is not awaiting confirmation (it is ${line.matchState}).`,
        { status: 409 },
      );
    }
    const [before] = await tx
      .select({ status: payments.status, orderRef: payments.orderRef })
      .from(payments)
      .where(eq(payments.id, line.proposedPaymentId));
    const now = ctx.now();
    const applied = await applyReceiptMatch(tx, actor, {
      paymentId: line.proposedPaymentId,
      receipt: line.receipt,
      amountKes: line.paidInKes,
      transactionAt: line.completedAt,
      source: "statement",
      confirmedByStaff: true,
      evidence: describeLine(line),
      now,
      statementLineId: line.id,
    });
    if (applied.outcome === "conflict" || applied.outcome === "late_success") {
      // Something changed since the proposal (another receipt arrived, or the amount moved): a person must look again.
      throw new AppError("match_conflict", `Cannot confirm: ${applied.summary}.`, { status: 409 });
    }
    await tx
      .update(statementLines)
      .set({ matchState: "matched", paymentId: line.proposedPaymentId })
      .where(eq(statementLines.id, line.id));
    await recordStaffAction(tx, actor, {
      action: "statement.confirm_match",
      entityType: "statement_line",
      entityId: String(line.id),
      before: { matchState: "proposed", paymentStatus: before?.status },
      after: {
        matchState: "matched",
        paymentId: line.proposedPaymentId,
        receipt: line.receipt,
        outcome: applied.outcome,
      },
    });
    return {
      paymentId: line.proposedPaymentId,
      orderRef: before?.orderRef ?? "",
      receipt: line.receipt,
      outcome: applied.outcome,
      message: `Order ${before?.orderRef ?? line.proposedPaymentId} is now paid with receipt ${line.receipt}.`,
    };
  });
}
