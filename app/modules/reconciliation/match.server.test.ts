// Statement matching with payments made through the real flow (simulator → callback route): each
// outcome — matched, amount/time mismatch, proposal + confirmation, statement_only,
// missing_from_statement, receipt-pending payment completed, failed rows skipped (reversals:
// reversals.server.test.ts).
import { eq } from "drizzle-orm";
import { receipts, staffAudit, stkAttempts } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, PHONES } from "../../../tests/support/factories";
import {
  exceptionsFor,
  freshReceipt,
  importLines,
  lineByReceipt,
  lineFor,
  paidPayment,
  paymentInStatus,
  pendingPayment,
  receiptPendingPayment,
  shortRef,
  statementMask,
} from "../../../tests/support/reconciliation";
import type { Actor } from "../auth/staff-audit.server";
import { getPaymentView } from "../payments/queries.server";
import { confirmProposedMatch } from "./proposals.server";

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

describe("a line whose receipt a payment owns", () => {
  it("is matched when amount and time agree, and the payment's page names the statement as a witness", async () => {
    const payment = await paidPayment(app, support, { amount: 1250 });
    const sources = async () =>
      (await getPaymentView(app.ctx.db, payment.id))?.receipts.map((r) => r.sources);
    // Another statement's line (of another month) is not this receipt's witness.
    await importLines(app.ctx, finance, [
      { receipt: "SBX7UNREL1", completedAt: new Date("2024-01-05T10:00:00Z"), amountKes: 77 },
    ]);
    expect(await sources()).toEqual([["callback"]]);
    const result = await importLines(app.ctx, finance, [lineFor(payment)]);
    expect(result.summary.match).toMatchObject({
      matched: 1,
      exceptions: 0,
      missingFromStatement: 0,
    });
    expect(await lineByReceipt(app.ctx, payment.receipt!)).toMatchObject({
      matchState: "matched",
      paymentId: payment.id,
    });
    const [ledger] = await app.ctx.db
      .select()
      .from(receipts)
      .where(eq(receipts.receipt, payment.receipt!));
    expect(ledger).toMatchObject({ seenInCallback: true, paymentId: payment.id, amountKes: 1250 });
    // The payment's page names the statement among the receipt's witnesses.
    expect(await sources()).toEqual([["callback", "statement"]]);
  });

  it("is not named a witness by a Completed line of the same receipt that paid nothing in", async () => {
    const payment = await paidPayment(app, support, { amount: 640 });
    await importLines(app.ctx, finance, [lineFor(payment, { amountKes: 0 })]);
    expect(await lineByReceipt(app.ctx, payment.receipt!)).toMatchObject({ matchState: "skipped" });
    const view = await getPaymentView(app.ctx.db, payment.id);
    expect(view?.receipts.map((r) => r.sources)).toEqual([["callback"]]);
  });

  it("opens amount_mismatch with both witnesses when the statement shows another amount", async () => {
    const payment = await paidPayment(app, support, { amount: 500 });
    await importLines(app.ctx, finance, [lineFor(payment, { amountKes: 50 })]);
    expect(await lineByReceipt(app.ctx, payment.receipt!)).toMatchObject({
      matchState: "exception",
      paymentId: payment.id,
    });
    const [x] = await exceptionsFor(app.ctx, payment.receipt!);
    expect(x).toMatchObject({
      type: "amount_mismatch",
      paymentId: payment.id,
      amountAtStakeKes: 50,
    });
    expect(x.details).toMatchObject({ statement: { amountKes: 50 }, payment: { amountKes: 500 } });
  });

  it("opens time_mismatch when the statement time is more than five minutes from the callback's", async () => {
    const payment = await paidPayment(app, support);
    const line = lineFor(payment);
    await importLines(app.ctx, finance, [{ ...line, completedAt: minutes(line.completedAt, 10) }]);
    const [x] = await exceptionsFor(app.ctx, payment.receipt!);
    expect(x).toMatchObject({ type: "time_mismatch", paymentId: payment.id });
    expect(x.summary).toMatch(/10 minutes/);
    expect(x.details).toMatchObject({
      receipt: { transactionAt: payment.receipts[0].transactionAt },
    });
  });

  it("accepts a time four minutes off", async () => {
    const payment = await paidPayment(app, support);
    const line = lineFor(payment);
    await importLines(app.ctx, finance, [{ ...line, completedAt: minutes(line.completedAt, 4) }]);
    expect((await lineByReceipt(app.ctx, payment.receipt!)).matchState).toBe("matched");
  });
});

