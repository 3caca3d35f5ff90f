// "Re-send prompt" from the console of the BUILT server: refused with HTTP 409 and
// a message while money is recorded against the payment — M-Pesa would accept the second prompt and
// charge the customer twice — and still allowed when nothing was paid.
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";
import {
  getPayment,
  newReceipt,
  pendingPayment,
  postStkCallback,
  processedCallbacks,
  requestPayment,
  settled,
  signInAgent,
  successCallbackFor,
  successItems,
  type Agent,
} from "./support/flows";

let s: BuiltServer;
let agent: Agent;
beforeAll(async () => {
  s = await startSuiteServer({
    label: "resend",
    env: { POLL_FIRST_AFTER_S: "3600", POLL_GIVE_UP_AFTER_S: "7200" },
    simConfig: { promptTimeoutMs: 600_000 },
  });
  agent = await signInAgent(s);
});
afterAll(async () => s?.stop());

const pushes = async () =>
  (await s.sim<{ counts: { pushes: number } }>("state?summary")).counts.pushes;

const resend = (paymentId: string) =>
  agent.act(`/payments/${paymentId}`, "routes/_console.payments.$paymentId", {
    intent: "resend",
    reason: "customer says no prompt arrived",
  });

async function expectRefused(paymentId: string) {
  const attemptsBefore = (await getPayment(s, paymentId)).attempts.length;
  const before = await pushes();
  const res = await resend(paymentId);
  expect(res.status, JSON.stringify(res.body)).toBe(409);
  expect(res.body.error.message, "says why").toMatch(/paid|charged|money/i);
  expect(await pushes(), "no prompt reached M-Pesa").toBe(before);
  expect((await getPayment(s, paymentId)).attempts).toHaveLength(attemptsBefore);
}

describe("re-send is refused while money is recorded against the payment", () => {
  it("a paid payment", async () => {
    const { id } = await requestPayment(s, { phone: "254708000001", amount: 401 });
    await settled(s, id, "paid");
    await expectRefused(id);
  });

  it("a customer who paid the wrong amount (amount_mismatch)", async () => {
    const { id } = await requestPayment(s, { phone: "254708000009", amount: 402 });
    await waitFor(async () => {
      const p = await getPayment(s, id);
      return p.openExceptions.some((x) => x.type === "amount_mismatch") && p.receipts.length > 0;
    }, "the amount_mismatch case");
    await expectRefused(id);
  });

  it("a success that arrived after the customer cancelled (late_success)", async () => {
    const payment = await pendingPayment(s, 403);
    const phone = payment.attempts[0].phone;
    await s.sim(`handset/${phone}/cancel`, {});
    await settled(s, payment.id, "cancelled");
    const late = await postStkCallback(s, successCallbackFor(payment, newReceipt()));
    expect(late.status).toBe(200);
    await processedCallbacks(s, payment.attempts[0].checkoutRequestId!, 2);
    const after = await getPayment(s, payment.id);
    expect(after.receipts).toHaveLength(1);
    expect(after.openExceptions.map((x) => x.type)).toContain("late_success");
    await expectRefused(payment.id);
  });

  it("a late success after the prompt expired (0708 000 010)", async () => {
    const { id } = await requestPayment(s, { phone: "254708000010", amount: 404 });
    await waitFor(async () => {
      const p = await getPayment(s, id);
      return p.openExceptions.some((x) => x.type === "late_success") && p.receipts.length > 0;
    }, "the late_success case");
    await expectRefused(id);
  });
});

describe("re-send still works when nothing was paid", () => {
  it("a cancelled payment gets a new prompt to the customer", async () => {
    const payment = await pendingPayment(s, 405);
    await s.sim(`handset/${payment.attempts[0].phone}/cancel`, {});
    await settled(s, payment.id, "cancelled");
    const before = await pushes();
    const res = await resend(payment.id);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.message).toMatch(/prompt sent/i);
    expect(await pushes()).toBe(before + 1);
    const after = await getPayment(s, payment.id);
    expect(after.status).toBe("pending");
    expect(after.attempts).toHaveLength(2);
    expect(after.attempts[1]).toMatchObject({ status: "pending", phone: payment.attempts[0].phone });
  });
});

describe("one prompt at a time, one charge per order", () => {
  it("a prompt with no answer yet: 409 prompt_pending, and nothing reaches M-Pesa", async () => {
    const payment = await pendingPayment(s, 406);
    const before = await pushes();
    const res = await resend(payment.id);
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error).toMatchObject({ code: "prompt_pending" });
    expect(res.body.error.message).toMatch(/may still pay it/);
    expect(await pushes()).toBe(before);
    expect((await getPayment(s, payment.id)).attempts).toHaveLength(1);
  });

  it("a success without a receipt, then a cancel: the order takes no new request until the case is settled", async () => {
    const payment = await pendingPayment(s, 407);
    const noReceipt = successItems(407, "X").filter((i) => i.name !== "MpesaReceiptNumber");
    const claim = await postStkCallback(s, successCallbackFor(payment, "", noReceipt));
    expect(claim.status).toBe(200);
    await settled(s, payment.id, "unknown");
    await s.sim(`handset/${payment.attempts[0].phone}/cancel`, {});
    const cancelled = await settled(s, payment.id, "cancelled");
    expect(cancelled.openExceptions.map((x) => x.type)).toContain("conflicting_callback");

    const before = await pushes();
    const again = await s.api<{ error: { code: string; details: { payment: { id: string } } } }>(
      "/api/payments",
      {
        method: "POST",
        body: JSON.stringify({ orderRef: payment.orderRef, amount: 407, phone: "254708000001" }),
      },
    );
    expect(again.status, JSON.stringify(again.body)).toBe(409);
    expect(again.body.error).toMatchObject({
      code: "order_case_open",
      details: { payment: { id: payment.id } },
    });
    expect(await pushes()).toBe(before);
  });
});
