// unknown_outcome made by a hung push (254708000014): re-query refused without a CheckoutRequestID,
// mark expired, and "mark paid offline" — which only takes effect when a second finance user approves.
import { and, eq } from "drizzle-orm";
import { exceptions, payments, receipts, staffAudit } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { FAST_FLOWS, flows, newReceipt } from "../../../tests/support/exception-flows";
import { actorFor, makeUser } from "../../../tests/support/factories";
import type { StaffActor } from "./case.server";
import { parseResolveInput } from "./resolve-input";
import { resolveException } from "./resolve.server";

let app: TestApp;
let alice: StaffActor; // finance, proposes
let bob: StaffActor; // finance, approves
let admin: StaffActor;
let f: ReturnType<typeof flows>;
let hung: Awaited<ReturnType<ReturnType<typeof flows>["hung"]>>[];

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  alice = actorFor(await makeUser(app.ctx, "finance", { name: "Alice Finance" }));
  bob = actorFor(await makeUser(app.ctx, "finance", { name: "Bob Finance" }));
  admin = actorFor(await makeUser(app.ctx, "admin"));
  f = flows(app, actorFor(await makeUser(app.ctx, "support")));
  // Hung pushes each cost the Daraja timeout, so they are made together (amounts tell them apart).
  hung = await Promise.all([201, 202, 203, 204, 205, 206].map((amount) => f.hung(amount)));
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

describe("an unknown outcome", () => {
  it("cannot be re-queried when M-Pesa never gave us the CheckoutRequestID", async () => {
    const { exception } = hung[0];
    await expect(
      act(alice, exception.id, { intent: "requery", note: "What happened?" }),
    ).rejects.toMatchObject({ code: "cannot_query", status: 409 });
    expect((await exceptionRow(exception.id)).status).toBe("open");
  });

  it("can be marked expired (unknown → expired), and then only reopened", async () => {
    const { payment, exception } = hung[1];
    await expect(
      act(alice, exception.id, { intent: "acknowledge", note: "nothing to do" }),
    ).rejects.toMatchObject({ code: "still_unknown" });
    await act(alice, exception.id, {
      intent: "mark_expired",
      note: "Customer says they never saw a prompt",
    });
    expect((await paymentRow(payment.id)).status).toBe("expired");
    await expect(
      act(bob, exception.id, { intent: "mark_paid_offline", receipt: newReceipt(), note: "late" }),
    ).rejects.toMatchObject({ code: "already_resolved" });
  });
});