describe("a line no payment owns", () => {
  it("is proposed for the one open payment with its account reference, amount and phone, and confirmed with one click", async () => {
    const payment = await pendingPayment(app, support, { amount: 730 });
    const receipt = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 730,
        msisdn: statementMask(payment.phone),
        accountNo: ` ${payment.accountReference.toLowerCase()} `,
      },
    ]);
    expect(result.summary.match).toMatchObject({ proposed: 1, matched: 0 });
    const line = await lineByReceipt(app.ctx, receipt);
    expect(line).toMatchObject({
      matchState: "proposed",
      proposedPaymentId: payment.id,
      paymentId: null,
    });
    // Never applied without a person.
    expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("pending");

    const confirmed = await confirmProposedMatch(app.ctx, line.id, finance);
    expect(confirmed).toMatchObject({ paymentId: payment.id, receipt, outcome: "paid" });
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after).toMatchObject({ status: "paid", receipt, receiptPending: false });
    expect(after.paidAt).toBe(line.completedAt!.toISOString());
    expect(after.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(["statement_match", "status_changed"]),
    );
    expect(
      after.timeline.find((e) => e.type === "status_changed" && e.summary.includes("paid"))?.actor,
    ).toBe("Fiona Finance");
    const [attempt] = await app.ctx.db
      .select()
      .from(stkAttempts)
      .where(eq(stkAttempts.paymentId, payment.id));
    expect(attempt).toMatchObject({ status: "paid", receipt, nextPollAt: null });
    expect((await lineByReceipt(app.ctx, receipt)).matchState).toBe("matched");
    const audit = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(eq(staffAudit.entityId, String(line.id)));
    expect(audit).toEqual([
      expect.objectContaining({ action: "statement.confirm_match", actorUserId: finance.userId }),
    ]);

    await expect(confirmProposedMatch(app.ctx, line.id, finance)).rejects.toMatchObject({
      status: 409,
      code: "not_proposed",
    });
  });

  it("proposes an expired payment too, and finance's confirmation makes it paid", async () => {
    const payment = await paymentInStatus(app, support, "expired", {
      phone: PHONES.unreachable,
      amount: 310,
    });
    const receipt = freshReceipt();
    await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 310,
        msisdn: statementMask(PHONES.unreachable),
        accountNo: "",
      },
    ]);
    const line = await lineByReceipt(app.ctx, receipt);
    expect(line).toMatchObject({ matchState: "proposed", proposedPaymentId: payment.id });
    await confirmProposedMatch(app.ctx, line.id, finance);
    expect((await getPaymentView(app.ctx.db, payment.id))!).toMatchObject({
      status: "paid",
      receipt,
    });
  });

  it("is statement_only when no payment fits", async () => {
    const receipt = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 98_765,
        msisdn: "2547****1111",
        accountNo: "NOBODY-1",
      },
    ]);
    expect(result.summary.match).toMatchObject({
      exceptions: 1,
      exceptionsByType: { statement_only: 1 },
    });
    const line = await lineByReceipt(app.ctx, receipt);
    expect(line).toMatchObject({
      matchState: "exception",
      paymentId: null,
      proposedPaymentId: null,
    });
    const [x] = await exceptionsFor(app.ctx, receipt);
    expect(x).toMatchObject({
      type: "statement_only",
      statementLineId: line.id,
      amountAtStakeKes: 98_765,
      paymentId: null,
    });
    // The money is in the ledger, owned by no one, for a later callback or a person to place.
    const [ledger] = await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, receipt));
    expect(ledger).toMatchObject({
      firstSource: "statement",
      paymentId: null,
      billRefRaw: "NOBODY-1",
      msisdnKind: "masked",
    });
  });

  it("proposes nothing when two payments fit equally (statement_only lists them)", async () => {
    const ref = shortRef("DUP");
    const first = await pendingPayment(app, support, { orderRef: ref, amount: 420 });
    const second = await pendingPayment(app, support, {
      orderRef: `${ref}.`,
      amount: 420,
      phone: PHONES.neverResolves,
    });
    expect(second.accountReference).toBe(first.accountReference);
    const receipt = freshReceipt();
    await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 420,
        msisdn: statementMask(PHONES.neverResolves),
        accountNo: first.accountReference,
      },
    ]);
    const [x] = await exceptionsFor(app.ctx, receipt);
    expect(x.type).toBe("statement_only");
    expect(
      (x.details as { ambiguousCandidates: { paymentId: string }[] }).ambiguousCandidates
        .map((c) => c.paymentId)
        .sort(),
    ).toEqual([first.id, second.id].sort());
  });

  it("gives a paid payment whose receipt was pending its receipt", async () => {
    const payment = await receiptPendingPayment(app, support, { amount: 640 });
    expect(payment).toMatchObject({ status: "paid", receipt: null, receiptPending: true });
    const receipt = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 640,
        msisdn: statementMask(payment.phone),
        accountNo: payment.accountReference,
      },
    ]);
    expect(result.summary.match).toMatchObject({
      matched: 1,
      receiptsAttached: 1,
      missingFromStatement: 0,
    });
    const after = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(after).toMatchObject({ status: "paid", receipt, receiptPending: false });
    expect(after.receipts).toEqual([expect.objectContaining({ receipt, sources: ["statement"] })]);
    expect(after.timeline.map((e) => e.type)).toContain("receipt_attached");
    expect(await lineByReceipt(app.ctx, receipt)).toMatchObject({
      matchState: "matched",
      paymentId: payment.id,
    });
  });
  it("clears the missing_from_statement case of a payment whose receipt a later statement brings", async () => {
    const pending = await receiptPendingPayment(app, support, { amount: 720 });
    const other = await paidPayment(app, support, { amount: 150 });
    const otherLine = lineFor(other);
    await importLines(app.ctx, finance, [otherLine], {
      preamble: true,
      from: minutes(new Date(), -30),
      to: minutes(new Date(), 1),
    });
    const [x] = (await getPaymentView(app.ctx.db, pending.id))!.openExceptions;
    expect(x).toMatchObject({ type: "missing_from_statement", amountAtStake: 720 });

    const receipt = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 720,
        msisdn: statementMask(pending.phone),
        accountNo: pending.accountReference,
      },
    ]);
    expect(result.summary.match).toMatchObject({ receiptsAttached: 1 });
    const after = (await getPaymentView(app.ctx.db, pending.id))!;
    expect(after).toMatchObject({ receipt, receiptPending: false, openExceptions: [] });
  });
});

