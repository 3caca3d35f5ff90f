// The pieces every exception action shares: locking the case (payment first, then the exception —
// the same order as the ledger's writers, so a callback and a finance user cannot deadlock), the state
// checks with their refusals, and closing a case.
import { eq } from "drizzle-orm";
import type { Db } from "../../../db/client";
import { exceptions, type Payment, type PaymentException } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { formatEat } from "../../lib/time";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { addPaymentEvent } from "../ledger/events.server";
import { actionLabel, TYPE_ACTIONS, typeTitle, type ExceptionAction } from "./actions";
import { updateCase } from "../ledger/cases.server";
import { lockPayment } from "../ledger/payment-lock.server";
import { UUID } from "../../lib/uuid";

export type StaffActor = Actor & { kind: "user" };
export type Case = { exception: PaymentException; payment: Payment | null };
export type ActionResult = { message: string };

export async function lockCase(tx: Db, exceptionId: string): Promise<Case> {
  if (!UUID.test(exceptionId))
    throw new AppError("not_found", "That exception does not exist.", { status: 404 });
  const [peek] = await tx
    .select({ paymentId: exceptions.paymentId })
    .from(exceptions)
    .where(eq(exceptions.id, exceptionId));
  if (!peek) throw new AppError("not_found", "That exception does not exist.", { status: 404 });
  let payment = peek.paymentId ? await lockPayment(tx, peek.paymentId) : null;
  const [exception] = await tx
    .select()
    .from(exceptions)
    .where(eq(exceptions.id, exceptionId))
    .for("update");
  // A link made while we waited for the lock: take the payment it now points at as well.
  if (exception.paymentId && exception.paymentId !== payment?.id)
    payment = await lockPayment(tx, exception.paymentId);
  return { exception, payment };
}

/** Refuses an action the exception's state or type does not allow, in words finance can act on. */
export function assertFits(c: Case, action: ExceptionAction): void {
  const x = c.exception;
  if (action === "reopen") {
    if (x.status !== "resolved")
      throw new AppError("not_resolved", "Only a resolved exception can be reopened.", {
        status: 409,
      });
    return;
  }
  if (x.status === "resolved") {
    throw new AppError(
      "already_resolved",
      `This exception was already resolved (${actionLabel(x.resolution ?? "resolved")}) on ${formatEat(x.resolvedAt)}. Reopen it first to act on it again.`,
      { status: 409 },
    );
  }
  if (action === "approve" || action === "reject") {
    if (x.status !== "awaiting_approval")
      throw new AppError(
        "no_proposal",
        "There is no proposal waiting for approval on this exception.",
        { status: 409 },
      );
    return;
  }
  if (x.status === "awaiting_approval") {
    throw new AppError(
      "awaiting_approval",
      `"${actionLabel(x.proposedResolution ?? "")}" is waiting for a second finance user. Approve or reject it first.`,
      { status: 409 },
    );
  }
  if (!TYPE_ACTIONS[x.type].includes(action)) {
    throw new AppError(
      "action_not_for_type",
      `"${actionLabel(action)}" does not fit a ${typeTitle(x.type).toLowerCase()} exception.`,
      { status: 400 },
    );
  }
}

/** A payment with a prompt still open may yet be paid by the customer: deciding now could charge twice. */
export function refuseWhileOpen(payment: Payment | null): void {
  if (payment && (payment.status === "initiating" || payment.status === "pending")) {
    throw new AppError(
      "payment_open",
      "A prompt for this payment is still open on the customer's phone. Wait for it to finish, then decide.",
      { status: 409 },
    );
  }
}

/** The audit row and (when there is a payment) the timeline event for one step on a case. */
export async function recordCaseStep(
  tx: Db,
  actor: StaffActor,
  c: Case,
  step: {
    action: string;
    eventType: string;
    summary: string;
    note: string;
    before?: unknown;
    after?: unknown;
    data?: unknown;
    payment?: Payment | null;
  },
): Promise<void> {
  const x = c.exception;
  await recordStaffAction(tx, actor, {
    action: step.action,
    entityType: "exception",
    entityId: x.id,
    before: step.before,
    after: step.after,
    note: step.note,
  });
  const payment = step.payment === undefined ? c.payment : step.payment;
  if (payment) {
    await addPaymentEvent(tx, actor, {
      paymentId: payment.id,
      attemptId: x.attemptId,
      rawCallbackId: x.rawCallbackId,
      type: step.eventType,
      summary: `${step.summary} — ${step.note}`,
      data: { exceptionId: x.id, exceptionType: x.type, ...(step.data as object | undefined) },
    });
  }
}

export async function closeCase(
  tx: Db,
  actor: StaffActor,
  c: Case,
  close: {
    resolution: ExceptionAction;
    note: string;
    now: Date;
    summary: string;
    data?: Record<string, unknown>;
    resolvedByUserId?: string;
    approvedByUserId?: string | null;
    payment?: Payment | null;
    paymentId?: string | null;
  },
): Promise<ActionResult> {
  const x = c.exception;
  const after = {
    status: "resolved" as const,
    resolution: close.resolution,
    resolutionNote: close.note,
    resolvedAt: close.now,
    resolvedByUserId: close.resolvedByUserId ?? actor.userId,
    approvedByUserId: close.approvedByUserId ?? null,
    ...(close.paymentId !== undefined ? { paymentId: close.paymentId } : {}),
  };
  await updateCase(tx, x, after);
  await recordCaseStep(tx, actor, c, {
    action: `exception.${close.resolution}`,
    eventType: "exception_resolved",
    note: close.note,
    payment: close.payment,
    summary: `Exception (${typeTitle(x.type).toLowerCase()}) resolved: ${close.summary}`,
    before: { status: x.status, paymentStatus: c.payment?.status ?? null },
    after: { status: "resolved", resolution: close.resolution, ...close.data },
    data: { resolution: close.resolution, ...close.data },
  });
  return { message: `Resolved: ${close.summary}.` };
}
