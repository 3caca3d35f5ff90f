// Starting and re-sending STK pushes (docs/daraja.md#stk-push, #callback-before-response). The
// payment and its attempt are committed before Daraja is called, so a callback faster than Daraja's
// own response still finds (or is later re-matched to) its attempt. Daraja errors leave the payment
// failed with the reason; a lost answer leaves it unknown, never failed: the prompt may have
// reached the phone.
import { and, desc, eq, inArray, ne, or, sql } from "drizzle-orm";
import { z } from "zod";
import { isUniqueViolation, type Db } from "../../../db/client";
import {
  payments,
  rawCallbacks,
  stkAttempts,
  type Payment,
  type StkAttempt,
} from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { formatKes, MAX_STK_AMOUNT_KES, MIN_STK_AMOUNT_KES } from "../../lib/money";
import { kesAmount, parseWith } from "../../lib/validation";
import type { Actor } from "../auth/staff-audit.server";
import { ACCOUNT_REFERENCE_MAX, TRANSACTION_DESC_MAX } from "../daraja/client.server";
import { normalizeKenyanPhone } from "../daraja/phone";
import { lockAttempt, writePaymentStatus } from "../ledger/payments.server";
import { MONEY_CASES } from "../ledger/transitions";
import { addPaymentEvent, DARAJA_ACTOR } from "../ledger/events.server";
import { markPushAccepted } from "../ledger/attempts.server";
import { getPaymentView, type PaymentView } from "./queries.server";
import { recordPushFailure } from "./push-failure.server";

const phoneField = z
  .string({ message: "Enter the customer's phone number." })
  .transform((value, ctx) => {
    const result = normalizeKenyanPhone(value);
    if (!result.ok) {
      ctx.addIssue({ code: "custom", message: result.message });
      return z.NEVER;
    }
    return result.msisdn;
  });

const inStkRange = (n: number) => n >= MIN_STK_AMOUNT_KES && n <= MAX_STK_AMOUNT_KES;
const STK_RANGE = `Amount must be between ${formatKes(MIN_STK_AMOUNT_KES)} and ${formatKes(MAX_STK_AMOUNT_KES)}.`;

const requestFields = {
  orderRef: z
    .string({ message: "Enter the order reference." })
    .trim()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9 _./#-]{0,63}$/,
      "Order reference must be 1–64 letters, digits, spaces or - _ / . #, starting with a letter or digit.",
    ),
  phone: phoneField,
  description: z
    .string()
    .trim()
    .max(100, "Description must be at most 100 characters.")
    .optional()
    .transform((d) => d || undefined),
};

/** A payment request as JSON (the API, and the domain's own check): the amount a JSON number. */
export const InitiatePaymentSchema = z.object({
  orderRef: requestFields.orderRef,
  amount: kesAmount("json").refine(inStkRange, STK_RANGE),
  phone: requestFields.phone,
  description: requestFields.description,
});
/** The console's request form: the amount as people type it ("KES 1,250"); see lib/money.ts. */
export const InitiatePaymentFormSchema = z.object({
  orderRef: z
    .string()
    .trim()
    .min(1, "Enter the order reference the customer is paying.")
    .pipe(requestFields.orderRef),
  amount: kesAmount("form").refine(inStkRange, STK_RANGE),
  phone: requestFields.phone,
  description: requestFields.description,
});
/** What the domain takes: a parsed request (phone in any Kenyan shape; it is normalised again). */
export type InitiatePaymentInput = {
  orderRef: string;
  amount: number;
  phone: string;
  description?: string;
};

/** AccountReference is shown on the customer's phone: alphanumeric, at most 12 characters
 * (docs/daraja.md#stk-push-request). */
export function accountReferenceFor(orderRef: string): string {
  return orderRef.replace(/[^A-Za-z0-9]/g, "").slice(0, ACCOUNT_REFERENCE_MAX) || "PAYMENT";
}

export function transactionDescFor(description: string | undefined): string {
  return (
    (description ?? "Payment")
      .replace(/[^A-Za-z0-9 ]/g, "")
      .trim()
      .slice(0, TRANSACTION_DESC_MAX) || "Payment"
  );
}