describe("statement-wide checks", () => {
  it("flags a paid payment inside the period with no line as missing_from_statement, and a later statement clears it", async () => {
    const shown = await paidPayment(app, support, { amount: 150 });
    const missing = await paidPayment(app, support, { amount: 160 });
    const shownLine = lineFor(shown);
    const result = await importLines(app.ctx, finance, [shownLine], {
      preamble: true,
      from: shownLine.completedAt,
      to: minutes(new Date(missing.receipts[0].transactionAt!), 1),
    });
    expect(result.summary.match).toMatchObject({ matched: 1, missingFromStatement: 1 });
    const [x] = (await getPaymentView(app.ctx.db, missing.id))!.openExceptions;
    expect(x).toMatchObject({ type: "missing_from_statement", amountAtStake: 160 });
    expect((await getPaymentView(app.ctx.db, shown.id))!.openExceptions).toEqual([]);

    await importLines(app.ctx, finance, [lineFor(missing)]);
    expect((await getPaymentView(app.ctx.db, missing.id))!.openExceptions).toEqual([]);
  });

  it("stores Failed rows as skipped and books nothing from them", async () => {
    const payment = await pendingPayment(app, support, { amount: 270 });
    const receipt = freshReceipt();
    const result = await importLines(app.ctx, finance, [
      {
        receipt,
        completedAt: new Date(),
        amountKes: 270,
        status: "Failed",
        msisdn: statementMask(payment.phone),
        accountNo: payment.accountReference,
      },
    ]);
    expect(result.summary).toMatchObject({ lines: 1, failed: 1 });
    expect(await lineByReceipt(app.ctx, receipt)).toMatchObject({
      matchState: "skipped",
      transactionStatus: "Failed",
      proposedPaymentId: null,
    });
    expect(await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, receipt))).toEqual(
      [],
    );
    expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("pending");
  });
});
