// Exceptions made the way production makes them: simulator phones whose callbacks contradict each
// other, callbacks posted to the real hook, the poller's query evidence through the real writer.
import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import {
  exceptions,
  rawCallbacks,
  type ExceptionType,
  type PaymentException,
} from "../../db/schema";
import type { Actor } from "../../app/modules/auth/staff-audit.server";
import { SYSTEM_ACTOR } from "../../app/modules/auth/staff-audit.server";
import { openException } from "../../app/modules/ledger/cases.server";
import { applyStkEvidence } from "../../app/modules/ledger/payments.server";
import { POLLER_ACTOR } from "../../app/modules/ledger/events.server";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { resendPrompt } from "../../app/modules/payments/resend.server";
import { getPaymentView, type PaymentView } from "../../app/modules/payments/queries.server";
import { postStkCallback, stkCallbackBody, waitFor, type TestApp } from "./app";
import { orderRef, PHONES } from "./factories";

/** Options for startTestApp that keep the simulator's slow paths (hang, late success) short. */
export const FAST_FLOWS = {
  env: { DARAJA_TIMEOUT_MS: "1000" },
  simulator: { hangMs: 1500, lateDelayMs: 150 },
};

export const newReceipt = () => `TX${randomBytes(4).toString("hex").toUpperCase()}`;
export const newCheckoutId = () => `ws_CO_${Date.now()}${randomBytes(3).toString("hex")}`;

