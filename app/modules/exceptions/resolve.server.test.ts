// Resolving exceptions made by the real flows (simulator phones, callbacks through the hook): what
// each fitting action does to the payment, the receipt, the audit and the timeline, and the refusals.
import { and, eq } from "drizzle-orm";
import {
  exceptions,
  EXCEPTION_TYPES,
  paymentEvents,
  payments,
  rawCallbacks,
  receipts,
  staffAudit,
} from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { FAST_FLOWS, flows } from "../../../tests/support/exception-flows";
import { actorFor, makeUser } from "../../../tests/support/factories";
import { EXCEPTION_ACTIONS, TYPE_ACTIONS } from "./actions";
import type { StaffActor } from "./case.server";
import { parseResolveInput } from "./resolve-input";
import { resolveException } from "./resolve.server";

let app: TestApp;
let finance: StaffActor;
let support: StaffActor;
let f: ReturnType<typeof flows>;

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  finance = actorFor(await makeUser(app.ctx, "finance"));
  support = actorFor(await makeUser(app.ctx, "support"));
  f = flows(app, support);
});
afterAll(async () => app?.close());

// As the route does: the form's fields parsed first, then the domain with typed input.
const act = async (actor: StaffActor, id: string, input: Record<string, string>) =>
  resolveException(app.ctx, actor, id, parseResolveInput(input));
const paymentRow = async (id: string) =>
  (await app.ctx.db.select().from(payments).where(eq(payments.id, id)))[0];
const exceptionRow = async (id: string) =>
  (await app.ctx.db.select().from(exceptions).where(eq(exceptions.id, id)))[0];
const receiptRow = async (receipt: string) =>
  (await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, receipt)))[0];
const auditOf = (id: string) =>
  app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.entityType, "exception"), eq(staffAudit.entityId, id)));
const eventsOf = (paymentId: string, type: string) =>
  app.ctx.db
    .select()
    .from(paymentEvents)
    .where(and(eq(paymentEvents.paymentId, paymentId), eq(paymentEvents.type, type)));

describe("late success, wrong amount, double payment", () => {
  it("accepts a late success as paid with the exception's receipt, audited and on the timeline", async () => {
    const { payment, exception } = await f.lateSuccess();
    const result = await act(finance, exception.id, {
      intent: "accept_paid",
      note: "Customer showed the SMS; order ships",
    });
    expect(result).toMatchObject({
      status: "resolved",
      message: expect.stringContaining(exception.receipt!),
    });
    expect(await paymentRow(payment.id)).toMatchObject({
      status: "paid",
      receipt: exception.receipt,
      receiptPending: false,
    });
    expect(await exceptionRow(exception.id)).toMatchObject({
      status: "resolved",
      resolution: "accept_paid",
      resolvedByUserId: finance.userId,
      resolutionNote: "Customer showed the SMS; order ships",
    });
    expect(await auditOf(exception.id)).toEqual([
      expect.objectContaining({
        action: "exception.accept_paid",
        actorUserId: finance.userId,
        note: "Customer showed the SMS; order ships",
      }),
    ]);
    expect(await eventsOf(payment.id, "exception_resolved")).toHaveLength(1);
    expect((await eventsOf(payment.id, "status_changed")).at(-1)).toMatchObject({
      actorUserId: finance.userId,
      summary: expect.stringContaining("expired → paid"),
    });
  });

  it("records a refund of money never booked on its receipt, and needs the portal's reversal ID", async () => {
    const { payment, exception } = await f.lateSuccess(151);
    await expect(
      act(finance, exception.id, { intent: "mark_refunded", note: "reversed" }),
    ).rejects.toMatchObject({ status: 400, field: "reversalRef" });
    await act(finance, exception.id, {
      intent: "mark_refunded",
      note: "Reversed in the portal",
      reversalRef: "tce9rv0001",
    });
    expect((await receiptRow(exception.receipt!)).reversedByReceipt).toBe("TCE9RV0001");
    expect((await paymentRow(payment.id)).status).toBe("expired");
  });

  it("accepts the wrong amount as paid, saying what was received", async () => {
    const { payment, exception } = await f.wrongAmount(500);
    const result = await act(finance, exception.id, {
      intent: "accept_paid",
      note: "Close enough; customer agreed",
    });
    expect(result.message).toMatch(/KES 499 received for KES 500 requested/);
    expect(await paymentRow(payment.id)).toMatchObject({
      status: "paid",
      receipt: exception.receipt,
    });
  });

  it("marks an unknown payment failed once its wrong-amount money is reversed", async () => {
    const { payment, exception } = await f.wrongAmount(501);
    await act(finance, exception.id, {
      intent: "mark_refunded",
      note: "Sent back",
      reversalRef: "TCE9RV0002",
    });
    expect((await paymentRow(payment.id)).status).toBe("failed");
    expect((await receiptRow(exception.receipt!)).reversedByReceipt).toBe("TCE9RV0002");
  });

  it("keeps both sums of a double payment, or refunds the second without touching the first", async () => {
    const kept = await f.doublePayment(152);
    await act(finance, kept.exception.id, {
      intent: "accept_paid",
      note: "Customer asked us to keep it as credit",
    });
    expect((await paymentRow(kept.payment.id)).status).toBe("paid");
    expect((await receiptRow(kept.receipt)).paymentId).toBe(kept.payment.id);
    expect((await auditOf(kept.exception.id))[0].after).toMatchObject({
      keptReceipts: [kept.payment.receipt, kept.receipt],
    });

    const refunded = await f.doublePayment(153);
    await act(finance, refunded.exception.id, {
      intent: "mark_refunded",
      note: "Second charge reversed",
      reversalRef: "TCE9RV0003",
    });
    expect(await paymentRow(refunded.payment.id)).toMatchObject({
      status: "paid",
      receipt: refunded.payment.receipt,
    });
    expect((await receiptRow(refunded.receipt)).reversedByReceipt).toBe("TCE9RV0003");

    // Known only from STK Query, the case names no receipt: refunding it leaves the first sum too.
    const queried = await f.doublePayment(155);
    const { id } = queried.exception;
    await app.ctx.db.update(exceptions).set({ receipt: null }).where(eq(exceptions.id, id));
    await act(finance, id, {
      intent: "mark_refunded",
      note: "Reversed",
      reversalRef: "TCE9RV0005",
    });
    expect((await paymentRow(queried.payment.id)).status).toBe("paid");
  });

  it("refunds a booked payment (paid → refunded) after the acceptance is reopened", async () => {
    const { exception, payment } = await f.lateSuccess(154);
    await act(finance, exception.id, { intent: "accept_paid", note: "accept" });
    await act(finance, exception.id, {
      intent: "reopen",
      note: "Customer now wants the money back",
    });
    expect((await paymentRow(payment.id)).status).toBe("paid"); // reopening does not undo the money
    await act(finance, exception.id, {
      intent: "mark_refunded",
      note: "Refunded after all",
      reversalRef: "TCE9RV0004",
    });
    expect((await paymentRow(payment.id)).status).toBe("refunded");
  });

  it("writes off without changing the payment", async () => {
    const { payment, exception } = await f.wrongAmount(502);
    await act(finance, exception.id, {
      intent: "write_off",
      note: "One shilling; not worth chasing",
    });
    expect((await paymentRow(payment.id)).status).toBe("unknown");
    expect((await exceptionRow(exception.id)).resolution).toBe("write_off");
  });
});