const OPEN_OR_PAID = ["initiating", "pending", "paid"] as const;

// An `unknown` payment with an open case blocks too: the customer may have paid it (a lost push
// answer, a prompt the poller gave up on, money of the wrong amount), so a second prompt could charge
// them twice. So does a failed, cancelled or expired payment with an open case whose evidence says
// money may have arrived for it (a success callback without a receipt that a failure then answered, a
// success after the prompt expired): the rule a re-send of that payment follows (resendRefusal). Not
// an unknown_outcome case: a definite failure that came after it says what happened. Once a person
// has settled the case (written off, acknowledged…) the order is free again.
const UNKNOWN_AND_OPEN = sql`(${payments.status} = 'unknown' and exists (select 1 from exceptions x
  where x.payment_id = "payments"."id" and x.status <> 'resolved'))`;
const MONEY_EVIDENCE = MONEY_CASES.filter((t) => t !== "unknown_outcome");
const CLOSED_WITH_MONEY_CASE = sql`(${payments.status} in ('failed', 'cancelled', 'expired')
  and exists (select 1 from exceptions x where x.payment_id = "payments"."id"
  and x.status <> 'resolved' and x.type in (${sql.join(
    MONEY_EVIDENCE.map((t) => sql`${t}`),
    sql`, `,
  )})))`;
// The answer names the strongest reason: a paid payment, then one waiting for the customer, then one
// of unknown outcome, then a closed one with its case open.
const BLOCKING_ORDER = sql`case ${payments.status} when 'paid' then 0 when 'initiating' then 1
  when 'pending' then 1 when 'unknown' then 2 else 3 end`;

/**
 * The order's payment that stops another prompt for it: open, paid, unknown with its case open, or
 * with an open case that says money may have arrived.
 */
export async function findBlockingPayment(
  db: Db,
  orderRef: string,
  /** A re-send: the payment being re-sent is not in its own way. */
  exceptPaymentId?: string,
): Promise<Payment | undefined> {
  const [existing] = await db
    .select()
    .from(payments)
    .where(
      and(
        eq(payments.orderRef, orderRef),
        or(inArray(payments.status, [...OPEN_OR_PAID]), UNKNOWN_AND_OPEN, CLOSED_WITH_MONEY_CASE),
        exceptPaymentId ? ne(payments.id, exceptPaymentId) : undefined,
      ),
    )
    .orderBy(BLOCKING_ORDER, desc(payments.createdAt))
    .limit(1);
  return existing;
}

export async function orderConflict(ctx: AppContext, existing: Payment): Promise<AppError> {
  const view = await getPaymentView(ctx.db, existing.id);
  if (existing.status === "unknown")
    return new AppError(
      "order_unknown",
      `Order ${existing.orderRef} has a payment whose outcome is unknown: the customer may have paid it. Finance must settle its open case (on the payment's page) before the order can be asked for again.`,
      { status: 409, details: { payment: view } },
    );
  if (
    existing.status !== "paid" &&
    existing.status !== "initiating" &&
    existing.status !== "pending"
  )
    return new AppError(
      "order_case_open",
      `Order ${existing.orderRef} has a ${existing.status} payment with an open case saying money may have arrived for it: the customer may have paid. Finance must settle the case (on the payment's page) before the order can be asked for again.`,
      { status: 409, details: { payment: view } },
    );
  return existing.status === "paid"
    ? new AppError("order_paid", `Order ${existing.orderRef} is already paid.`, {
        status: 409,
        details: { payment: view },
      })
    : new AppError(
        "order_open",
        `Order ${existing.orderRef} already has a payment waiting for the customer; wait for it to finish.`,
        { status: 409, details: { payment: view } },
      );
}