export function flows(app: TestApp, actor: Actor) {
  const db = app.ctx.db;
  const pay = (phone: string, amount = 150, ref = orderRef()) =>
    initiatePayment(app.ctx, { orderRef: ref, amount, phone }, actor);
  const settled = (id: string, status: string) =>
    waitFor(
      async () => {
        const p = await getPaymentView(db, id);
        return p?.status === status ? p : null;
      },
      6000,
      `payment ${id} to become ${status}`,
    );
  const exceptionFor = (where: { paymentId?: string; receipt?: string }, type: ExceptionType) =>
    waitFor(
      async () => {
        const [x] = await db
          .select()
          .from(exceptions)
          .where(
            and(
              eq(exceptions.type, type),
              where.paymentId
                ? eq(exceptions.paymentId, where.paymentId)
                : eq(exceptions.receipt, where.receipt!),
            ),
          );
        return x;
      },
      6000,
      `${type} exception`,
    );

  return {
    pay,
    settled,
    exceptionFor,
    /** 254708000010: the prompt expires (1037), then the customer's payment arrives anyway. */
    async lateSuccess(amount = 150) {
      const payment = await pay(PHONES.lateSuccess, amount);
      await settled(payment.id, "expired");
      return { payment, exception: await exceptionFor({ paymentId: payment.id }, "late_success") };
    },
    /** 254708000009: the customer pays one shilling less than asked. */
    async wrongAmount(amount = 500) {
      const payment = await pay(PHONES.wrongAmount, amount);
      await settled(payment.id, "unknown");
      return {
        payment,
        exception: await exceptionFor({ paymentId: payment.id }, "amount_mismatch"),
      };
    },
    /** 254708000008: paid, then a 1032 callback for the same prompt. */
    async conflicting() {
      const payment = await pay(PHONES.conflictingCallback);
      await settled(payment.id, "paid");
      return {
        payment,
        exception: await exceptionFor({ paymentId: payment.id }, "conflicting_callback"),
      };
    },
    /** A cancelled prompt, a re-sent one that pays, then the first one's success arrives too. */
    async doublePayment(amount = 150) {
      const payment = await pay(PHONES.cancels, amount);
      await settled(payment.id, "cancelled");
      await resendPrompt(
        app.ctx,
        payment.id,
        { phone: PHONES.pays, reason: "customer asked again" },
        actor,
      );
      const paid = await settled(payment.id, "paid");
      const second = newReceipt();
      await postStkCallback(
        app,
        stkCallbackBody({
          checkoutRequestId: paid.attempts[0].checkoutRequestId!,
          amount,
          receipt: second,
        }),
      );
      return {
        payment: paid,
        receipt: second,
        exception: await exceptionFor({ paymentId: payment.id }, "double_payment"),
      };
    },
    /** A success callback for a CheckoutRequestID we never issued. */
    async orphan(amount = 150, resultCode: number = 0) {
      const receipt = newReceipt();
      await postStkCallback(
        app,
        stkCallbackBody({ checkoutRequestId: newCheckoutId(), amount, receipt, resultCode }),
      );
      const [raw] = await waitFor(() =>
        db
          .select()
          .from(rawCallbacks)
          .where(eq(rawCallbacks.receipt, receipt))
          .then((r) => (r.length && r[0].outcome === "orphan" ? r : null)),
      );
      const exception = await waitFor(
        async () =>
          (await db.select().from(exceptions).where(eq(exceptions.rawCallbackId, raw.id)))[0],
        6000,
        "orphan exception",
      );
      return { receipt, raw, exception };
    },
    /** The poller's STK Query answers 1032 for an attempt already paid. */
    async queryDisagrees() {
      const payment = await pay(PHONES.pays);
      const paid = await settled(payment.id, "paid");
      await db.transaction((tx) =>
        applyStkEvidence(tx, POLLER_ACTOR, {
          attemptId: paid.attempts[0].id,
          now: new Date(),
          evidence: {
            source: "query",
            outcome: "cancelled",
            resultCode: "1032",
            resultDesc: "Request Cancelled by user.",
            receipt: null,
            amountKes: null,
          },
        }),
      );
      return {
        payment: paid,
        exception: await exceptionFor({ paymentId: payment.id }, "query_disagrees"),
      };
    },
    /** A success callback naming a receipt another payment already has. */
    async duplicateReceipt() {
      const first = await settled((await pay(PHONES.pays)).id, "paid");
      const second = await pay(PHONES.handset);
      await postStkCallback(
        app,
        stkCallbackBody({
          checkoutRequestId: second.attempts[0].checkoutRequestId!,
          amount: 150,
          receipt: first.receipt!,
        }),
      );
      return {
        payment: second,
        exception: await exceptionFor({ paymentId: second.id }, "duplicate_receipt"),
      };
    },
    /**
     * 254708000014: the push is accepted but never answered, so the payment is unknown and we never
     * learn its CheckoutRequestID; the prompt still pays, and its callback arrives as an orphan.
     * Give each hung payment of a test file its own amount: the amount tells their orphans apart.
     */
    async hung(amount: number): Promise<{
      payment: PaymentView;
      exception: PaymentException;
      orphan: PaymentException;
      checkoutRequestId: string;
    }> {
      const started = await pay(PHONES.hangs, amount);
      const payment = await settled(started.id, "unknown");
      const exception = await exceptionFor({ paymentId: payment.id }, "unknown_outcome");
      const orphan = await waitFor(
        async () => {
          const rows = await db
            .select()
            .from(exceptions)
            .where(
              and(eq(exceptions.type, "orphan_callback"), eq(exceptions.amountAtStakeKes, amount)),
            );
          return rows[0];
        },
        6000,
        "the hung prompt's orphan callback",
      );
      return {
        payment,
        exception,
        orphan,
        checkoutRequestId: (orphan.details as { checkoutRequestId: string }).checkoutRequestId,
      };
    },
    /** Statement and C2B exceptions come from reconciliation, opened through the same door. */
    statement(type: ExceptionType, amount = 300) {
      const receipt = newReceipt();
      return openException(db, SYSTEM_ACTOR, {
        type,
        dedupeKey: `${type}:${receipt}`,
        summary: `test ${type}`,
        receipt,
        amountAtStakeKes: amount,
      }).then(async (id) => (await db.select().from(exceptions).where(eq(exceptions.id, id!)))[0]);
    },
  };
}
