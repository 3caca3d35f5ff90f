// What a query answer does when other witnesses have spoken: a callback that paid during the query
// (query_disagrees, the receipt stands), a held success from an untrusted address contradicted by the
// query (its confirmation by a 0 is in held-success.server.test.ts), and the console's "check status now".
import { eq } from "drizzle-orm";
import { exceptions, payments, staffAudit, stkAttempts } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "./initiate.server";
import { checkPaymentNow } from "./check-now.server";
import { sweepDuePayments } from "./poller.server";
import { getPaymentView } from "./queries.server";

const SAFARICOM_IP = "196.201.214.200";
let app: TestApp;
let actor: Actor & { kind: "user" };
// Runs just before the simulator sees an STK Query: the outside world acting while our query is in flight.
let beforeQuery: (() => Promise<void>) | null = null;

beforeAll(async () => {
  app = await startTestApp({
    env: { MPESA_CALLBACK_ALLOWED_IPS: SAFARICOM_IP, TRUST_PROXY: "true", POLL_MAX_QPS: "50" },
    fetch: async (input, init) => {
      if (String(input).includes("/stkpushquery/") && beforeQuery) {
        const act = beforeQuery;
        beforeQuery = null;
        await act();
      }
      return fetch(input, init);
    },
  });
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

const sweep = () => sweepDuePayments(app.ctx, { trigger: "cli" });
const exceptionsOf = (paymentId: string) =>
  app.ctx.db.select().from(exceptions).where(eq(exceptions.paymentId, paymentId));
async function bulk(outcome: string, amount = 100) {
  const { checkoutRequestIds } = await app.control("transactions", { count: 1, outcome, amount });
  const [due] = await insertDueAttempts(app.ctx.db, checkoutRequestIds, { amountKes: amount });
  return due;
}
const callback = (checkoutRequestId: string, receipt: string, from: string | null, amount = 100) =>
  postStkCallback(app, stkCallbackBody({ checkoutRequestId, receipt, amount }), {
    headers: from ? { "X-Forwarded-For": from } : {},
  });

describe("a query that disagrees with a callback", () => {
  it("never downgrades a receipt: a success callback during the query, then 1032, opens query_disagrees", async () => {
    const due = await bulk("cancelled"); // M-Pesa's query will say 1032
    beforeQuery = async () => {
      expect((await callback(due.checkoutRequestId, "TKL9RACE01", SAFARICOM_IP)).status).toBe(200);
    };
    expect(await sweep()).toMatchObject({ queried: 1, changed: 1 });

    const view = (await getPaymentView(app.ctx.db, due.paymentId))!;
    expect(view).toMatchObject({ status: "paid", receipt: "TKL9RACE01", receiptPending: false });
    expect(view.attempts[0]).toMatchObject({
      status: "paid",
      pollCount: 1,
      nextPollAt: null,
      lastPollAnswer: expect.stringMatching(/^1032 /),
    });
    const [x] = await exceptionsOf(due.paymentId);
    expect(x).toMatchObject({ type: "query_disagrees", status: "open" });
  });
});

describe("a success callback from outside the allow-list", () => {
  it("is flagged as possibly forged when the query says the customer cancelled", async () => {
    const due = await bulk("cancelled");
    await callback(due.checkoutRequestId, "TKL9FORGED", null);
    await sweep();
    const view = (await getPaymentView(app.ctx.db, due.paymentId))!;
    expect(view).toMatchObject({ status: "cancelled", receipt: null });
    const [x] = await exceptionsOf(due.paymentId);
    expect(x).toMatchObject({
      type: "conflicting_callback",
      summary: expect.stringContaining("may be forged"),
    });
  });
});

describe("check status now", () => {
  it("asks at once, whatever the next check time, and records who asked", async () => {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 60, phone: PHONES.neverResolves },
      actor,
    );
    const result = await checkPaymentNow(app.ctx, payment.id, actor);
    expect(result.answer).toBe("still processing");
    expect(result.message).toMatch(/no final answer yet/);
    expect(result.payment.attempts[0]).toMatchObject({ pollCount: 1, status: "pending" });
    expect(result.payment.timeline.at(-1)).toMatchObject({
      type: "poll",
      actor: `check now by ${actor.label}`,
    });
    const [audit] = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(eq(staffAudit.entityId, payment.id));
    expect(audit).toMatchObject({
      action: "payment.check_status",
      actorUserId: actor.userId,
      after: { status: "pending", answer: "still processing" },
    });
  });

  it("settles a lost callback on the spot", async () => {
    const due = await bulk("lost_callback", 1);
    const result = await checkPaymentNow(app.ctx, due.paymentId, actor);
    expect(result.payment).toMatchObject({ status: "paid", receiptPending: true });
    expect(result.message).toMatch(/paid \(receipt pending\)/);
  });

  it("leaves an attempt another instance is asking about alone, and refuses a payment M-Pesa never accepted", async () => {
    const due = await bulk("lost_callback");
    await app.ctx.db
      .update(stkAttempts)
      .set({ pollClaimedBy: "other-instance", pollClaimedUntil: new Date(Date.now() + 60_000) })
      .where(eq(stkAttempts.id, due.attemptId));
    await expect(checkPaymentNow(app.ctx, due.paymentId, actor)).rejects.toMatchObject({
      code: "check_in_progress",
      status: 409,
    });

    const busy = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 60, phone: PHONES.busy },
      actor,
    );
    await expect(checkPaymentNow(app.ctx, busy.id, actor)).rejects.toMatchObject({
      code: "cannot_query",
    });
  });
});

