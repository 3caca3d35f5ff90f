// Four-eyes resolutions: "mark paid offline" books money nobody saw arrive through Daraja,
// so one finance user proposes it and a different finance or admin user approves it before anything
// changes. The proposer may withdraw (reject) their own proposal but never approve it.
import { claimReceiptForStaff } from "../ledger/receipts.server";
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { receipts, users } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { writePaymentStatus } from "../ledger/payments.server";
import { actionLabel } from "./actions";
import {
  closeCase,
  recordCaseStep,
  refuseWhileOpen,
  type ActionResult,
  type Case,
  type StaffActor,
} from "./case.server";
import { updateCase } from "../ledger/cases.server";

type Step = { actor: StaffActor; c: Case; note: string; now: Date };
type PaidOfflineProposal = { receipt: string; note: string };

function payableOffline(c: Case) {
  const payment = c.payment;
  if (!payment)
    throw new AppError("no_payment", "This exception is not linked to a payment.", { status: 409 });
  if (payment.status === "paid" || payment.status === "refunded") {
    throw new AppError(
      "payment_paid",
      `The payment is already ${payment.status} (receipt ${payment.receipt ?? "to follow"}).`,
      { status: 409 },
    );
  }
  refuseWhileOpen(payment);
  return payment;
}

export async function proposePaidOffline(
  tx: Db,
  step: Step & { receipt: string },
): Promise<ActionResult> {
  const { actor, c, note, now, receipt } = step;
  const payment = payableOffline(c);
  // Checked now so the approver is not handed a proposal that cannot work; checked again on approval.
  const [row] = await tx.select().from(receipts).where(eq(receipts.receipt, receipt));
  if (row?.paymentId && row.paymentId !== payment.id) {
    throw new AppError(
      "receipt_taken",
      `Receipt ${receipt} already belongs to another payment. One receipt is one sum of money.`,
      { status: 409, field: "receipt" },
    );
  }
  if (row && row.amountKes !== payment.amountKes) {
    throw new AppError(
      "receipt_amount",
      `Receipt ${receipt} is for ${formatKes(row.amountKes)}, but the payment asks for ${formatKes(payment.amountKes)}.`,
      { status: 409, field: "receipt" },
    );
  }
  const proposal: PaidOfflineProposal = { receipt, note };
  await updateCase(tx, c.exception, {
    status: "awaiting_approval",
    proposedResolution: "mark_paid_offline",
    proposedData: proposal,
    proposedByUserId: actor.userId,
    proposedAt: now,
  });
  await recordCaseStep(tx, actor, c, {
    action: "exception.propose_mark_paid_offline",
    eventType: "exception_proposed",
    note,
    summary: `${actor.label} proposed marking the payment paid offline with receipt ${receipt}; waiting for a second finance user`,
    before: { status: c.exception.status },
    after: { status: "awaiting_approval", proposedResolution: "mark_paid_offline", receipt },
  });
  return {
    message: `Proposed: paid offline with receipt ${receipt}. A different finance user must approve it before the payment changes.`,
  };
}

export async function approveProposal(
  tx: Db,
  { actor, c, note, now }: Step,
): Promise<ActionResult> {
  const x = c.exception;
  if (x.proposedByUserId === actor.userId) {
    throw new AppError(
      "four_eyes",
      "You proposed this, so you cannot approve it. A different finance user must approve it.",
      { status: 403 },
    );
  }
  if (x.proposedResolution !== "mark_paid_offline")
    throw new AppError("unknown_proposal", "This proposal cannot be approved here.", {
      status: 409,
    });
  const proposal = x.proposedData as PaidOfflineProposal;
  const payment = payableOffline(c);
  const [proposer] = x.proposedByUserId
    ? await tx.select({ name: users.name }).from(users).where(eq(users.id, x.proposedByUserId))
    : [];
  await claimReceiptForStaff(tx, payment, proposal.receipt, {
    attemptId: x.attemptId,
    requireAmountKes: payment.amountKes,
  });
  await writePaymentStatus(tx, actor, payment, "paid", {
    now,
    attemptId: x.attemptId,
    resultCode: "0",
    receipt: proposal.receipt,
    receiptPending: false,
    reason: `Paid offline, receipt ${proposal.receipt} (proposed by ${proposer?.name ?? "another user"}, approved by ${actor.label})`,
  });
  return closeCase(tx, actor, c, {
    resolution: "mark_paid_offline",
    now,
    resolvedByUserId: x.proposedByUserId ?? actor.userId,
    approvedByUserId: actor.userId,
    note: `${proposal.note}\nApproved by ${actor.label}: ${note}`,
    summary: `marked paid offline with receipt ${proposal.receipt}, approved by ${actor.label}`,
    data: { receipt: proposal.receipt, proposedBy: x.proposedByUserId, approvedBy: actor.userId },
  });
}

export async function rejectProposal(tx: Db, { actor, c, note }: Step): Promise<ActionResult> {
  const x = c.exception;
  const withdrawn = x.proposedByUserId === actor.userId;
  await updateCase(tx, x, {
    status: "open",
    proposedResolution: null,
    proposedData: null,
    proposedByUserId: null,
    proposedAt: null,
  });
  const what = `"${actionLabel(x.proposedResolution ?? "")}"`;
  await recordCaseStep(tx, actor, c, {
    action: "exception.reject",
    eventType: "exception_rejected",
    note,
    summary: `Proposal ${what} ${withdrawn ? "withdrawn" : "rejected"} by ${actor.label}`,
    before: {
      status: x.status,
      proposedResolution: x.proposedResolution,
      proposedData: x.proposedData,
      proposedByUserId: x.proposedByUserId,
    },
    after: { status: "open" },
  });
  return {
    message: `Proposal ${what} ${withdrawn ? "withdrawn" : "rejected"}; the exception is open again.`,
  };
}
