// Global search against real payments: every identifier kind, phone numbers in every format people
// type, receipts only the ledger knows, and queries that match nothing.
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "./initiate.server";
import { resendPrompt } from "./resend.server";
import { getPaymentView, type PaymentView } from "./queries.server";
import { searchPayments } from "./search.server";

let app: TestApp;
let actor: Actor;
let paid: PaymentView;

const settled = (id: string, status: string) =>
  waitFor(
    async () => {
      const p = await getPaymentView(app.ctx.db, id);
      return p?.status === status ? p : null;
    },
    10_000,
    `payment ${id} to become ${status}`,
  );
const ids = async (q: string) => (await searchPayments(app.ctx.db, q)).payments.map((p) => p.id);

beforeAll(async () => {
  app = await startTestApp();
  actor = actorFor(await makeUser(app.ctx, "support"));
  const created = await initiatePayment(
    app.ctx,
    { orderRef: orderRef("SRCH").toUpperCase(), amount: 250, phone: PHONES.pays },
    actor,
  );
  paid = await settled(created.id, "paid");
});
afterAll(async () => app?.close());

describe("searchPayments", () => {
  it("finds a payment by its M-Pesa receipt, in any letter case", async () => {
    const result = await searchPayments(app.ctx.db, paid.receipt!);
    expect(result.payments).toEqual([
      expect.objectContaining({ id: paid.id, matchedBy: expect.arrayContaining(["receipt"]) }),
    ]);
    expect(await ids(` ${paid.receipt!.toLowerCase()} `)).toEqual([paid.id]);
  });

  it("finds a payment by CheckoutRequestID and by MerchantRequestID", async () => {
    const [attempt] = paid.attempts;
    expect((await searchPayments(app.ctx.db, attempt.checkoutRequestId!)).payments).toEqual([
      expect.objectContaining({ id: paid.id, matchedBy: ["checkout_request_id"] }),
    ]);
    expect((await searchPayments(app.ctx.db, attempt.merchantRequestId!)).payments).toEqual([
      expect.objectContaining({ id: paid.id, matchedBy: ["merchant_request_id"] }),
    ]);
  });

  it("finds a payment by order reference (an upper-case ref typed in lower case too) and by its payment id", async () => {
    expect(await ids(paid.orderRef)).toEqual([paid.id]);
    expect(await ids(paid.orderRef.toLowerCase())).toEqual([paid.id]);
    expect(await ids(paid.id.toUpperCase())).toEqual([paid.id]);
  });

  it.each([
    "0711 222 333",
    "+254 711 222 333",
    "254711222333",
    "0711-222-333",
    "(0711) 222.333",
    "711222333",
  ])("finds a payment by phone typed as %s", async (typed) => {
    const phone = "254711222333"; // waits for the virtual handset: a number no other test uses
    const existing = await ids(phone);
    const payment = existing.length
      ? { id: existing[0] }
      : await initiatePayment(app.ctx, { orderRef: orderRef("PH"), amount: 20, phone }, actor);
    const result = await searchPayments(app.ctx.db, typed);
    expect(result.payments.map((p) => p.id)).toEqual([payment.id]);
    expect(result.payments[0].matchedBy).toContain("phone");
  });

  it("finds a re-sent payment by the corrected number and by the number first used", async () => {
    const first = await initiatePayment(
      app.ctx,
      { orderRef: orderRef("FIX"), amount: 30, phone: PHONES.cancels },
      actor,
    );
    await settled(first.id, "cancelled");
    await resendPrompt(
      app.ctx,
      first.id,
      { phone: "0711 999 000", reason: "customer gave the right number" },
      actor,
    );
    expect(await ids("0711999000")).toEqual([first.id]);
    expect(await ids(PHONES.cancels)).toContain(first.id);
  });

  it("finds money the ledger holds under a receipt even when the payment is not paid (amount mismatch)", async () => {
    const short = await initiatePayment(
      app.ctx,
      { orderRef: orderRef("SHORT"), amount: 500, phone: PHONES.wrongAmount },
      actor,
    );
    const view = await settled(short.id, "unknown");
    expect(view.receipt).toBeNull();
    expect(await ids(view.receipts[0].receipt)).toEqual([short.id]);
  });

  it("lists every payment of a customer, newest first, when a phone matches several", async () => {
    const phone = "254711555666";
    const a = await initiatePayment(
      app.ctx,
      { orderRef: orderRef("MANY"), amount: 11, phone },
      actor,
    );
    const b = await initiatePayment(
      app.ctx,
      { orderRef: orderRef("MANY"), amount: 12, phone },
      actor,
    );
    expect(await ids("0711 555 666")).toEqual([b.id, a.id]);
  });

  it("answers nothing for an empty query or an identifier no payment has", async () => {
    expect(await searchPayments(app.ctx.db, "   ")).toEqual({
      query: "",
      kinds: [],
      payments: [],
      truncated: false,
    });
    const none = await searchPayments(app.ctx.db, "ZZZ9ZZZ9ZZ");
    expect(none.payments).toEqual([]);
    expect(none.kinds).toEqual(expect.arrayContaining(["receipt", "order_ref"]));
    expect(await ids("ws_CO_01012020000000000700000000")).toEqual([]);
  });
});