describe("a success callback the query then contradicts", () => {
  it("keeps the order closed to new prompts while its case is open: the customer may have paid", async () => {
    const due = await bulk("cancelled"); // M-Pesa's query will say 1032
    // ResultCode 0 with no usable receipt: not proof of payment, but maybe money.
    expect((await callback(due.checkoutRequestId, "", SAFARICOM_IP)).status).toBe(200);
    expect((await getPaymentView(app.ctx.db, due.paymentId))!.status).toBe("unknown");
    expect(await sweep()).toMatchObject({ queried: 1 });

    const view = (await getPaymentView(app.ctx.db, due.paymentId))!;
    expect(view.status).toBe("cancelled");
    const open = (await exceptionsOf(due.paymentId)).filter((x) => x.status !== "resolved");
    expect(open.map((x) => x.type)).toEqual(["conflicting_callback"]);

    const again = () =>
      initiatePayment(app.ctx, { orderRef: view.orderRef, amount: 100, phone: PHONES.pays }, actor);
    const refused = again();
    await expect(refused).rejects.toMatchObject({
      status: 409,
      code: "order_case_open",
      details: { payment: { id: due.paymentId } },
    });
    await expect(refused).rejects.toThrow(/may have paid/);

    // Once finance has settled the case, the order may be asked for again.
    await app.ctx.db
      .update(exceptions)
      .set({ status: "resolved", resolution: "write_off", resolvedAt: new Date() })
      .where(eq(exceptions.paymentId, due.paymentId));
    expect((await again()).orderRef).toBe(view.orderRef);
  });
});

describe("which closed payment blocks its order", () => {
  // A payment row of the order as the ledger leaves it, with an open case of the given type.
  async function closed(ref: string, status: "cancelled" | "refunded" | "paid", caseType?: string) {
    const [p] = await app.ctx.db
      .insert(payments)
      .values({
        orderRef: ref,
        amountKes: 100,
        phone: "254708000006",
        description: "blocking test",
        accountReference: "BLOCK",
        status,
      })
      .returning();
    if (caseType)
      await app.ctx.db.insert(exceptions).values({
        type: caseType as "unknown_outcome",
        dedupeKey: `${caseType}:test:${p.id}`,
        paymentId: p.id,
        summary: "test case",
      });
    return p;
  }
  const ask = (ref: string) =>
    initiatePayment(app.ctx, { orderRef: ref, amount: 100, phone: PHONES.pays }, actor);

  it("not a prompt the poller gave up on that a definite cancel answered later (unknown_outcome)", async () => {
    const ref = orderRef();
    await closed(ref, "cancelled", "unknown_outcome");
    expect((await ask(ref)).orderRef).toBe(ref);
  });

  it("not a refunded payment, whatever case it has open", async () => {
    const ref = orderRef();
    await closed(ref, "refunded", "double_payment");
    expect((await ask(ref)).orderRef).toBe(ref);
  });

  it("a paid payment is named before a newer cancelled one with a case open", async () => {
    const ref = orderRef();
    const paid = await closed(ref, "paid");
    await closed(ref, "cancelled", "late_success");
    await expect(ask(ref)).rejects.toMatchObject({
      code: "order_paid",
      details: { payment: { id: paid.id } },
    });
  });
});
