// Withdrawn statement lines that reverse a receipt, with payments made through the real flow: all of
// the booked receipt's money back refunds the payment; another amount is a partial_reversal case for
// a person (the payment stays paid); a reversal of a second sum the payment holds is a note.
import { eq } from "drizzle-orm";
import { receipts, webhookEvents } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser } from "../../../tests/support/factories";
import {
  exceptionsFor,
  freshReceipt,
  importLines,
  lineByReceipt,
  lineFor,
  paidPayment,
} from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { parseResolveInput } from "../exceptions/resolve-input";
import { resolveException } from "../exceptions/resolve.server";
import { getPaymentView } from "../payments/queries.server";

let app: TestApp;
let support: Actor;
let finance: Actor & { kind: "user" };

beforeAll(async () => {
  app = await startTestApp();
  support = actorFor(await makeUser(app.ctx, "support"));
  finance = actorFor(await makeUser(app.ctx, "finance", { name: "Fiona Finance" }));
});
afterAll(async () => app?.close());

const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);

describe("a reversal line", () => {
  it("refunds the payment a reversal line points at, with an event on its timeline", async () => {
    const payment = await paidPayment(app, support, { amount: 2_500 });
    const original = lineFor(payment);
    const reversal = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      original,
      {
        receipt: reversal,
        completedAt: minutes(original.completedAt, 1),
        amountKes: 2_500,
        direction: "out",
        reasonType: "Reversal",
        msisdn: original.msisdn,
        linkedTransactionId: original.receipt,
      },
    ]);
    expect(result.summary.match).toMatchObject({ matched: 1, reversals: 1, refunded: 1 });
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after.status).toBe("refunded");
    expect(after.timeline.find((e) => e.type === "reversal")?.summary).toMatch(
      new RegExp(`${payment.receipt} reversed by ${reversal}`),
    );
    expect(
      after.timeline.some((e) => e.type === "status_changed" && /paid → refunded/.test(e.summary)),
    ).toBe(true);
    // Merchants hear of a refund found in the statement as of any other (the webhook outbox).
    const announced = await app.ctx.db
      .select({ type: webhookEvents.type })
      .from(webhookEvents)
      .where(eq(webhookEvents.paymentId, payment.id));
    expect(announced.filter((e) => e.type === "payment.refunded")).toHaveLength(1);
    const [ledger] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, payment.receipt!));
    expect(ledger.reversedByReceipt).toBe(reversal);
    expect(await lineByReceipt(app.ctx, reversal)).toMatchObject({
      matchState: "reversal",
      paymentId: payment.id,
    });
  });

  const reversalOf = (
    original: ReturnType<typeof lineFor>,
    amountKes: number,
    receipt: string,
  ) => ({
    receipt,
    completedAt: minutes(original.completedAt, 1),
    amountKes,
    direction: "out" as const,
    reasonType: "Reversal",
    msisdn: original.msisdn,
    linkedTransactionId: original.receipt,
  });

  it("keeps a payment paid when only part of its money is reversed, and asks a person in a case", async () => {
    const payment = await paidPayment(app, support, { amount: 2_500 });
    const original = lineFor(payment);
    const reversal = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      original,
      reversalOf(original, 1_000, reversal),
    ]);
    expect(result.summary.match).toMatchObject({ matched: 1, reversals: 1, refunded: 0 });
    expect(result.summary.match?.exceptionsByType).toMatchObject({ partial_reversal: 1 });
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after.status).toBe("paid");
    expect(after.timeline.find((e) => e.type === "reversal")?.summary).toMatch(
      /KES 1,000 back to the customer \(the original was KES 2,500\)/,
    );
    const [x] = await exceptionsFor(app.ctx, payment.receipt!);
    expect(x).toMatchObject({
      type: "partial_reversal",
      paymentId: payment.id,
      amountAtStakeKes: 1_000,
    });
    expect(x.summary).toContain(`reversed by ${reversal} on the statement for KES 1,000`);
    // Importing the same reversal again (another statement overlapping this one) opens nothing new;
    // a later reversal of the rest of the money is a case of its own.
    await importLines(app.ctx, finance, [reversalOf(original, 1_000, reversal)]);
    expect(await exceptionsFor(app.ctx, payment.receipt!)).toHaveLength(1);
    const rest = freshReceipt();
    await importLines(app.ctx, finance, [reversalOf(original, 1_500, rest)]);
    const cases = await exceptionsFor(app.ctx, payment.receipt!);
    expect(cases).toHaveLength(2);
    expect(cases.map((c) => c.summary)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`reversed by ${reversal}`),
        expect.stringContaining(`reversed by ${rest} on the statement for KES 1,500`),
      ]),
    );

    // Finance decides the order is cancelled: the payment is refunded, the statement's line stays
    // the receipt's recorded reversal.
    await resolveException(
      app.ctx,
      finance,
      cases[0].id,
      parseResolveInput({
        intent: "mark_refunded",
        note: "Order cancelled, the rest went back in the portal",
        reversalRef: "TCE9RV0777",
      }),
    );
    expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("refunded");
    const [ledger] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, payment.receipt!));
    expect(ledger.reversedByReceipt).toBe(reversal);
  });

  it("does not refund a payment when the reversed receipt is a second sum it holds, not the one it is booked on", async () => {
    const payment = await paidPayment(app, support, { amount: 700 });
    // A double payment whose second sum a person kept on the payment: the receipt names the payment,
    // the payment stays booked on its first receipt.
    const second = freshReceipt();
    await app.ctx.db.insert(receipts).values({
      receipt: second,
      amountKes: 700,
      paymentId: payment.id,
      firstSource: "manual",
      transactionAt: new Date(),
    });
    const secondLine = { ...lineFor(payment), receipt: second };
    const result = await importLines(app.ctx, finance, [
      reversalOf(secondLine, 700, freshReceipt()),
    ]);
    expect(result.summary.match).toMatchObject({ reversals: 1, refunded: 0 });
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after.status).toBe("paid");
    expect(after.timeline.find((e) => e.type === "reversal")?.summary).toMatch(
      /not the receipt this payment is booked on/,
    );
    const [ledger] = await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, second));
    expect(ledger.reversedByReceipt).not.toBeNull();
  });
});
