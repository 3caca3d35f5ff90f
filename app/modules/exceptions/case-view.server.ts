// Everything the exception page shows as evidence: the case, its payment and attempts, the raw
// callbacks involved (bodies as received), the STK Query answers on the timeline, the receipt, and
// the staff audit of the case itself (proposals, approvals, reopenings).
import { and, asc, eq, inArray, or, type SQL } from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  exceptions,
  paymentEvents,
  payments,
  rawCallbacks,
  receipts,
  staffAudit,
  stkAttempts,
  users,
} from "../../../db/schema";
import { toCallbackView } from "../callbacks/queries.server";
import { toPaymentSummary } from "../payments/queries.server";
import { toExceptionView } from "./queries.server";
import type { CaseQuery, ExceptionCase } from "./exception-view";
import { UUID } from "../../lib/uuid";

export type { CaseAttempt, CaseHistory, CaseQuery, ExceptionCase } from "./exception-view";

export async function getExceptionCase(db: Db, exceptionId: string): Promise<ExceptionCase | null> {
  if (!UUID.test(exceptionId)) return null;
  const [x] = await db.select().from(exceptions).where(eq(exceptions.id, exceptionId));
  if (!x) return null;
  const [payment] = x.paymentId
    ? await db.select().from(payments).where(eq(payments.id, x.paymentId))
    : [];
  const attempts = x.paymentId
    ? await db
        .select()
        .from(stkAttempts)
        .where(eq(stkAttempts.paymentId, x.paymentId))
        .orderBy(asc(stkAttempts.seq))
    : [];
  const caseAttempt = attempts.find((a) => a.id === x.attemptId);

  // The callbacks involved: the one that opened the case, and every callback for its attempt (found
  // by CheckoutRequestID, which is indexed; an attempt without one never had a callback matched to it).
  const involved: SQL[] = [];
  if (x.rawCallbackId) involved.push(eq(rawCallbacks.id, x.rawCallbackId));
  if (caseAttempt?.checkoutRequestId)
    involved.push(eq(rawCallbacks.checkoutRequestId, caseAttempt.checkoutRequestId));
  const [callbackRows, queryRows, receiptRows, auditRows] = await Promise.all([
    involved.length
      ? db
          .select()
          .from(rawCallbacks)
          .where(or(...involved))
          .orderBy(asc(rawCallbacks.receivedAt), asc(rawCallbacks.id))
          .limit(20)
      : [],
    x.paymentId
      ? db
          .select()
          .from(paymentEvents)
          .where(and(eq(paymentEvents.paymentId, x.paymentId), eq(paymentEvents.type, "query")))
          .orderBy(asc(paymentEvents.id))
          .limit(50)
      : [],
    x.receipt ? db.select().from(receipts).where(eq(receipts.receipt, x.receipt)) : [],
    db
      .select()
      .from(staffAudit)
      .where(and(eq(staffAudit.entityType, "exception"), eq(staffAudit.entityId, x.id)))
      .orderBy(asc(staffAudit.id)),
  ]);

  const queries: CaseQuery[] = queryRows.map((e) => ({
    at: e.createdAt.toISOString(),
    actor: e.actorLabel ?? e.actorType,
    summary: e.summary,
  }));
  if (!x.paymentId) {
    // A case without a payment has no timeline; its re-queries live on the case itself.
    const requeries =
      (x.details as { requeries?: { at: string; by: string; summary: string }[] } | null)
        ?.requeries ?? [];
    queries.push(...requeries.map((q) => ({ at: q.at, actor: q.by, summary: q.summary })));
  }
  const userIds = [x.proposedByUserId, x.resolvedByUserId, x.approvedByUserId].filter(
    (id): id is string => !!id,
  );
  const named = userIds.length
    ? await db
        .select({ id: users.id, name: users.name })
        .from(users)
        .where(inArray(users.id, userIds))
    : [];
  const receipt = receiptRows[0];
  return {
    exception: toExceptionView(x),
    payment: payment ? toPaymentSummary(payment) : null,
    attempts: attempts.map((a) => ({
      id: a.id,
      seq: a.seq,
      status: a.status,
      phone: a.phone,
      amount: a.amountKes,
      checkoutRequestId: a.checkoutRequestId,
      resultCode: a.resultCode,
      resultDesc: a.resultDesc,
      receipt: a.receipt,
      errorMessage: a.errorMessage,
      createdAt: a.createdAt.toISOString(),
      isCaseAttempt: a.id === x.attemptId,
    })),
    callbacks: callbackRows.map(toCallbackView),
    queries,
    receipt: receipt
      ? {
          receipt: receipt.receipt,
          amount: receipt.amountKes,
          paymentId: receipt.paymentId,
          reversedBy: receipt.reversedByReceipt,
          transactionAt: receipt.transactionAt?.toISOString() ?? null,
        }
      : null,
    history: auditRows.map((r) => ({
      at: r.createdAt.toISOString(),
      actor: r.actorLabel,
      action: r.action,
      note: r.note,
    })),
    names: Object.fromEntries(named.map((u) => [u.id, u.name])),
    canQuery: !!caseAttempt?.checkoutRequestId,
  };
}
