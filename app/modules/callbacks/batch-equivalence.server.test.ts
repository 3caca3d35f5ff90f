// The batch applier's set-based path for common successes (ledger/stk-successes.server.ts) must leave
// the database exactly as applying the same callbacks one at a time does. Two identical worlds are
// built in one database; one is applied as a claimed batch, the other callback by callback through
// processStkCallback; then every row either world wrote is compared, identifiers and clock times
// aside.
import { asc, inArray, or, sql } from "drizzle-orm";
import {
  exceptions,
  paymentEvents,
  payments,
  rawCallbacks,
  receipts,
  stkAttempts,
  webhookEvents,
} from "../../../db/schema";
import {
  startTestApp,
  stkCallbackBody,
  storeCallback,
  type TestApp,
} from "../../../tests/support/app";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import type { Actor } from "../auth/staff-audit.server";
import * as fastPath from "../ledger/stk-successes.server";
import { initiatePayment } from "../payments/initiate.server";
import { saveTariffVersion } from "../tariffs/tariffs.server";
import { processStkCallback } from "./intake.server";
import { applyStoredCallbacks } from "./queue.server";

const calls: { items: number; applied: number }[] = [];
vi.mock("../ledger/stk-successes.server", async (importOriginal) => {
  const real = await importOriginal<typeof fastPath>();
  return {
    ...real,
    applyStkSuccesses: async (...args: Parameters<typeof real.applyStkSuccesses>) => {
      const applied = await real.applyStkSuccesses(...args);
      calls.push({ items: args[3].length, applied: applied.size });
      return applied;
    },
  };
});

let app: TestApp;
let actor: Actor;
beforeAll(async () => {
  app = await startTestApp();
  actor = actorFor(await makeUser(app.ctx, "support"));
  // A tariff in force, so that both paths also price every receipt they record (M-Pesa's charge).
  await saveTariffVersion(app.ctx.db, actorFor(await makeUser(app.ctx, "admin")), {
    effectiveFrom: new Date("2020-01-01T00:00:00+03:00"),
    label: "Equivalence test tariff",
    paybill: [{ minKes: 1, maxKes: 1_000, chargeKes: 7 }],
    buy_goods: [{ minKes: 1, maxKes: 1_000, chargeKes: 4 }],
  });
});
afterAll(async () => app?.close());

const store = (body: string) => storeCallback(app.ctx, body);

type World = {
  tag: string;
  paymentIds: string[];
  checkoutIds: string[];
  receipts: string[];
  rawIds: number[];
};

/** A world: payments in every state the mixed batch needs, and the batch's callbacks stored. */
async function buildWorld(tag: string): Promise<World> {
  const amounts = [101, 102, 103, 104, 105, 106, 107, 108];
  const made: { id: string; checkoutRequestId: string }[] = [];
  for (const amount of amounts) {
    const p = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(`EQ${tag}`), amount, phone: PHONES.neverResolves },
      actor,
    );
    made.push({ id: p.id, checkoutRequestId: p.attempts[0].checkoutRequestId! });
  }
  const receipt = (i: number) => `QE${tag}${String(i).padStart(3, "0")}XYZW`;
  const success = (i: number, extra: { amount?: number; receipt?: string; phone?: string } = {}) =>
    stkCallbackBody({
      checkoutRequestId: made[i].checkoutRequestId,
      amount: extra.amount ?? amounts[i],
      receipt: extra.receipt ?? receipt(i),
      ...(extra.phone ? { phone: extra.phone } : {}),
    });

  // Before the batch: payment 5 is paid with receipt 5 (so a later callback naming it finds the
  // receipt taken), payment 6's attempt was cancelled (a success for it comes late).
  await processStkCallback(app.ctx, await store(success(5)));
  await processStkCallback(
    app.ctx,
    await store(
      stkCallbackBody({ checkoutRequestId: made[6].checkoutRequestId, resultCode: 1032 }),
    ),
  );

  const bodies = [
    success(0), // common
    success(1), // common
    success(2, { phone: "2547XXXXX678" }), // common, masked phone: a callback note
    success(3), // sent twice: the second is a duplicate
    success(3),
    success(4, { amount: 999 }), // not the sum asked for
    success(7, { receipt: receipt(5) }), // a receipt another payment owns
    success(6), // the attempt was cancelled before
    stkCallbackBody({ checkoutRequestId: `ws_CO_EQ_${tag}_NOBODY`, receipt: receipt(9) }), // orphan
  ];
  const rawIds = [];
  for (const body of bodies) rawIds.push((await store(body)).id);
  return {
    tag,
    paymentIds: made.map((m) => m.id),
    checkoutIds: [...made.map((m) => m.checkoutRequestId), `ws_CO_EQ_${tag}_NOBODY`],
    receipts: amounts.map((_, i) => receipt(i)).concat(receipt(9)),
    rawIds,
  };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Everything the world's callbacks wrote, with its identifiers replaced by their place in it. */