describe("mark paid offline (four-eyes)", () => {
  it("waits for a second finance user: the proposer cannot approve, the other one can", async () => {
    const { payment, exception, orphan } = hung[2];
    // The portal shows the customer's receipt: the same money that arrived as an orphan callback.
    const receipt = orphan.receipt!;
    const proposed = await act(alice, exception.id, {
      intent: "mark_paid_offline",
      receipt: receipt.toLowerCase(),
      note: "Portal shows the payment at 10:02",
    });
    expect(proposed).toMatchObject({
      status: "awaiting_approval",
      message: expect.stringMatching(/different finance user must approve/),
    });
    expect(await exceptionRow(exception.id)).toMatchObject({
      status: "awaiting_approval",
      proposedResolution: "mark_paid_offline",
      proposedByUserId: alice.userId,
      proposedData: { receipt, note: "Portal shows the payment at 10:02" },
    });
    expect((await paymentRow(payment.id)).status).toBe("unknown");

    await expect(
      act(alice, exception.id, { intent: "approve", note: "approving my own" }),
    ).rejects.toMatchObject({ code: "four_eyes", status: 403 });
    await expect(
      act(bob, exception.id, { intent: "mark_expired", note: "skip it" }),
    ).rejects.toMatchObject({ code: "awaiting_approval", status: 409 });
    expect((await paymentRow(payment.id)).status).toBe("unknown");

    await act(bob, exception.id, { intent: "approve", note: "Checked the portal too" });
    expect(await paymentRow(payment.id)).toMatchObject({
      status: "paid",
      receipt,
      receiptPending: false,
    });
    expect((await receiptRow(receipt)).paymentId).toBe(payment.id); // the orphan's unowned receipt row, now linked
    expect(await exceptionRow(exception.id)).toMatchObject({
      status: "resolved",
      resolution: "mark_paid_offline",
      resolvedByUserId: alice.userId,
      approvedByUserId: bob.userId,
      resolutionNote: expect.stringContaining("Approved by Bob Finance: Checked the portal too"),
    });
    expect((await auditOf(exception.id)).map((a) => [a.action, a.actorUserId])).toEqual([
      ["exception.propose_mark_paid_offline", alice.userId],
      ["exception.mark_paid_offline", bob.userId],
    ]);
  });

  it("creates the receipt row when the receipt was only ever seen in the portal; an admin may approve", async () => {
    const { payment, exception } = hung[3];
    const receipt = newReceipt();
    await act(bob, exception.id, {
      intent: "mark_paid_offline",
      receipt,
      note: "Paid by the customer's brother",
    });
    await act(admin, exception.id, { intent: "approve", note: "Confirmed" });
    expect(await receiptRow(receipt)).toMatchObject({
      paymentId: payment.id,
      amountKes: 204,
      firstSource: "manual",
    });
    expect((await paymentRow(payment.id)).status).toBe("paid");
  });

  it("is sent back by a rejection, or withdrawn by its proposer, leaving the payment as it was", async () => {
    const { payment, exception } = hung[4];
    await act(alice, exception.id, {
      intent: "mark_paid_offline",
      receipt: newReceipt(),
      note: "I think it was paid",
    });
    await act(bob, exception.id, { intent: "reject", note: "That receipt is for another shop" });
    expect(await exceptionRow(exception.id)).toMatchObject({
      status: "open",
      proposedResolution: null,
      proposedByUserId: null,
    });
    await act(alice, exception.id, {
      intent: "mark_paid_offline",
      receipt: newReceipt(),
      note: "Second try",
    });
    const withdrawn = await act(alice, exception.id, {
      intent: "reject",
      note: "Wrong receipt, sorry",
    });
    expect(withdrawn.message).toMatch(/withdrawn/);
    expect((await paymentRow(payment.id)).status).toBe("unknown");
    expect((await auditOf(exception.id)).map((a) => a.action)).toEqual([
      "exception.propose_mark_paid_offline",
      "exception.reject",
      "exception.propose_mark_paid_offline",
      "exception.reject",
    ]);
  });

  it("refuses a receipt another payment owns, a receipt for another amount, and a malformed one", async () => {
    const { exception } = hung[5];
    const other = hung[2].orphan.receipt!; // now the receipt of the payment approved above
    await expect(
      act(alice, exception.id, { intent: "mark_paid_offline", receipt: other, note: "this one?" }),
    ).rejects.toMatchObject({ code: "receipt_taken", field: "receipt" });
    const stranger = await f.orphan(999);
    await expect(
      act(alice, exception.id, {
        intent: "mark_paid_offline",
        receipt: stranger.receipt,
        note: "this one?",
      }),
    ).rejects.toMatchObject({ code: "receipt_amount" });
    await expect(
      act(alice, exception.id, { intent: "mark_paid_offline", receipt: "12", note: "this one?" }),
    ).rejects.toMatchObject({ status: 400, field: "receipt" });
  });
});

describe("the hung push's orphan", () => {
  it("links to its unknown payment, which becomes paid; the unknown outcome closes with it (one fact, one case)", async () => {
    const { payment, exception, orphan } = hung[5];
    await act(alice, orphan.id, {
      intent: "link_to_payment",
      paymentRef: payment.id,
      note: "Same phone, same amount, same minute",
    });
    expect(await paymentRow(payment.id)).toMatchObject({ status: "paid", receipt: orphan.receipt });
    expect(await exceptionRow(exception.id)).toMatchObject({
      status: "resolved",
      resolution: "link_to_payment",
    });
  });
});
