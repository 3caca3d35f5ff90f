// What a person does to a payment from the console — request one, re-send the prompt — wrapped so
// each leaves a staff-audit row, and the outcome is told in words an agent can repeat to the
// customer. The payments core (initiate.server.ts) does the work; docs/daraja.md#daraja-errors,
// #one-prompt-at-a-time decide what a refusal means.
import { resendRefusal } from "../ledger/transitions";
import type { z } from "zod";
import type { AppContext } from "../../context.server";
import { formatKes } from "../../lib/money";
import { recordStaffAction, type Actor } from "../auth/staff-audit.server";
import { maskPhone } from "../daraja/phone";
import { initiatePayment, type InitiatePaymentInput } from "./initiate.server";
import {
  awaitingAnswer,
  PROMPT_PENDING_MESSAGE,
  resendPrompt,
  type ResendPromptSchema,
} from "./resend.server";
import type { PaymentView } from "./queries.server";

export type StaffOutcome = { view: PaymentView; ok: boolean; message: string };

/** What the newest attempt says after a push: accepted, refused by M-Pesa (e.g. subscriber locked), or unknown. */
function pushOutcome(view: PaymentView): { ok: boolean; message: string } {
  const attempt = view.attempts[view.attempts.length - 1];
  if (!attempt || attempt.status === "pending" || attempt.status === "initiating") {
    return {
      ok: true,
      message: `Prompt sent to ${maskPhone(attempt?.phone ?? view.phone)}; waiting for the customer to enter their PIN.`,
    };
  }
  if (attempt.status === "failed")
    return {
      ok: false,
      message: `M-Pesa refused the prompt: ${attempt.errorMessage ?? attempt.resultDesc ?? "no reason given"}.`,
    };
  if (attempt.status === "unknown")
    return { ok: false, message: `${attempt.errorMessage ?? "No clear answer from M-Pesa"}.` };
  return {
    ok: attempt.status === "paid",
    message: `The prompt already finished: ${attempt.status}.`,
  };
}

export async function requestPaymentAsStaff(
  ctx: AppContext,
  input: InitiatePaymentInput,
  actor: Actor,
): Promise<StaffOutcome> {
  const view = await initiatePayment(ctx, input, actor);
  await recordStaffAction(ctx.db, actor, {
    action: "payment.request",
    entityType: "payment",
    entityId: view.id,
    after: { orderRef: view.orderRef, amountKes: view.amount, status: view.status },
    note: view.description || null,
  });
  const outcome = pushOutcome(view);
  return {
    view,
    ...outcome,
    message: outcome.ok
      ? `Requested ${formatKes(view.amount)} for order ${view.orderRef}. ${outcome.message}`
      : outcome.message,
  };
}

export async function resendPromptAsStaff(
  ctx: AppContext,
  paymentId: string,
  input: z.input<typeof ResendPromptSchema>,
  actor: Actor,
): Promise<StaffOutcome> {
  const view = await resendPrompt(ctx, paymentId, input, actor);
  const [previous, attempt] = view.attempts.slice(-2);
  await recordStaffAction(ctx.db, actor, {
    action: "payment.resend_prompt",
    entityType: "payment",
    entityId: paymentId,
    note: String(input.reason ?? "").trim(),
    // Audit readers see which attempt and whether the number changed, not the number itself.
    after: {
      attemptId: attempt?.id,
      seq: attempt?.seq,
      attemptStatus: attempt?.status,
      phoneChanged: !!previous && previous.phone !== attempt?.phone,
    },
  });
  return { view, ...pushOutcome(view) };
}

export type ResendAvailability =
  { allowed: true } | { allowed: false; reason: string; final?: boolean };

/** Whether the re-send button should be live; resendPrompt re-checks all of this under a row lock. */
export function resendAvailability(view: PaymentView): ResendAvailability {
  const refusal = resendRefusal({
    status: view.status,
    attemptStatuses: view.attempts.map((a) => a.status),
    receipts: view.receipts.map((r) => r.receipt),
    openCaseTypes: view.openExceptions.map((x) => x.type),
  });
  if (refusal) return { allowed: false, final: true, reason: refusal };
  if (awaitingAnswer(view.attempts[view.attempts.length - 1]))
    return { allowed: false, reason: PROMPT_PENDING_MESSAGE };
  return { allowed: true };
}
