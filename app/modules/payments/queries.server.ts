// Reading payments: the full view of one (attempts, receipts, timeline, open exceptions) and the
// filtered, keyset-paginated list behind GET /api/payments and the console's payments page, and the
// per-status counts beside that list.
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, sql, type SQL } from "drizzle-orm";
import { unionAll } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { Db } from "../../../db/client";
import { exceptions, PAYMENT_STATUSES, paymentEvents, payments, receipts, stkAttempts, type Payment } from "../../../db/schema";
import { AppError } from "../../lib/app-error";
import { decodeCursor, encodeCursor } from "../../lib/cursor";
import { parseWith } from "../../lib/validation";
import { normalizeKenyanPhone } from "../daraja/phone";

export type AttemptView = {
  id: string; seq: number; status: string; phone: string; amount: number; checkoutRequestId: string | null; merchantRequestId: string | null;
  resultCode: string | null; resultDesc: string | null; receipt: string | null; errorCode: string | null; errorMessage: string | null;
  reason: string | null; pollCount: number; nextPollAt: string | null; lastPollAnswer: string | null; createdAt: string; callbackAt: string | null;
};
export type PaymentSummary = {
  id: string; orderRef: string; amount: number; phone: string; description: string; accountReference: string; status: Payment["status"];
  statusReason: string | null; resultCode: string | null; receipt: string | null; receiptPending: boolean; createdAt: string; updatedAt: string; paidAt: string | null;
};
export type PaymentView = PaymentSummary & {
  attempts: AttemptView[];
  receipts: { receipt: string; amount: number; transactionAt: string | null; sources: string[] }[];
  timeline: { id: number; type: string; actor: string; actorType: string; summary: string; data: unknown; rawCallbackId: number | null; attemptId: string | null; at: string }[];
  openExceptions: { id: string; type: string; status: string; summary: string; amountAtStake: number; openedAt: string }[];
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toPaymentSummary(p: Payment): PaymentSummary {
  return {
    id: p.id, orderRef: p.orderRef, amount: p.amountKes, phone: p.phone, description: p.description, accountReference: p.accountReference,
    status: p.status, statusReason: p.statusReason, resultCode: p.resultCode, receipt: p.receipt, receiptPending: p.receiptPending,
    createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString(), paidAt: iso(p.paidAt),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function getPaymentView(db: Db, paymentId: string): Promise<PaymentView | null> {
  if (!UUID.test(paymentId)) return null;
  const [payment] = await db.select().from(payments).where(eq(payments.id, paymentId));
  if (!payment) return null;
  const [attempts, receiptRows, events, open] = await Promise.all([
    db.select().from(stkAttempts).where(eq(stkAttempts.paymentId, paymentId)).orderBy(asc(stkAttempts.seq)),
    db.select().from(receipts).where(eq(receipts.paymentId, paymentId)),
    db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, paymentId)).orderBy(asc(paymentEvents.id)),
    db.select().from(exceptions).where(and(eq(exceptions.paymentId, paymentId), inArray(exceptions.status, ["open", "awaiting_approval"]))).orderBy(asc(exceptions.openedAt)),
  ]);
  return {
    ...toPaymentSummary(payment),
    attempts: attempts.map((a) => ({
      id: a.id, seq: a.seq, status: a.status, phone: a.phone, amount: a.amountKes, checkoutRequestId: a.checkoutRequestId, merchantRequestId: a.merchantRequestId,
      resultCode: a.resultCode, resultDesc: a.resultDesc, receipt: a.receipt, errorCode: a.errorCode, errorMessage: a.errorMessage, reason: a.reason,
      pollCount: a.pollCount, nextPollAt: iso(a.nextPollAt), lastPollAnswer: a.lastPollAnswer, createdAt: a.createdAt.toISOString(), callbackAt: iso(a.callbackAt),
    })),
    receipts: receiptRows.map((r) => ({
      receipt: r.receipt, amount: r.amountKes, transactionAt: iso(r.transactionAt),
      sources: [r.seenInCallback && "callback", r.seenInC2b && "c2b", r.seenInStatement && "statement", r.firstSource === "manual" && "manual"].filter(Boolean) as string[],
    })),
    timeline: events.map((e) => ({ id: e.id, type: e.type, actor: e.actorLabel ?? e.actorType, actorType: e.actorType, summary: e.summary, data: e.data, rawCallbackId: e.rawCallbackId, attemptId: e.attemptId, at: e.createdAt.toISOString() })),
    openExceptions: open.map((x) => ({ id: x.id, type: x.type, status: x.status, summary: x.summary, amountAtStake: x.amountAtStakeKes, openedAt: x.openedAt.toISOString() })),
  };
}

const dateParam = z.iso.datetime({ offset: true }).or(z.iso.date()).transform((s) => new Date(s.length === 10 ? `${s}T00:00:00+03:00` : s));
const optionalText = z.string().trim().min(1).optional().catch(undefined);

export const PaymentFiltersSchema = z.object({
  status: z.enum(PAYMENT_STATUSES, { message: `status must be one of ${PAYMENT_STATUSES.join(", ")}` }).optional(),
  orderRef: optionalText,
  phone: optionalText,
  receipt: optionalText,
  checkoutRequestId: optionalText,
  from: dateParam.optional(),
  to: dateParam.optional(),
  minAmount: z.coerce.number().int().min(0).optional(),
  maxAmount: z.coerce.number().int().min(0).optional(),
  sort: z.enum(["newest", "oldest", "amount_desc", "amount_asc"]).default("newest"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: optionalText,
});
export type PaymentFilters = z.input<typeof PaymentFiltersSchema>;

export function paymentConditions(f: z.output<typeof PaymentFiltersSchema>): SQL[] {
  const where: SQL[] = [];
  if (f.status) where.push(eq(payments.status, f.status));
  if (f.orderRef) where.push(eq(payments.orderRef, f.orderRef));
  if (f.phone) {
    const phone = normalizeKenyanPhone(f.phone);
    if (!phone.ok) throw new AppError("invalid_request", phone.message, { field: "phone" });
    where.push(eq(payments.phone, phone.msisdn));
  }
  if (f.receipt) where.push(eq(payments.id, sql`(select payment_id from receipts where receipt = ${f.receipt.toUpperCase()})`));
  if (f.checkoutRequestId) where.push(eq(payments.id, sql`(select payment_id from stk_attempts where checkout_request_id = ${f.checkoutRequestId})`));
  if (f.from) where.push(gte(payments.createdAt, f.from));
  if (f.to) where.push(lte(payments.createdAt, f.to));
  if (f.minAmount !== undefined) where.push(gte(payments.amountKes, f.minAmount));
  if (f.maxAmount !== undefined) where.push(lte(payments.amountKes, f.maxAmount));
  return where;
}

export async function listPayments(db: Db, raw: unknown): Promise<{ payments: PaymentSummary[]; nextCursor: string | null }> {
  const f = parseWith(PaymentFiltersSchema, raw);
  const where = paymentConditions(f);
  const byAmount = f.sort === "amount_desc" || f.sort === "amount_asc";
  const descending = f.sort === "newest" || f.sort === "amount_desc";
  const sortColumn = byAmount ? payments.amountKes : payments.createdAt;
  const cursor = decodeCursor(f.cursor);
  if (f.cursor && !cursor) throw new AppError("invalid_request", "The cursor is not valid; start again from the first page.", { field: "cursor" });
  if (cursor) {
    const value = byAmount ? Number(cursor[0]) : new Date(String(cursor[0]));
    const id = String(cursor[1]);
    const cmp = descending ? lt : gt;
    where.push(or(cmp(sortColumn, value), and(eq(sortColumn, value), cmp(payments.id, id)))!);
  }
  const order = descending ? [desc(sortColumn), desc(payments.id)] : [asc(sortColumn), asc(payments.id)];
  const rows = await db.select().from(payments).where(and(...where)).orderBy(...order).limit(f.limit + 1);
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > f.limit && last ? encodeCursor([byAmount ? last.amountKes : last.createdAt.toISOString(), last.id]) : null;
  return { payments: page.map(toPaymentSummary), nextCursor };
}

export const PaymentCountFiltersSchema = PaymentFiltersSchema.omit({ status: true, sort: true, limit: true, cursor: true });
export type PaymentStatusCounts = { counts: Record<Payment["status"], number>; total: number };

/**
 * Payments per status for the list's filter chips. The status filter is ignored (the chips offer every
 * status). One `count(*)` per status, unioned: each is a range scan of payments_status_created_idx
 * (index-only when no amount filter), so a 30-day window over a million rows stays fast. Unbounded
 * counts are refused unless an indexed identifier (order ref, phone, receipt) narrows the rows.
 */
export async function countPaymentsByStatus(db: Db, raw: unknown): Promise<PaymentStatusCounts> {
  const f = parseWith(PaymentCountFiltersSchema, raw);
  if (!f.from && !f.orderRef && !f.phone && !f.receipt && !f.checkoutRequestId) {
    throw new AppError("invalid_request", "Counting payments needs a start date (from).", { field: "from" });
  }
  const where = paymentConditions({ ...f, sort: "newest", limit: 1 });
  const perStatus = PAYMENT_STATUSES.map((status) =>
    db.select({ status: sql<string>`${status}::text`.as("status"), n: sql<number>`count(*)::int`.as("n") })
      .from(payments).where(and(eq(payments.status, status), ...where)));
  const [first, ...rest] = perStatus;
  const rows = rest.length ? await unionAll(first, rest[0], ...rest.slice(1)) : await first;
  const counts = Object.fromEntries(PAYMENT_STATUSES.map((s) => [s, 0])) as Record<Payment["status"], number>;
  for (const row of rows) counts[row.status as Payment["status"]] = Number(row.n);
  return { counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
}
