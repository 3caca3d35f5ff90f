// What finance asks of Daraja's initiator APIs from the console (docs/daraja.md#transaction-status,
// #reversal): Transaction Status for a payment, and a reversal that a SECOND finance user must
// approve before it leaves (four eyes, settled by one conditional UPDATE so two approvers at once
// send one request). Each request is stored with our OriginatorConversationID before it is sent;
// every step is in the staff audit and on the payment's timeline.
import { randomUUID } from "node:crypto";
import { and, desc, eq, getTableColumns, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../../../db/client";
import {
  darajaRequests,
  payments,
  rawCallbacks,
  type CallbackOutcome,
  type DarajaRequest,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { formatKes } from "../../lib/money";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { addPaymentEvent } from "../ledger/events.server";
import { lockPayment } from "../ledger/payment-lock.server";
import { requestStateText } from "./request-states";
import { completedReversalOf, earlierReversalRefusal } from "./reversal-guards.server";
import { approveRequest, rejectRequest } from "./request-writer.server";
import {
  normaliseReceiptInput,
  reversalRefusal,
  statusQueryRefusal,
  type MoneyOutPayment,
} from "./eligibility";
import { sendStored } from "./send.server";
import { getReversalCap } from "./settings.server";

type StaffActor = Actor & { kind: "user" };
export type MoneyOutResult = { ok: boolean; message: string; requestId?: string };

/** A status request younger than this for the same payment is not repeated (it is on its way). */
const STATUS_REPEAT_AFTER_MS = 60_000;

export async function moneyOutPayment(
  db: Db,
  paymentId: string,
): Promise<(MoneyOutPayment & { id: string }) | null> {
  const [row] = await db
    .select({
      id: payments.id,
      status: payments.status,
      receipt: payments.receipt,
      receiptPending: payments.receiptPending,
      // Column names written out in full: drizzle leaves a single table's columns unqualified, and inside
      // a subquery "id" or "receipt" would name the subquery's own table's column.
      // The money that moved: what the booked receipt holds. After "Accept as paid" on a wrong amount
      // the payment still says what was asked for; a reversal sends back, and the cap weighs, what came.
      amountKes:
        sql<number>`coalesce((select r.amount_kes from receipts r where r.receipt = payments.receipt), payments.amount_kes)`.mapWith(
          Number,
        ),
      openCases:
        sql<number>`(select count(*) from exceptions x where x.payment_id = payments.id and x.status <> 'resolved')`.mapWith(
          Number,
        ),
    })
    .from(payments)
    .where(eq(payments.id, paymentId));
  return row ?? null;
}

async function paymentOr404(db: Db, paymentId: string) {
  const p = z.uuid().safeParse(paymentId).success ? await moneyOutPayment(db, paymentId) : null;
  if (!p) throw new AppError("not_found", "There is no payment with this ID.", { status: 404 });
  return p;
}

function requireInitiator(ctx: AppContext) {
  if (!ctx.config.mpesa.initiator)
    throw new AppError(
      "initiator_not_configured",
      "The M-Pesa initiator is not configured (MPESA_INITIATOR_NAME and its credential); ask an admin.",
      { status: 503 },
    );
}

export async function requestTransactionStatus(
  ctx: AppContext,
  actor: StaffActor,
  paymentId: string,
  input: { receipt?: string },
): Promise<MoneyOutResult> {
  requireInitiator(ctx);
  const p = await paymentOr404(ctx.db, paymentId);
  const refusal = statusQueryRefusal(p);
  if (refusal) throw new AppError("not_eligible", refusal, { status: 409 });
  const receipt = p.receipt ?? normaliseReceiptInput(input.receipt);
  if (!receipt)
    throw new AppError(
      "invalid_request",
      "Give the M-Pesa receipt to look up (ten letters and digits, from the customer's SMS or the statement).",
      { status: 400, field: "receipt" },
    );
  const now = ctx.now();
  // A double click or two staff at once: the payment's row lock makes the second wait and then see the
  // first request, so one status query goes to M-Pesa.
  const request = await ctx.db.transaction(async (tx) => {
    await lockPayment(tx, p.id);
    const recent = await tx
      .select({ id: darajaRequests.id })
      .from(darajaRequests)
      .where(
        and(
          eq(darajaRequests.paymentId, p.id),
          eq(darajaRequests.kind, "status"),
          eq(darajaRequests.receipt, receipt),
          inArray(darajaRequests.state, ["sending", "sent"]),
          gt(darajaRequests.createdAt, new Date(now.getTime() - STATUS_REPEAT_AFTER_MS)),
        ),
      );
    if (recent.length) return null;
    const [row] = await tx
      .insert(darajaRequests)
      .values({
        kind: "status",
        state: "sending",
        paymentId: p.id,
        receipt,
        originatorConversationId: randomUUID(),
        requestedByUserId: actor.userId,
        requestedByLabel: actor.label,
        reason: `Status of ${receipt}`,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordStaffAction(tx, actor, {
      action: "payment.transaction_status",
      entityType: "payment",
      entityId: p.id,
      after: { receipt, requestId: row.id },
    });
    return row;
  });
  if (!request)
    return {
      ok: true,
      message: `A Transaction Status request for ${receipt} is already on its way.`,
    };
  const sent = await sendStored(ctx, request, actor);
  return { ...sent, requestId: request.id };
}

export const ReversalSchema = z.object({
  reason: z
    .string({ message: "Say why the money goes back (at least 5 characters)." })
    .trim()
    .min(5, "Say why the money goes back (at least 5 characters).")
    .max(100, "Keep the reason under 100 characters (M-Pesa's limit for Remarks)."),
});

export async function requestReversal(
  ctx: AppContext,
  actor: StaffActor,
  paymentId: string,
  { reason }: z.output<typeof ReversalSchema>,
): Promise<MoneyOutResult> {
  const p = await paymentOr404(ctx.db, paymentId);
  const capKes = await getReversalCap(ctx.db);
  const refusal = reversalRefusal(p, {
    allowReversals: ctx.config.mpesa.allowReversals,
    capKes,
    configured: !!ctx.config.mpesa.initiator,
  });
  if (refusal) throw new AppError("not_eligible", refusal, { status: 409 });
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    // A receipt is reversed once: a completed reversal refuses any other (its refund normally has the
    // payment refunded already; this holds even where it did not, e.g. an incomplete result left the
    // payment paid and a case open), and the partial unique index allows one live reversal per
    // receipt, so a second one asked at the same moment is refused below.
    const done = await completedReversalOf(tx, p.receipt!);
    const wait = await earlierReversalRefusal(tx, p.receipt!, now, ctx.config.mpesa.resultWaitMs);
    if (wait) throw new AppError("reversal_may_complete", wait, { status: 409 });
    const [request] = done
      ? []
      : await tx
          .insert(darajaRequests)
          .values({
            kind: "reversal",
            state: "awaiting_approval",
            paymentId: p.id,
            receipt: p.receipt!,
            amountKes: p.amountKes,
            reason,
            originatorConversationId: randomUUID(),
            requestedByUserId: actor.userId,
            requestedByLabel: actor.label,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .returning();
    if (!request)
      throw new AppError(
        "reversal_exists",
        `A reversal of receipt ${p.receipt} is already requested or done.`,
        { status: 409 },
      );
    await recordStaffAction(tx, actor, {
      action: "reversal.request",
      entityType: "payment",
      entityId: p.id,
      after: { requestId: request.id, receipt: p.receipt, amountKes: p.amountKes },
      note: reason,
    });
    await addPaymentEvent(tx, actor, {
      paymentId: p.id,
      type: "reversal_requested",
      summary: `${actor.label} asked to reverse receipt ${p.receipt} (${formatKes(p.amountKes)}): ${reason}. A second finance user must approve it.`,
      data: { requestId: request.id },
    });
    return {
      ok: true,
      requestId: request.id,
      message: `Reversal of ${formatKes(p.amountKes)} requested. A different finance user must approve it before it is sent.`,
    };
  });
}

export async function pendingReversal(db: Db, paymentId: string, requestId: string) {
  if (!z.uuid().safeParse(requestId).success)
    throw new AppError("not_found", "There is no such reversal request.", { status: 404 });
  const [row] = await db
    .select()
    .from(darajaRequests)
    .where(
      and(
        eq(darajaRequests.id, requestId),
        eq(darajaRequests.paymentId, paymentId),
        eq(darajaRequests.kind, "reversal"),
      ),
    );
  if (!row) throw new AppError("not_found", "There is no such reversal request.", { status: 404 });
  return row;
}

function decidedAlready(row: DarajaRequest): AppError {
  return new AppError(
    "already_decided",
    `This reversal is no longer waiting for approval (it is ${requestStateText(row.state)}).`,
    { status: 409 },
  );
}

export async function approveReversal(
  ctx: AppContext,
  actor: StaffActor,
  paymentId: string,
  requestId: string,
): Promise<MoneyOutResult> {
  const row = await pendingReversal(ctx.db, paymentId, requestId);
  if (row.requestedByUserId === actor.userId)
    throw new AppError(
      "four_eyes",
      "You asked for this reversal, so you cannot approve it. A different finance user must approve it.",
      { status: 403 },
    );
  const now = ctx.now();
  const claimed = await ctx.db.transaction(async (tx) => {
    // The database settles two approvers at once: only one UPDATE finds the row still waiting.
    const won = await approveRequest(tx, row, { userId: actor.userId, now });
    if (!won) return null;
    // Locked as the result's applier locks it (payment first): a result being applied now is seen
    // by the checks below, not after them.
    await lockPayment(tx, paymentId);
    // Checked again at approval: the payment, the cap and the switch may have changed meanwhile.
    const p = await paymentOr404(tx, paymentId);
    const refusal =
      p.receipt !== row.receipt
        ? "The payment's receipt changed since the reversal was requested."
        : (await completedReversalOf(tx, row.receipt!))
          ? `Receipt ${row.receipt} is already reversed (an earlier request completed); nothing was sent.`
          : ((await earlierReversalRefusal(tx, row.receipt!, now, ctx.config.mpesa.resultWaitMs)) ??
            reversalRefusal(p, {
              allowReversals: ctx.config.mpesa.allowReversals,
              capKes: await getReversalCap(tx),
              configured: !!ctx.config.mpesa.initiator,
            }));
    if (refusal) throw new AppError("not_eligible", refusal, { status: 409 });
    await recordStaffAction(tx, actor, {
      action: "reversal.approve",
      entityType: "payment",
      entityId: paymentId,
      before: { state: "awaiting_approval", requestedBy: row.requestedByLabel },
      after: { state: "sending", requestId: row.id },
    });
    await addPaymentEvent(tx, actor, {
      paymentId,
      type: "reversal_approved",
      summary: `${actor.label} approved the reversal of receipt ${row.receipt} requested by ${row.requestedByLabel}; sending it to M-Pesa`,
      data: { requestId: row.id },
    });
    return won;
  });
  if (!claimed) throw decidedAlready((await pendingReversal(ctx.db, paymentId, requestId)) ?? row);
  const sent = await sendStored(ctx, claimed, actor);
  return { ...sent, requestId: claimed.id };
}

export async function rejectReversal(
  ctx: AppContext,
  actor: StaffActor,
  paymentId: string,
  requestId: string,
  note: string | undefined,
): Promise<MoneyOutResult> {
  const row = await pendingReversal(ctx.db, paymentId, requestId);
  const withdrawn = row.requestedByUserId === actor.userId;
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const done = await rejectRequest(tx, row, {
      userId: actor.userId,
      now,
      note: note?.trim().slice(0, 500) || null,
    });
    if (!done) throw decidedAlready(row);
    const verb = withdrawn ? "withdrew" : "rejected";
    await recordStaffAction(tx, actor, {
      action: withdrawn ? "reversal.withdraw" : "reversal.reject",
      entityType: "payment",
      entityId: paymentId,
      before: { state: "awaiting_approval" },
      after: { state: "rejected", requestId: row.id },
      note: note ?? null,
    });
    await addPaymentEvent(tx, actor, {
      paymentId,
      type: "reversal_rejected",
      summary: `${actor.label} ${verb} the reversal of receipt ${row.receipt}${note ? `: ${note}` : ""}`,
      data: { requestId: row.id },
    });
    return { ok: true, message: `Reversal ${verb}; nothing was sent to M-Pesa.` };
  });
}

/**
 * The initiator requests about one payment, newest first, for its page, each with what the gate made
 * of its result (`conflict`: M-Pesa's answer was incomplete or disagreed, and a case is open).
 */
export async function listPaymentRequests(
  db: Db,
  paymentId: string,
): Promise<(DarajaRequest & { resultOutcome: CallbackOutcome | null })[]> {
  return db
    .select({ ...getTableColumns(darajaRequests), resultOutcome: rawCallbacks.outcome })
    .from(darajaRequests)
    .leftJoin(rawCallbacks, eq(rawCallbacks.id, darajaRequests.resultRawCallbackId))
    .where(eq(darajaRequests.paymentId, paymentId))
    .orderBy(desc(darajaRequests.createdAt))
    .limit(20);
}
