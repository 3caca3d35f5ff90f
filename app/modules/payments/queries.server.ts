// Reading payments: the full view of one (attempts, receipts, timeline, open exceptions) and the
// filtered, keyset-paginated list behind GET /api/payments and the console's payments page (the
// per-status counts beside that list are counts.server.ts).
import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  lt,
  lte,
  or,
  sql,
  type SQL,
} from "drizzle-orm";
import type { Db } from "../../../db/client";
import {
  exceptions,
  paymentEvents,
  payments,
  receipts,
  stkAttempts,
  type Payment,
} from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { normalizeKenyanPhone } from "../daraja/phone";
import { PAYMENT_PAGE_SIZE, type PaymentCountInput, type PaymentListInput } from "./list-filters";
import type { PaymentSummary, PaymentView } from "./payment-view";
import { UUID } from "../../lib/uuid";

/**
 * Whether an imported statement showed the receipt as money in (one lookup on its unique key): a
 * Completed line that paid something in, the lines an import records as receipts. The outer column
 * is named in full: drizzle writes `${receipts.receipt}` as a bare "receipt" in a one-table select,
 * which inside this subquery would be the line's own.
 */
const seenInStatement = () =>
  sql<boolean>`exists (select 1 from statement_lines sl where sl.receipt = receipts.receipt
    and sl.transaction_status = 'Completed' and sl.direction = 'in' and sl.paid_in_kes > 0)`;

export type { AttemptView, PaymentSummary, PaymentView } from "./payment-view";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toPaymentSummary(p: Payment): PaymentSummary {
  return {
    id: p.id,
    orderRef: p.orderRef,
    amount: p.amountKes,
    phone: p.phone,
    description: p.description,
    accountReference: p.accountReference,
    status: p.status,
    statusReason: p.statusReason,
    resultCode: p.resultCode,
    receipt: p.receipt,
    receiptPending: p.receiptPending,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
    paidAt: iso(p.paidAt),
  };
}

export async function getPaymentView(db: Db, paymentId: string): Promise<PaymentView | null> {
  if (!UUID.test(paymentId)) return null;
  const [payment] = await db.select().from(payments).where(eq(payments.id, paymentId));
  if (!payment) return null;
  const [attempts, receiptRows, events, open] = await Promise.all([
    db
      .select()
      .from(stkAttempts)
      .where(eq(stkAttempts.paymentId, paymentId))
      .orderBy(asc(stkAttempts.seq)),
    db
      .select({ ...getTableColumns(receipts), seenInStatement: seenInStatement() })
      .from(receipts)
      .where(eq(receipts.paymentId, paymentId)),
    db
      .select()
      .from(paymentEvents)
      .where(eq(paymentEvents.paymentId, paymentId))
      .orderBy(asc(paymentEvents.id)),
    db
      .select()
      .from(exceptions)
      .where(
        and(
          eq(exceptions.paymentId, paymentId),
          inArray(exceptions.status, ["open", "awaiting_approval"]),
        ),
      )
      .orderBy(asc(exceptions.openedAt)),
  ]);
  return {
    ...toPaymentSummary(payment),
    attempts: attempts.map((a) => ({
      id: a.id,
      seq: a.seq,
      status: a.status,
      phone: a.phone,
      amount: a.amountKes,
      checkoutRequestId: a.checkoutRequestId,
      merchantRequestId: a.merchantRequestId,
      resultCode: a.resultCode,
      resultDesc: a.resultDesc,
      receipt: a.receipt,
      errorCode: a.errorCode,
      errorMessage: a.errorMessage,
      reason: a.reason,
      pollCount: a.pollCount,
      nextPollAt: iso(a.nextPollAt),
      lastPollAnswer: a.lastPollAnswer,
      createdAt: a.createdAt.toISOString(),
      callbackAt: iso(a.callbackAt),
    })),
    receipts: receiptRows.map((r) => ({
      receipt: r.receipt,
      amount: r.amountKes,
      transactionAt: iso(r.transactionAt),
      sources: [
        r.seenInCallback && "callback",
        r.seenInC2b && "c2b",
        r.seenInStatement && "statement",
        r.firstSource === "manual" && "manual",
      ].filter(Boolean) as string[],
    })),
    timeline: events.map((e) => ({
      id: e.id,
      type: e.type,
      actor: e.actorLabel ?? e.actorType,
      actorType: e.actorType,
      summary: e.summary,
      data: e.data,
      rawCallbackId: e.rawCallbackId,
      attemptId: e.attemptId,
      at: e.createdAt.toISOString(),
    })),
    openExceptions: open.map((x) => ({
      id: x.id,
      type: x.type,
      status: x.status,
      summary: x.summary,
      amountAtStake: x.amountAtStakeKes,
      openedAt: x.openedAt.toISOString(),
    })),
  };
}