export async function initiatePayment(
  ctx: AppContext,
  raw: InitiatePaymentInput,
  actor: Actor,
): Promise<PaymentView> {
  const input = parseWith(InitiatePaymentSchema, raw); // typed callers too: the gate checks again
  const blocking = await findBlockingPayment(ctx.db, input.orderRef);
  if (blocking) throw await orderConflict(ctx, blocking);

  let created: { payment: Payment; attempt: StkAttempt };
  try {
    created = await ctx.db.transaction(async (tx) => {
      const now = ctx.now();
      const [payment] = await tx
        .insert(payments)
        .values({
          orderRef: input.orderRef,
          amountKes: input.amount,
          phone: input.phone,
          description: input.description ?? "",
          accountReference: accountReferenceFor(input.orderRef),
          status: "initiating",
          requestedByUserId: actor.kind === "user" ? actor.userId : null,
          requestedByApiKeyId: actor.kind === "api_key" ? actor.apiKeyId : null,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      const [attempt] = await tx
        .insert(stkAttempts)
        .values({
          paymentId: payment.id,
          seq: 1,
          phone: input.phone,
          amountKes: input.amount,
          status: "initiating",
          requestedByUserId: actor.kind === "user" ? actor.userId : null,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await addPaymentEvent(tx, actor, {
        paymentId: payment.id,
        attemptId: attempt.id,
        type: "created",
        summary: `Payment of ${formatKes(input.amount)} requested for order ${input.orderRef}`,
        at: now,
      });
      return { payment, attempt };
    });
  } catch (error) {
    // Another request for the same order won the race for the partial unique index.
    if (isUniqueViolation(error)) {
      const winner = await findBlockingPayment(ctx.db, input.orderRef);
      if (winner) throw await orderConflict(ctx, winner);
    }
    throw error;
  }
  await sendPrompt(ctx, created.payment, created.attempt, transactionDescFor(input.description));
  return (await getPaymentView(ctx.db, created.payment.id))!;
}

/** Calls Daraja for an attempt already committed as `initiating`, then records what Daraja said. */
export async function sendPrompt(
  ctx: AppContext,
  payment: Payment,
  attempt: StkAttempt,
  transactionDesc: string,
): Promise<void> {
  let accepted;
  try {
    accepted = await ctx.daraja.stkPush(
      {
        phone: attempt.phone,
        amountKes: attempt.amountKes,
        accountReference: payment.accountReference,
        transactionDesc,
      },
      { paymentId: payment.id, attemptId: attempt.id },
    );
  } catch (error) {
    await recordPushFailure(ctx, attempt.id, error);
    return;
  }
  const orphans = await ctx.db.transaction(async (tx) => {
    // Same lock as callback processing: either the callback sees our CheckoutRequestID, or we see its orphan row.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${accepted.checkoutRequestId}))`);
    const { payment: current, attempt: locked } = await lockAttempt(tx, attempt.id);
    const now = ctx.now();
    await markPushAccepted(tx, locked, {
      checkoutRequestId: accepted.checkoutRequestId,
      merchantRequestId: accepted.merchantRequestId,
      requestBody: accepted.requestBody,
      responseBody: {
        MerchantRequestID: accepted.merchantRequestId,
        CheckoutRequestID: accepted.checkoutRequestId,
        ResponseCode: accepted.responseCode,
        CustomerMessage: accepted.customerMessage,
      },
      nextPollAt: new Date(now.getTime() + ctx.config.poller.firstAfterS * 1000),
      now,
    });
    await addPaymentEvent(tx, DARAJA_ACTOR, {
      paymentId: payment.id,
      attemptId: attempt.id,
      type: "push_accepted",
      summary: "M-Pesa accepted the prompt; waiting for the customer",
      data: { checkoutRequestId: accepted.checkoutRequestId },
    });
    if (current.status === "initiating")
      await writePaymentStatus(tx, DARAJA_ACTOR, current, "pending", {
        now,
        reason: "Prompt sent to the customer's phone",
        attemptId: attempt.id,
      });
    return tx
      .select({ id: rawCallbacks.id })
      .from(rawCallbacks)
      .where(
        and(
          eq(rawCallbacks.checkoutRequestId, accepted.checkoutRequestId),
          eq(rawCallbacks.outcome, "orphan"),
        ),
      );
  });
  if (orphans.length) {
    const { reprocessCallback } = await import("../callbacks/intake.server");
    for (const { id } of orphans)
      await reprocessCallback(ctx, id, { kind: "system", label: "auto re-match" });
  }
}
