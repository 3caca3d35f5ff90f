// Support's "re-send STK prompt": a new attempt on a closed, unpaid payment, refused while any money
// may be recorded against it (ledger/transitions.ts, resendRefusal), then sent like the first.
import { and, desc, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { exceptions, payments, receipts, stkAttempts } from "../../../db/schema";
import type { AppContext } from "../../context.server";
import { AppError } from "../../lib/app-error";
import { parseWith } from "../../lib/validation";
import type { Actor } from "../auth/staff-audit.server";
import { isUniqueViolation } from "../../../db/client";
import { normalizeKenyanPhone } from "../daraja/phone";
import { addPaymentEvent } from "../ledger/events.server";
import { resendRefusal } from "../ledger/transitions";
import { reopenForResend } from "../ledger/attempts.server";
import { getPaymentView, type PaymentView } from "./queries.server";

import {
  findBlockingPayment,
  orderConflict,
  sendPrompt,
  transactionDescFor,
} from "./initiate.server";

export const ResendPromptSchema = z.object({
  phone: z
    .string()
    .trim()
    .optional()
    .transform((p, ctx) => {
      if (!p) return undefined;
      const result = normalizeKenyanPhone(p);
      if (!result.ok) {
        ctx.addIssue({ code: "custom", message: result.message });
        return z.NEVER;
      }
      return result.msisdn;
    }),
  reason: z
    .string({ message: "Say why the prompt is being re-sent." })
    .trim()
    .min(3, "Say why the prompt is being re-sent.")
    .max(500),
});

/**
 * A prompt with no answer yet (no callback, no final STK Query answer) may still be paid, and M-Pesa
 * allows one live prompt per phone (docs/daraja.md#one-prompt-at-a-time): a re-send waits for the
 * answer, which "Check status now" asks for at once. The page and the server say the same.
 */
export const PROMPT_PENDING_MESSAGE =
  "The customer's last prompt has no answer yet: they may still pay it, and M-Pesa allows one prompt at a time. Wait for its answer (M-Pesa closes a prompt within about three minutes), or use “Check status now”.";

export function awaitingAnswer(attempt: { status: string } | undefined): boolean {
  return attempt?.status === "pending" || attempt?.status === "initiating";
}

/** Support's "re-send STK prompt": a new attempt on the same payment, optionally to a corrected phone. */
export async function resendPrompt(
  ctx: AppContext,
  paymentId: string,
  raw: z.input<typeof ResendPromptSchema>,
  actor: Actor,
): Promise<PaymentView> {
  const input = parseWith(ResendPromptSchema, raw);
  const prepared = await ctx.db
    .transaction(async (tx) => {
      const [payment] = await tx
        .select()
        .from(payments)
        .where(eq(payments.id, paymentId))
        .for("no key update");
      if (!payment)
        throw new AppError("not_found", "That payment does not exist.", { status: 404 });
      const attempts = await tx
        .select()
        .from(stkAttempts)
        .where(eq(stkAttempts.paymentId, paymentId))
        .orderBy(desc(stkAttempts.seq));
      const last = attempts[0];
      const refusal = resendRefusal({
        status: payment.status,
        attemptStatuses: attempts.map((a) => a.status),
        receipts: (
          await tx
            .select({ receipt: receipts.receipt })
            .from(receipts)
            .where(eq(receipts.paymentId, paymentId))
        ).map((r) => r.receipt),
        openCaseTypes: (
          await tx
            .select({ type: exceptions.type })
            .from(exceptions)
            .where(and(eq(exceptions.paymentId, paymentId), ne(exceptions.status, "resolved")))
        ).map((r) => r.type),
      });
      if (refusal)
        throw new AppError(
          payment.status === "paid" || payment.status === "refunded"
            ? "already_paid"
            : "money_recorded",
          refusal,
          { status: 409 },
        );
      // Another payment for the same order that is open, paid or of unknown outcome (a new request
      // after this one failed) stops the re-send as it stops a new request: one charge per order.
      const blocking = await findBlockingPayment(tx, payment.orderRef, payment.id);
      if (blocking) throw await orderConflict({ ...ctx, db: tx }, blocking);
      if (awaitingAnswer(last))
        throw new AppError("prompt_pending", PROMPT_PENDING_MESSAGE, {
          status: 409,
          retryable: true,
        });
      const now = ctx.now();
      const phone = input.phone ?? last?.phone ?? payment.phone;
      const [attempt] = await tx
        .insert(stkAttempts)
        .values({
          paymentId,
          seq: (last?.seq ?? 0) + 1,
          phone,
          amountKes: payment.amountKes,
          status: "initiating",
          reason: input.reason,
          requestedByUserId: actor.kind === "user" ? actor.userId : null,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      await addPaymentEvent(tx, actor, {
        paymentId,
        attemptId: attempt.id,
        type: "prompt_resent",
        summary: `Prompt re-sent${input.phone && input.phone !== payment.phone ? " to a corrected phone number" : ""}: ${input.reason}`,
        data: {
          reason: input.reason,
          phoneChanged: !!input.phone && input.phone !== payment.phone,
        },
      });
      await reopenForResend(tx, actor, payment, { attemptId: attempt.id, phone: input.phone, now });
      return { payment: { ...payment, status: "initiating" as const }, attempt };
    })
    .catch(async (error: unknown) => {
      // A new request for the order opened meanwhile: the open-order key refused this reopening.
      if (!isUniqueViolation(error)) throw error;
      const [row] = await ctx.db.select().from(payments).where(eq(payments.id, paymentId));
      const winner = row && (await findBlockingPayment(ctx.db, row.orderRef, paymentId));
      throw winner ? await orderConflict(ctx, winner) : error;
    });
  await sendPrompt(
    ctx,
    prepared.payment,
    prepared.attempt,
    transactionDescFor(prepared.payment.description || undefined),
  );
  return (await getPaymentView(ctx.db, paymentId))!;
}