export function paymentConditions(f: PaymentCountInput & Pick<PaymentListInput, "status">): SQL[] {
  const where: SQL[] = [];
  if (f.status) where.push(eq(payments.status, f.status));
  if (f.orderRef) where.push(eq(payments.orderRef, f.orderRef));
  if (f.phone) {
    const phone = normalizeKenyanPhone(f.phone);
    if (!phone.ok) throw new AppError("invalid_request", phone.message, { field: "phone" });
    where.push(eq(payments.phone, phone.msisdn));
  }
  if (f.receipt)
    where.push(
      eq(
        payments.id,
        sql`(select payment_id from receipts where receipt = ${f.receipt.toUpperCase()})`,
      ),
    );
  if (f.checkoutRequestId)
    where.push(
      eq(
        payments.id,
        sql`(select payment_id from stk_attempts where checkout_request_id = ${f.checkoutRequestId})`,
      ),
    );
  if (f.from) where.push(gte(payments.createdAt, f.from));
  if (f.to) where.push(lte(payments.createdAt, f.to));
  if (f.minAmount !== undefined) where.push(gte(payments.amountKes, f.minAmount));
  if (f.maxAmount !== undefined) where.push(lte(payments.amountKes, f.maxAmount));
  return where;
}

export async function listPayments(
  db: Db,
  input: PaymentListInput,
): Promise<{ payments: PaymentSummary[]; nextCursor: string | null }> {
  const f = { ...input, sort: input.sort ?? "newest", limit: input.limit ?? PAYMENT_PAGE_SIZE };
  const where = paymentConditions(f);
  const byAmount = f.sort === "amount_desc" || f.sort === "amount_asc";
  const descending = f.sort === "newest" || f.sort === "amount_desc";
  const sortColumn = byAmount ? payments.amountKes : payments.createdAt;
  const cursor = decodeCursor(f.cursor, [byAmount ? "int" : "date", "uuid"]);
  if (f.cursor && !cursor)
    throw new AppError(
      "invalid_request",
      "The cursor is not valid; start again from the first page.",
      { field: "cursor" },
    );
  if (cursor) {
    const value = byAmount ? Number(cursor[0]) : new Date(String(cursor[0]));
    const id = String(cursor[1]);
    const cmp = descending ? lt : gt;
    where.push(or(cmp(sortColumn, value), and(eq(sortColumn, value), cmp(payments.id, id)))!);
  }
  const order = descending
    ? [desc(sortColumn), desc(payments.id)]
    : [asc(sortColumn), asc(payments.id)];
  const rows = await db
    .select()
    .from(payments)
    .where(and(...where))
    .orderBy(...order)
    .limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  const nextCursor =
    rows.length > f.limit && last
      ? encodeCursor([byAmount ? last.amountKes : last.createdAt.toISOString(), last.id])
      : null;
  return { payments: page.map(toPaymentSummary), nextCursor };
}

/** Open (or awaiting-approval) cases per payment, for a list's "case open" badge. */
export async function countOpenCases(
  db: Db,
  paymentIds: string[],
): Promise<Record<string, number>> {
  if (!paymentIds.length) return {};
  const rows = await db
    .select({ paymentId: exceptions.paymentId, n: sql<number>`count(*)::int` })
    .from(exceptions)
    .where(
      and(
        inArray(exceptions.paymentId, paymentIds),
        inArray(exceptions.status, ["open", "awaiting_approval"]),
      ),
    )
    .groupBy(exceptions.paymentId);
  return Object.fromEntries(rows.map((r) => [r.paymentId, Number(r.n)]));
}