async function snapshot(world: World) {
  const db = app.ctx.db;
  const { paymentIds, receipts: receiptNumbers } = world;
  const attempts = await db
    .select()
    .from(stkAttempts)
    .where(inArray(stkAttempts.paymentId, paymentIds))
    .orderBy(asc(stkAttempts.createdAt));
  const names = new Map<string, string>();
  paymentIds.forEach((id, i) => names.set(id, `payment#${i}`));
  attempts.forEach((a) => names.set(a.id, `attempt#${paymentIds.indexOf(a.paymentId)}`));
  world.checkoutIds.forEach((id, i) => names.set(id, `checkout#${i}`));
  receiptNumbers.forEach((r, i) => names.set(r, `receipt#${i}`));
  const cases = await db
    .select()
    .from(exceptions)
    .where(
      or(
        inArray(exceptions.paymentId, paymentIds),
        inArray(exceptions.receipt, receiptNumbers),
        inArray(exceptions.rawCallbackId, world.rawIds),
      ),
    )
    .orderBy(asc(exceptions.type), asc(exceptions.dedupeKey));
  for (const c of cases)
    names.set(
      c.id,
      `case:${c.type}:${names.get(c.paymentId ?? "") ?? "-"}:${names.get(c.receipt ?? "") ?? "-"}`,
    );

  const tables = {
    payments: await db
      .select()
      .from(payments)
      .where(inArray(payments.id, paymentIds))
      .orderBy(asc(payments.amountKes)),
    // What the push wrote (its request, Daraja's answer) is not the callbacks' doing.
    attempts: attempts.map(
      ({ requestBody: _q, responseBody: _a, merchantRequestId: _m, ...attempt }) => attempt,
    ),
    receipts: await db
      .select()
      .from(receipts)
      .where(inArray(receipts.receipt, receiptNumbers))
      .orderBy(asc(receipts.receipt)),
    rawCallbacks: (
      await db
        .select()
        .from(rawCallbacks)
        .where(inArray(rawCallbacks.id, world.rawIds))
        .orderBy(asc(rawCallbacks.id))
    ).map(({ body: _body, ...row }) => row),
    // Per payment in the order written (ids interleave differently between the two worlds).
    events: await db
      .select()
      .from(paymentEvents)
      .where(inArray(paymentEvents.paymentId, paymentIds))
      .orderBy(asc(paymentEvents.paymentId), asc(paymentEvents.id)),
    webhookEvents: await db
      .select({
        type: webhookEvents.type,
        paymentId: webhookEvents.paymentId,
        payload: webhookEvents.payload,
      })
      .from(webhookEvents)
      .where(inArray(webhookEvents.paymentId, paymentIds))
      .orderBy(asc(webhookEvents.paymentId), asc(webhookEvents.seq)),
    cases,
  };
  tables.payments.forEach((p, i) => {
    names.set(p.orderRef, `order#${i}`);
    names.set(p.accountReference, `account#${i}`);
  });
  const rawNames = new Map(world.rawIds.map((id, i) => [id, `raw#${i}`]));
  // Clock times differ between the runs (each callback reads the clock); that a time is set does not.
  // Money times come from the callbacks (TransactionDate) and are kept as they are.
  const keepTime = new Set(["paidAt", "transactionAt"]);
  const name = (text: string) => {
    let out = text;
    for (const [id, label] of names) out = out.split(id).join(label);
    return out;
  };
  const named = JSON.parse(
    JSON.stringify(tables, (key, value: unknown) => {
      if (value instanceof Date || (typeof value === "string" && ISO.test(value)))
        return keepTime.has(key) ? value : "<time>";
      if ((key === "id" || key === "seq") && typeof value === "number") return "<serial>";
      if (key === "rawCallbackId" && typeof value === "number") return rawNames.get(value);
      if (typeof value === "string") return name(value);
      return value;
    }),
  ) as Record<keyof typeof tables, { paymentId?: string }[]>;
  // Rows in each payment's own order, the payments in the world's order.
  const byPayment = (rows: { paymentId?: string }[]) =>
    [...rows].sort((x, y) => String(x.paymentId).localeCompare(String(y.paymentId)));
  named.events = byPayment(named.events);
  named.webhookEvents = byPayment(named.webhookEvents);
  named.attempts = byPayment(named.attempts);
  named.cases = [...named.cases].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  return named;
}

describe("the batch applier's set-based path for common successes", () => {
  it("leaves the database as applying the same mixed batch one callback at a time does", async () => {
    const batched = await buildWorld("A");
    const oneByOne = await buildWorld("B");

    // World A: claimed and applied as the applier does (a limit that takes both worlds would mix
    // them, so world B's rows are applied first, one at a time, out of the claim's reach).
    const rowsB = await app.ctx.db
      .select()
      .from(rawCallbacks)
      .where(inArray(rawCallbacks.id, oneByOne.rawIds))
      .orderBy(sql`${rawCallbacks.checkoutRequestId}, ${rawCallbacks.id}`);
    for (const raw of rowsB) await processStkCallback(app.ctx, raw);

    calls.length = 0;
    const result = await applyStoredCallbacks(app.ctx, { limit: 25 });
    expect(result).toEqual({ claimed: batched.rawIds.length, failed: 0 });
    // Six successes were offered to the set-based path (the duplicated one and the orphan were not);
    // it applied the three common ones and left the mismatch, the taken receipt and the late one.
    expect(calls).toEqual([{ items: 6, applied: 3 }]);

    const [a, b] = [await snapshot(batched), await snapshot(oneByOne)];
    expect(a).toEqual(b);
    // And the snapshot is not empty of what matters: three paid, three receipts claimed.
    const paid = (a.payments as unknown as { status: string }[]).filter((p) => p.status === "paid");
    expect(paid).toHaveLength(5); // 0, 1, 2, 3 and 5 (paid before the batch)
    const priced = (a.receipts as unknown as { txnType: string | null; chargeKes: number | null }[])
      .filter((r) => r.chargeKes !== null)
      .map((r) => [r.txnType, r.chargeKes]);
    expect(priced.length).toBeGreaterThanOrEqual(3);
    expect(priced.every(([type, charge]) => charge === (type === "paybill" ? 7 : 4))).toBe(true);
  });
});
