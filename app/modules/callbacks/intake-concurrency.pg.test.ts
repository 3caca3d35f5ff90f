// Races that only a real multi-connection PostgreSQL can show: duplicate callbacks and two agents.
import { eq } from "drizzle-orm";
import { rawCallbacks, receipts } from "../../../db/schema";
import {
  postStkCallback,
  startTestApp,
  stkCallbackBody,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";

let app: TestApp;
let actor: Actor;
beforeAll(async () => {
  app = await startTestApp();
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

async function pendingPayment(amount = 100) {
  const payment = await initiatePayment(
    app.ctx,
    { orderRef: orderRef(), amount, phone: PHONES.neverResolves },
    actor,
  );
  return { payment, checkoutRequestId: payment.attempts[0].checkoutRequestId! };
}

describe("concurrency (PostgreSQL)", () => {
  it("50 identical callbacks racing for one attempt yield one paid, one receipt, 50 log rows with outcomes", async () => {
    const { payment, checkoutRequestId } = await pendingPayment(250);
    const body = stkCallbackBody({ checkoutRequestId, amount: 250, receipt: "TKL8RACE50" });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => postStkCallback(app, body)),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const rows = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(eq(rawCallbacks.checkoutRequestId, checkoutRequestId));
    expect(rows).toHaveLength(50);
    expect(rows.filter((r) => r.outcome === "applied")).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === "duplicate")).toHaveLength(49);
    expect(
      await app.ctx.db.select().from(receipts).where(eq(receipts.receipt, "TKL8RACE50")),
    ).toHaveLength(1);
    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view).toMatchObject({ status: "paid", receipt: "TKL8RACE50" });
    expect(
      view.timeline.filter(
        (e) => e.type === "status_changed" && (e.data as { to: string }).to === "paid",
      ),
    ).toHaveLength(1);
  });

  it("two agents racing to start the same order: one payment, one 409", async () => {
    const ref = orderRef();
    const results = await Promise.allSettled([
      initiatePayment(app.ctx, { orderRef: ref, amount: 60, phone: PHONES.neverResolves }, actor),
      initiatePayment(app.ctx, { orderRef: ref, amount: 60, phone: PHONES.neverResolves }, actor),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason).toMatchObject({ status: 409, code: "order_open" });
  });
});