describe("orphan callbacks", () => {
  it("links an orphan's money to the payment it belongs to, found by order reference", async () => {
    const cancelled = await f.pay("254708000002", 160);
    await f.settled(cancelled.id, "cancelled");
    const { exception, receipt, raw } = await f.orphan(160);
    const result = await act(finance, exception.id, {
      intent: "link_to_payment",
      paymentRef: cancelled.orderRef,
      note: "Customer's SMS matches this order",
    });
    expect(result.message).toMatch(/paid with receipt/);
    expect(await paymentRow(cancelled.id)).toMatchObject({ status: "paid", receipt });
    expect((await receiptRow(receipt)).paymentId).toBe(cancelled.id);
    expect(await exceptionRow(exception.id)).toMatchObject({
      status: "resolved",
      paymentId: cancelled.id,
    });
    expect(
      (await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, raw.id)))[0]
        .paymentId,
    ).toBe(cancelled.id);
  });

  it("opens a wrong-amount exception instead of paying when the linked sums differ", async () => {
    const cancelled = await f.pay("254708000002", 161);
    await f.settled(cancelled.id, "cancelled");
    const { exception } = await f.orphan(99);
    await act(finance, exception.id, {
      intent: "link_to_payment",
      paymentRef: cancelled.id,
      note: "Same phone",
    });
    expect((await paymentRow(cancelled.id)).status).toBe("cancelled");
    await f.exceptionFor({ paymentId: cancelled.id }, "amount_mismatch");
  });

  it("refuses an unknown payment reference, and marks a stranger's callback not ours", async () => {
    const { exception } = await f.orphan(162);
    await expect(
      act(finance, exception.id, {
        intent: "link_to_payment",
        paymentRef: "NO-SUCH-ORDER",
        note: "try",
      }),
    ).rejects.toMatchObject({ code: "payment_not_found", field: "paymentRef" });
    await act(finance, exception.id, {
      intent: "not_ours",
      note: "Another merchant's shortcode in the body",
    });
    expect((await exceptionRow(exception.id)).resolution).toBe("not_ours");
  });
});

