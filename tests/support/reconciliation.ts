// Payments made through the real flow (initiatePayment → simulator → callback route) and statement files
// that describe them, for the reconciliation tests.
import { eq } from "drizzle-orm";
import type { AppContext } from "../../app/context.server";
import type { Actor } from "../../app/modules/auth/staff-audit.server";
import { applyStkEvidence } from "../../app/modules/ledger/payments.server";
import { POLLER_ACTOR } from "../../app/modules/ledger/events.server";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { getPaymentView, type PaymentView } from "../../app/modules/payments/queries.server";
import { importStatement } from "../../app/modules/reconciliation/import.server";
import { exceptions, statementLines } from "../../db/schema";
import { waitFor, type TestApp } from "./app";
import { PHONES } from "./factories";
import {
  buildStatementCsv,
  type StatementFileOptions,
  type StatementFixtureLine,
} from "./statement-file";

let refCounter = 0;
/** A short order reference whose AccountReference (letters and digits, 12 at most) is unique in the file. */
export function shortRef(prefix = "INV"): string {
  refCounter += 1;
  return `${prefix}-${process.pid % 1000}${String(refCounter).padStart(3, "0")}`;
}

export async function paymentInStatus(
  app: TestApp,
  actor: Actor,
  status: PaymentView["status"],
  input: { orderRef?: string; amount?: number; phone?: string } = {},
): Promise<PaymentView> {
  const created = await initiatePayment(
    app.ctx,
    {
      orderRef: input.orderRef ?? shortRef(),
      amount: input.amount ?? 100,
      phone: input.phone ?? PHONES.pays,
    },
    actor,
  );
  return waitFor(
    async () => {
      const view = await getPaymentView(app.ctx.db, created.id);
      return view?.status === status ? view : null;
    },
    8000,
    `payment ${status}`,
  );
}

export const paidPayment = (
  app: TestApp,
  actor: Actor,
  input: { orderRef?: string; amount?: number; phone?: string } = {},
) => paymentInStatus(app, actor, "paid", { phone: PHONES.pays, ...input });

export const pendingPayment = (
  app: TestApp,
  actor: Actor,
  input: { orderRef?: string; amount?: number; phone?: string } = {},
) => paymentInStatus(app, actor, "pending", { phone: PHONES.neverResolves, ...input });

/** Paid according to STK Query with no callback (receipt pending), through the single writer as the poller would. */
export async function receiptPendingPayment(
  app: TestApp,
  actor: Actor,
  input: { orderRef?: string; amount?: number } = {},
): Promise<PaymentView> {
  const pending = await paymentInStatus(app, actor, "pending", {
    phone: PHONES.lostCallback,
    ...input,
  });
  await app.ctx.db.transaction((tx) =>
    applyStkEvidence(tx, POLLER_ACTOR, {
      attemptId: pending.attempts[0].id,
      now: app.ctx.now(),
      evidence: {
        source: "query",
        outcome: "paid",
        resultCode: "0",
        resultDesc: "The service request is processed successfully.",
        receipt: null,
        amountKes: null,
      },
    }),
  );
  return (await getPaymentView(app.ctx.db, pending.id))!;
}

/** `2547****5678` as the statement masks it. */
export const statementMask = (msisdn: string) => `${msisdn.slice(0, 4)}****${msisdn.slice(-4)}`;

/** The statement line M-Pesa would print for a paid payment. */
export function lineFor(
  payment: PaymentView,
  overrides: Partial<StatementFixtureLine> = {},
): StatementFixtureLine {
  const receipt = payment.receipts[0];
  return {
    receipt: receipt?.receipt ?? payment.receipt ?? "",
    completedAt: new Date(receipt?.transactionAt ?? payment.paidAt ?? payment.createdAt),
    amountKes: payment.amount,
    msisdn: statementMask(payment.phone),
    accountNo: payment.accountReference,
    ...overrides,
  };
}

let receiptCounter = 0;
/** A receipt no one has seen: same shape as M-Pesa's, unique per test process. */
export function freshReceipt(): string {
  receiptCounter += 1;
  return `TZ${(process.pid % 10_000).toString(36).toUpperCase().padStart(3, "0")}${receiptCounter.toString(36).toUpperCase().padStart(5, "0")}`.slice(
    0,
    10,
  );
}

export async function importLines(
  ctx: AppContext,
  actor: Actor,
  lines: StatementFixtureLine[],
  options: Partial<StatementFileOptions> = {},
) {
  const csv = buildStatementCsv({ preamble: false, ...options, lines });
  return importStatement(ctx, {
    fileName: options.layout === "legacy11" ? "legacy.csv" : "statement.csv",
    input: Buffer.from(csv),
    actor,
  });
}

export async function lineByReceipt(ctx: AppContext, receipt: string) {
  const rows = await ctx.db
    .select()
    .from(statementLines)
    .where(eq(statementLines.receipt, receipt));
  return rows[0];
}

export async function exceptionsFor(ctx: AppContext, receipt: string) {
  return ctx.db.select().from(exceptions).where(eq(exceptions.receipt, receipt));
}
