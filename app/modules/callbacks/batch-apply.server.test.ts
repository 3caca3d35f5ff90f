// The applier applies a claimed batch of stored callbacks in one transaction without a savepoint each.
// What a user would notice stays as it was one by one: duplicates in one batch are still duplicates,
// unknown ones are still orphans, and one callback that fails never holds up the rest of its batch.
import { eq, inArray, sql } from "drizzle-orm";
import { paymentEvents, rawCallbacks } from "../../../db/schema";
import {
  startTestApp,
  stkCallbackBody,
  storeCallback,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import { expectLoggedError } from "../../../tests/support/log";
import { initiatePayment } from "../payments/initiate.server";
import { getPaymentView } from "../payments/queries.server";
import { applyStoredCallbacks } from "./queue.server";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

/** Stored as the route stores it, without waking the applier (the test applies the batch itself). */
const store = (body: string) => storeCallback(app.ctx, body);

async function pendingPayment(amount: number) {
  const payment = await initiatePayment(
    app.ctx,
    { orderRef: orderRef(), amount, phone: PHONES.neverResolves },
    actorFor(await makeUser(app.ctx, "support")),
  );
  return { id: payment.id, checkoutRequestId: payment.attempts[0].checkoutRequestId! };
}

const outcomeOf = async (id: number) =>
  (await app.ctx.db.select().from(rawCallbacks).where(eq(rawCallbacks.id, id)))[0];

const receipt = (tag: string, i: number) => `TB${tag}${String(i).padStart(3, "0")}${"XYZW"}`;

describe("applying a batch of stored callbacks", () => {
  it("applies paid, duplicate, cancelled, orphan and unreadable callbacks in one batch as it would one by one", async () => {
    const [a, b] = await Promise.all([pendingPayment(41), pendingPayment(42)]);
    const rows = [
      await store(
        stkCallbackBody({
          checkoutRequestId: a.checkoutRequestId,
          amount: 41,
          receipt: receipt("A", 1),
        }),
      ),
      await store(
        stkCallbackBody({
          checkoutRequestId: a.checkoutRequestId,
          amount: 41,
          receipt: receipt("A", 1),
        }),
      ),
      await store(stkCallbackBody({ checkoutRequestId: b.checkoutRequestId, resultCode: 1032 })),
      await store(stkCallbackBody({ checkoutRequestId: "ws_CO_BATCH_NOBODY", resultCode: 1032 })),
      await store("{ not json"),
    ];
    const result = await applyStoredCallbacks(app.ctx, { limit: 25 });
    expect(result).toEqual({ claimed: 5, failed: 0 });

    const outcomes = await Promise.all(rows.map((r) => outcomeOf(r.id)));
    expect(outcomes.map((o) => o.outcome)).toEqual([
      "applied",
      "duplicate",
      "applied",
      "orphan",
      "invalid",
    ]);
    expect(await getPaymentView(app.ctx.db, a.id)).toMatchObject({
      status: "paid",
      receipt: receipt("A", 1),
    });
    expect((await getPaymentView(app.ctx.db, b.id))?.status).toBe("cancelled");
  });

  it("one callback that fails does not hold up the others: they are applied, it stays received for a retry", async () => {
    const payments = await Promise.all([41, 42, 43, 44].map((n) => pendingPayment(n)));
    const rows = [];
    for (const [i, p] of payments.entries())
      rows.push(
        await store(
          stkCallbackBody({
            checkoutRequestId: p.checkoutRequestId,
            amount: 41 + i,
            receipt: receipt("F", i),
          }),
        ),
      );
    // A fault the applier cannot foresee (a bug, a constraint): writing this one callback's timeline
    // event fails in the database.
    const failing = rows[2].id;
    await app.ctx.db.execute(
      sql.raw(`create or replace function batch_test_fail() returns trigger language plpgsql as $$
        begin
          if new.raw_callback_id = ${failing} then raise exception 'batch test: refused'; end if;
          return new;
        end $$`),
    );
    await app.ctx.db.execute(
      sql.raw(
        `create trigger batch_test_fail before insert on payment_events for each row execute function batch_test_fail()`,
      ),
    );
    expectLoggedError(/applying a stored callback failed/);
    try {
      const result = await applyStoredCallbacks(app.ctx, { limit: 25 });
      expect(result).toEqual({ claimed: 4, failed: 1 });
    } finally {
      await app.ctx.db.execute(sql.raw(`drop trigger batch_test_fail on payment_events`));
    }

    for (const [i, p] of payments.entries()) {
      const row = await outcomeOf(rows[i].id);
      const view = await getPaymentView(app.ctx.db, p.id);
      if (rows[i].id === failing) {
        expect(row.outcome).toBe("received"); // retried after RETRY_FAILED_AFTER_S
        expect(row.processedAt).not.toBeNull();
        expect(view?.status).toBe("pending");
      } else {
        expect(row.outcome).toBe("applied");
        expect(view).toMatchObject({ status: "paid", receipt: receipt("F", i) });
      }
    }
    // Each applied callback wrote its timeline once: the rolled-back batch left nothing behind.
    const events = await app.ctx.db
      .select({ rawCallbackId: paymentEvents.rawCallbackId })
      .from(paymentEvents)
      .where(
        inArray(
          paymentEvents.rawCallbackId,
          rows.map((r) => r.id),
        ),
      );
    const perRow = new Map<number | null, number>();
    for (const e of events) perRow.set(e.rawCallbackId, (perRow.get(e.rawCallbackId) ?? 0) + 1);
    expect(perRow.get(failing)).toBeUndefined();
    for (const r of rows.filter((r) => r.id !== failing)) expect(perRow.get(r.id)).toBe(2); // callback + status change

    // Not claimed again before its retry time.
    expect(await applyStoredCallbacks(app.ctx, { limit: 25 })).toEqual({ claimed: 0, failed: 0 });
  });
});