describe("conflicting witnesses", () => {
  it("re-queries M-Pesa and records the answer without resolving", async () => {
    const { payment, exception } = await f.conflicting();
    const result = await act(finance, exception.id, {
      intent: "requery",
      note: "Which one is true?",
    });
    expect(result).toMatchObject({
      status: "open",
      message: expect.stringContaining("ResultCode 0"),
    });
    const row = await exceptionRow(exception.id);
    expect((row.details as { requeries: unknown[] }).requeries).toEqual([
      expect.objectContaining({ kind: "final", resultCode: "0", by: finance.label }),
    ]);
    expect((await eventsOf(payment.id, "query")).at(-1)).toMatchObject({
      actorUserId: finance.userId,
      summary: expect.stringContaining("re-query"),
    });
  });

  it("chooses the failure: a paid payment becomes cancelled as the 1032 said", async () => {
    const { payment, exception } = await f.conflicting();
    await act(finance, exception.id, {
      intent: "choose_outcome",
      outcome: "failed",
      note: "Spoofed success; the portal shows no money",
    });
    expect(await paymentRow(payment.id)).toMatchObject({ status: "cancelled", resultCode: "1032" });
  });

  it("keeps a paid payment when the query disagrees and finance trusts the receipt", async () => {
    const { payment, exception } = await f.queryDisagrees();
    expect(
      (await act(finance, exception.id, { intent: "requery", note: "Ask again" })).message,
    ).toMatch(/ResultCode 0/);
    await act(finance, exception.id, {
      intent: "choose_outcome",
      outcome: "paid",
      note: "Receipt is in the portal",
    });
    expect((await paymentRow(payment.id)).status).toBe("paid");
    expect((await exceptionRow(exception.id)).resolution).toBe("choose_outcome");
    await expect(
      act(finance, exception.id, {
        intent: "choose_outcome",
        outcome: "failed",
        note: "changed my mind",
      }),
    ).rejects.toMatchObject({ code: "already_resolved" });
  });
});

describe("receipts used twice and statement exceptions", () => {
  it("acknowledges a duplicate receipt and writes off statement cases", async () => {
    const { exception } = await f.duplicateReceipt();
    await act(finance, exception.id, {
      intent: "acknowledge",
      note: "Daraja re-sent another payment's receipt",
    });
    expect((await exceptionRow(exception.id)).resolution).toBe("acknowledge");
    for (const type of [
      "statement_only",
      "missing_from_statement",
      "time_mismatch",
      "unmatched_c2b",
    ] as const) {
      const x = await f.statement(type);
      await act(finance, x.id, {
        intent: type === "time_mismatch" ? "acknowledge" : "write_off",
        note: "Checked against the bank",
      });
      expect((await exceptionRow(x.id)).status).toBe("resolved");
    }
  });
});

describe("refusals", () => {
  it("refuses every action that does not fit the type, before changing anything", async () => {
    for (const type of EXCEPTION_TYPES) {
      const x = await f.statement(type, 10);
      for (const action of EXCEPTION_ACTIONS.filter(
        (a) => !TYPE_ACTIONS[type].includes(a) && !["approve", "reject", "reopen"].includes(a),
      )) {
        await expect(
          act(finance, x.id, {
            intent: action,
            note: "trying",
            reversalRef: "TCE9RV0009",
            paymentRef: "X",
            outcome: "paid",
            receipt: "TCE9RV0009",
          }),
          `${action} on ${type}`,
        ).rejects.toMatchObject({ code: "action_not_for_type", status: 400 });
      }
      await expect(
        act(finance, x.id, { intent: "approve", note: "looks right" }),
      ).rejects.toMatchObject({ code: "no_proposal" });
      await expect(
        act(finance, x.id, { intent: "reopen", note: "look again" }),
      ).rejects.toMatchObject({ code: "not_resolved" });
      expect(await exceptionRow(x.id)).toMatchObject({ status: "open" });
      expect(await auditOf(x.id)).toEqual([]);
    }
  });

  it("needs a note and a known action, and a role that may resolve", async () => {
    const x = await f.statement("statement_only");
    await expect(act(finance, x.id, { intent: "write_off" })).rejects.toMatchObject({
      status: 400,
      field: "note",
    });
    await expect(act(finance, x.id, { intent: "write_off", note: "  " })).rejects.toMatchObject({
      field: "note",
    });
    await expect(act(finance, x.id, { intent: "delete", note: "gone" })).rejects.toMatchObject({
      field: "intent",
    });
    await expect(
      act(support, x.id, { intent: "write_off", note: "I am support" }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(
      act(finance, "00000000-0000-0000-0000-000000000000", { intent: "write_off", note: "x y z" }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("refuses to act twice on a resolved exception, and reopening (audited) allows it again", async () => {
    const x = await f.statement("unmatched_c2b");
    await act(finance, x.id, { intent: "write_off", note: "Small and old" });
    await expect(
      act(finance, x.id, { intent: "acknowledge", note: "again" }),
    ).rejects.toMatchObject({
      code: "already_resolved",
      status: 409,
      message: expect.stringMatching(/already resolved \(Write off\).*Reopen it first/),
    });
    await act(finance, x.id, { intent: "reopen", note: "Customer called about it" });
    expect(await exceptionRow(x.id)).toMatchObject({
      status: "open",
      reopenCount: 1,
      resolution: null,
      resolvedAt: null,
    });
    const audit = await auditOf(x.id);
    expect(audit.map((a) => a.action)).toEqual(["exception.write_off", "exception.reopen"]);
    expect(audit[1].before).toMatchObject({
      status: "resolved",
      resolution: "write_off",
      resolutionNote: "Small and old",
    });
    await act(finance, x.id, { intent: "acknowledge", note: "Matched by hand" });
    expect((await exceptionRow(x.id)).resolution).toBe("acknowledge");
  });
});
