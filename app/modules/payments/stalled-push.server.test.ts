// A push cut off mid-way (the process stopped while M-Pesa was being asked, or recording its answer
// failed) leaves the attempt `initiating` with no CheckoutRequestID. The poller's sweep finds it once
// no push could still be running and records it as a push with no answer: unknown, with a case, so the
// order is not stuck `initiating` for ever and a re-send cannot charge the customer twice.
import { and, eq } from "drizzle-orm";
import { exceptions, payments, stkAttempts } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import { transportError } from "../daraja/errors";
import { initiatePayment } from "./initiate.server";
import {
  recordPushFailure,
  recoverStalledPushes,
  STALLED_PUSH_AFTER_MS,
} from "./push-failure.server";
import { sweepDuePayments } from "./poller.server";
import { getPaymentView } from "./queries.server";
import { resendPrompt } from "./resend.server";

let app: TestApp;
let actor: Actor;
beforeAll(async () => {
  app = await startTestApp();
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());

/** A payment whose push was cut off `agoMs` ago: as the database holds it after the crash. */
async function cutOff(agoMs: number) {
  const payment = await initiatePayment(
    app.ctx,
    { orderRef: orderRef(), amount: 77, phone: PHONES.handset },
    actor,
  );
  const at = new Date(Date.now() - agoMs);
  await app.ctx.db
    .update(stkAttempts)
    .set({ status: "initiating", checkoutRequestId: null, merchantRequestId: null, createdAt: at })
    .where(eq(stkAttempts.paymentId, payment.id));
  await app.ctx.db
    .update(payments)
    .set({ status: "initiating" })
    .where(eq(payments.id, payment.id));
  return payment;
}

it("records an old cut-off push as unknown with a case, and leaves a young one alone", async () => {
  const old = await cutOff(STALLED_PUSH_AFTER_MS + 60_000);
  const young = await cutOff(10_000);
  await sweepDuePayments(app.ctx, { trigger: "cli" });

  const after = (await getPaymentView(app.ctx.db, old.id))!;
  expect(after.status).toBe("unknown");
  expect(after.attempts[0]).toMatchObject({ status: "unknown" });
  const [x] = await app.ctx.db
    .select()
    .from(exceptions)
    .where(and(eq(exceptions.paymentId, old.id), eq(exceptions.type, "unknown_outcome")));
  expect(x).toMatchObject({ status: "open", amountAtStakeKes: 77 });
  expect(x.summary).toMatch(/The push was cut off/);
  expect((await getPaymentView(app.ctx.db, young.id))!.status).toBe("initiating");

  // The customer may have paid the first prompt: no second one until a person settles the case.
  await expect(
    resendPrompt(app.ctx, old.id, { reason: "no prompt seen" }, actor),
  ).rejects.toMatchObject({ status: 409 });
});

it("records a cut-off push once when two sweeps (two instances) find it at the same time", async () => {
  const old = await cutOff(STALLED_PUSH_AFTER_MS + 60_000);
  // Both find it before either records it; the second sees, under the attempt's lock, that it is done.
  await Promise.all([recoverStalledPushes(app.ctx), recoverStalledPushes(app.ctx)]);
  const events = (await getPaymentView(app.ctx.db, old.id))!.timeline.filter(
    (e) => e.type === "push_unknown",
  );
  expect(events).toHaveLength(1);
  const cases = await app.ctx.db.select().from(exceptions).where(eq(exceptions.paymentId, old.id));
  expect(cases).toHaveLength(1);
});

it("leaves the payment to a re-sent attempt still being sent: only the cut-off attempt is unknown", async () => {
  const payment = await cutOff(STALLED_PUSH_AFTER_MS + 60_000);
  const now = new Date();
  await app.ctx.db.insert(stkAttempts).values({
    paymentId: payment.id,
    seq: 2,
    phone: PHONES.handset,
    amountKes: 77,
    status: "initiating",
    reason: "re-sent",
    createdAt: now,
    updatedAt: now,
  });
  await recoverStalledPushes(app.ctx);
  const after = (await getPaymentView(app.ctx.db, payment.id))!;
  expect(after.status).toBe("initiating");
  expect(after.attempts.map((a) => a.status)).toEqual(["unknown", "initiating"]);
  // The first prompt may still have reached the phone: a person hears of it.
  const cases = await app.ctx.db
    .select()
    .from(exceptions)
    .where(eq(exceptions.paymentId, payment.id));
  expect(cases.map((c) => c.type)).toEqual(["unknown_outcome"]);
});

describe("a push whose answer is lost after the attempt was settled", () => {
  it("leaves a paid attempt paid, with no unknown_outcome case, and says so on the timeline", async () => {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 78, phone: PHONES.handset },
      actor,
    );
    // As a C2B payment matched to the order while the push was still in flight leaves it.
    await app.ctx.db
      .update(stkAttempts)
      .set({ status: "paid" })
      .where(eq(stkAttempts.paymentId, payment.id));
    await app.ctx.db.update(payments).set({ status: "paid" }).where(eq(payments.id, payment.id));
    const [attempt] = await app.ctx.db
      .select()
      .from(stkAttempts)
      .where(eq(stkAttempts.paymentId, payment.id));

    await recordPushFailure(
      app.ctx,
      attempt.id,
      transportError("push", new Error("aborted"), true),
    );

    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view.status).toBe("paid");
    expect(view.attempts.map((a) => a.status)).toEqual(["paid"]);
    const cases = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, payment.id));
    expect(cases).toEqual([]);
    expect(view.timeline.find((e) => e.type === "push_unknown")?.summary).toMatch(
      /already paid; left as it is/,
    );
  });
});
