// The payments core end to end against the simulator: initiation, every callback shape the simulator
// produces, and the exceptions each contrary witness opens.
import { eq } from "drizzle-orm";
import { exceptions, rawCallbacks, receipts } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "./initiate.server";
import { resendPrompt } from "./resend.server";
import { getPaymentView } from "./queries.server";

let app: TestApp;
let actor: Actor;

beforeAll(async () => {
  app = await startTestApp({
    env: { DARAJA_TIMEOUT_MS: "1500" },
    simulator: { hangMs: 3000, lateDelayMs: 200 },
  });
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

const pay = (phone: string, amount = 150, ref = orderRef()) =>
  initiatePayment(app.ctx, { orderRef: ref, amount, phone }, actor);
const settled = (id: string, status: string) =>
  waitFor(
    async () => {
      const p = await getPaymentView(app.ctx.db, id);
      return p?.status === status ? p : null;
    },
    5000,
    `payment ${id} to become ${status}`,
  );
const exceptionsOf = (paymentId: string) =>
  app.ctx.db.select().from(exceptions).where(eq(exceptions.paymentId, paymentId));

describe("initiation", () => {
  it("commits the payment, sends the push and waits as pending with the CheckoutRequestID", async () => {
    const payment = await pay(PHONES.handset);
    expect(payment.status).toBe("pending");
    expect(payment.attempts).toHaveLength(1);
    expect(payment.attempts[0].checkoutRequestId).toMatch(/^ws_CO_/);
    expect(payment.accountReference).toMatch(/^ORD\d+/);
    expect(payment.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(["created", "push_accepted", "status_changed"]),
    );
  });

  it("refuses a wrong phone number with a message a support agent understands", async () => {
    await expect(
      initiatePayment(app.ctx, { orderRef: orderRef(), amount: 10, phone: "0612" }, actor),
    ).rejects.toMatchObject({ status: 400, field: "phone" });
  });

  it("refuses cents and amounts outside M-Pesa's limits", async () => {
    await expect(
      initiatePayment(app.ctx, { orderRef: orderRef(), amount: 10.5, phone: PHONES.pays }, actor),
    ).rejects.toMatchObject({
      field: "amount",
      message: expect.stringContaining("whole shillings"),
    });
    await expect(
      initiatePayment(
        app.ctx,
        { orderRef: orderRef(), amount: 250_001, phone: PHONES.pays },
        actor,
      ),
    ).rejects.toMatchObject({ field: "amount" });
  });

  it("gives an order with an open prompt a 409 carrying the existing payment, and a paid order too", async () => {
    const ref = orderRef();
    const first = await pay(PHONES.handset, 40, ref);
    const second = pay(PHONES.handset, 40, ref);
    await expect(second).rejects.toMatchObject({
      status: 409,
      code: "order_open",
      details: { payment: { id: first.id } },
    });

    const paidRef = orderRef();
    const paid = await pay(PHONES.pays, 41, paidRef);
    await settled(paid.id, "paid");
    await expect(pay(PHONES.pays, 41, paidRef)).rejects.toMatchObject({
      status: 409,
      code: "order_paid",
    });

    // Money of the wrong amount leaves the payment unknown: the customer may have paid, so no second
    // prompt for the order until a person settles it.
    const unknownRef = orderRef();
    const unknown = await pay(PHONES.wrongAmount, 42, unknownRef);
    await settled(unknown.id, "unknown");
    const refused = pay(PHONES.pays, 42, unknownRef);
    await expect(refused).rejects.toMatchObject({
      status: 409,
      code: "order_unknown",
      details: { payment: { id: unknown.id } },
    });
    await expect(refused).rejects.toThrow(/may have paid/);

    // Once finance has settled the case (here: written off), the order may be asked for again.
    expect(await exceptionsOf(unknown.id)).not.toEqual([]);
    await app.ctx.db
      .update(exceptions)
      .set({ status: "resolved", resolution: "write_off", resolvedAt: new Date() })
      .where(eq(exceptions.paymentId, unknown.id));
    const again = await pay(PHONES.pays, 42, unknownRef);
    expect(again.orderRef).toBe(unknownRef);
  });

  it("marks a payment failed with Daraja's reason when the push is refused", async () => {
    const payment = await pay(PHONES.busy);
    expect(payment.status).toBe("failed");
    expect(payment.statusReason).toMatch(/busy/i);
    expect(payment.attempts[0].errorCode).toBe("500.003.02");
  });

  it("marks a payment unknown (never failed) when the push answer is lost, and opens unknown_outcome", async () => {
    const payment = await pay(PHONES.hangs);
    expect(payment.status).toBe("unknown");
    const [x] = await exceptionsOf(payment.id);
    expect(x).toMatchObject({ type: "unknown_outcome", status: "open", amountAtStakeKes: 150 });
  });
});

describe("callbacks from the simulator", () => {
  it.each([
    [PHONES.pays, "paid", null],
    [PHONES.cancels, "cancelled", "Attempt cancelled (ResultCode 1032)"],
    [PHONES.unreachable, "expired", "Attempt expired (ResultCode 1037)"],
    [PHONES.insufficient, "failed", "Attempt failed (ResultCode 1)"],
    [PHONES.wrongPin, "failed", "Attempt failed (ResultCode 2001)"],
  ])("%s ends %s", async (phone, status, reason) => {
    const payment = await pay(phone);
    const done = await settled(payment.id, status);
    if (status === "paid") {
      expect(done.receipt).toMatch(/^[A-Z0-9]{10}$/);
      expect(done.receipts).toEqual([
        expect.objectContaining({ receipt: done.receipt, amount: 150, sources: ["callback"] }),
      ]);
    } else {
      expect(done.receipt).toBeNull();
      // What support reads on the payment: which attempt ended how, with M-Pesa's code.
      expect(done.statusReason).toBe(reason);
    }
  });

  it("treats a duplicated callback as a no-op: one receipt, the second raw row marked duplicate", async () => {
    const payment = await pay(PHONES.duplicateCallback);
    await settled(payment.id, "paid");
    const rows = await waitFor(async () => {
      const r = await app.ctx.db
        .select()
        .from(rawCallbacks)
        .where(eq(rawCallbacks.paymentId, payment.id));
      return r.length === 2 && r.every((x) => x.outcome !== "received") ? r : null;
    });
    expect(rows.map((r) => r.outcome).sort()).toEqual(["applied", "duplicate"]);
    expect(
      await app.ctx.db.select().from(receipts).where(eq(receipts.paymentId, payment.id)),
    ).toHaveLength(1);
  });

  it("opens conflicting_callback when a cancel follows a success, and keeps the payment paid", async () => {
    const payment = await pay(PHONES.conflictingCallback);
    await settled(payment.id, "paid");
    // A fast callback may also open (and, once the push's answer lands, close) an orphan_callback
    // case, so the case is picked by type.
    const x = await waitFor(
      async () => (await exceptionsOf(payment.id)).find((c) => c.type === "conflicting_callback"),
      5000,
      "a conflicting_callback case",
    );
    expect(x.status).toBe("open");
    expect((await getPaymentView(app.ctx.db, payment.id))!.status).toBe("paid");
  });

  it("records money paid for another amount without making the payment paid (amount_mismatch)", async () => {
    const payment = await pay(PHONES.wrongAmount, 500);
    const view = await settled(payment.id, "unknown");
    expect(view.receipts[0].amount).toBe(499);
    const [x] = await exceptionsOf(payment.id);
    expect(x).toMatchObject({ type: "amount_mismatch", amountAtStakeKes: 499 });
  });

  it("opens late_success when the customer pays after the payment expired, without flipping it", async () => {
    const payment = await pay(PHONES.lateSuccess);
    await settled(payment.id, "expired");
    const x = await waitFor(
      async () => (await exceptionsOf(payment.id)).find((c) => c.type === "late_success"),
      5000,
      "a late_success case",
    );
    expect(x.status).toBe("open");
    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view.status).toBe("expired");
    expect(view.receipts).toHaveLength(1); // the money is on record, in front of a person
  });

  it("opens double_payment when an old attempt succeeds after a re-sent prompt was paid", async () => {
    // Hold the old attempt's late success back until the re-sent prompt has been paid.
    await app.control("config", { lateDelayMs: 2500 });
    try {
      const payment = await pay(PHONES.lateSuccess, 77);
      await settled(payment.id, "expired");
      await resendPrompt(
        app.ctx,
        payment.id,
        { phone: PHONES.pays, reason: "customer asked again" },
        actor,
      );
      await settled(payment.id, "paid");
      const view = await waitFor(
        async () => {
          const v = await getPaymentView(app.ctx.db, payment.id);
          return v && v.receipts.length === 2 ? v : null; // both payments are on record
        },
        5000,
        "the old attempt's late success to arrive",
      );
      expect(view.status).toBe("paid");
      const cases = await exceptionsOf(payment.id);
      expect(cases.filter((x) => x.status === "open").map((x) => x.type)).toEqual([
        "double_payment",
      ]);
      expect(cases.map((x) => x.type)).not.toContain("late_success");
    } finally {
      await app.control("config", { lateDelayMs: 200 });
    }
  });
});

describe("resending a prompt", () => {
  it("refuses while the last prompt has no answer, however long ago it was sent", async () => {
    const payment = await pay(PHONES.handset);
    await expect(
      resendPrompt(app.ctx, payment.id, { reason: "no prompt seen" }, actor),
    ).rejects.toMatchObject({ status: 409, code: "prompt_pending" });
    // Four minutes on, still no callback and no query answer: the customer may yet have paid it.
    const later = { ...app.ctx, now: () => new Date(Date.now() + 4 * 60_000) };
    await expect(
      resendPrompt(later, payment.id, { phone: PHONES.pays, reason: "try another phone" }, actor),
    ).rejects.toMatchObject({ status: 409, code: "prompt_pending", message: /may still pay it/ });
    expect((await getPaymentView(app.ctx.db, payment.id))!.attempts).toHaveLength(1);
  });

  it("refuses when another payment for the same order was paid since (one charge per order)", async () => {
    const ref = orderRef();
    const cancelled = await pay(PHONES.cancels, 43, ref);
    await settled(cancelled.id, "cancelled");
    const paid = await pay(PHONES.pays, 43, ref);
    await settled(paid.id, "paid");
    await expect(
      resendPrompt(app.ctx, cancelled.id, { reason: "customer asked again" }, actor),
    ).rejects.toMatchObject({
      status: 409,
      code: "order_paid",
      details: { payment: { id: paid.id } },
    });
    expect((await getPaymentView(app.ctx.db, cancelled.id))!.attempts).toHaveLength(1);
  });

  it("refuses for a paid payment", async () => {
    const payment = await pay(PHONES.pays);
    await settled(payment.id, "paid");
    await expect(
      resendPrompt(app.ctx, payment.id, { reason: "again" }, actor),
    ).rejects.toMatchObject({ code: "already_paid" });
  });

  it("re-opens a cancelled payment with a new attempt to a corrected phone that pays", async () => {
    const payment = await pay(PHONES.cancels);
    await settled(payment.id, "cancelled");
    const resent = await resendPrompt(
      app.ctx,
      payment.id,
      { phone: "0708 000 001", reason: "customer gave the right number" },
      actor,
    );
    expect(resent.attempts).toHaveLength(2);
    expect(resent.attempts[1]).toMatchObject({
      phone: PHONES.pays,
      reason: "customer gave the right number",
    });
    const paid = await settled(payment.id, "paid");
    expect(paid.phone).toBe(PHONES.pays);
    expect(paid.timeline.some((e) => e.type === "prompt_resent" && e.actor === actor.label)).toBe(
      true,
    );
  });
});
