// Races over HTTP against the BUILT server on PostgreSQL: the
// database settles them, so however the requests interleave, one sum of money is counted once.
import { handsetPhone, orderRef, startSuiteServer, type BuiltServer } from "./support/server";
import {
  getPayment,
  newReceipt,
  pendingPayment,
  postStkCallback,
  processedCallbacks,
  revenue,
  successCallbackFor,
  type Payment,
} from "./support/flows";

let s: BuiltServer;
beforeAll(async () => {
  s = await startSuiteServer({
    label: "races",
    env: { POLL_FIRST_AFTER_S: "3600", POLL_GIVE_UP_AFTER_S: "7200", DATABASE_POOL_MAX: "20" },
    simConfig: { promptTimeoutMs: 600_000 },
  });
});
afterAll(async () => s?.stop());

const pushes = async () =>
  (await s.sim<{ counts: { pushes: number } }>("state?summary")).counts.pushes;

describe("concurrent callbacks", () => {
  it("50 identical success callbacks at once: one paid payment, one receipt, revenue counted once", async () => {
    const before = await revenue(s);
    const payment = await pendingPayment(s, 250);
    const receipt = newReceipt();
    const body = successCallbackFor(payment, receipt);
    const answers = await Promise.all(Array.from({ length: 50 }, () => postStkCallback(s, body)));
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(200));
    const rows = await processedCallbacks(s, payment.attempts[0].checkoutRequestId!, 50);
    expect(rows.filter((r) => r.outcome === "applied")).toHaveLength(1);
    expect(rows.filter((r) => r.outcome === "duplicate")).toHaveLength(49);
    const after = await getPayment(s, payment.id);
    expect(after).toMatchObject({ status: "paid", receipt });
    expect(after.receipts).toEqual([expect.objectContaining({ receipt, amount: 250 })]);
    expect(after.openExceptions).toEqual([]);
    expect(await revenue(s)).toEqual({
      revenueKes: before.revenueKes + 250,
      paidPayments: before.paidPayments + 1,
    });
  });

  it("two payments' success callbacks carrying one receipt, 20 pairs at once: never both paid", async () => {
    const PAIRS = 20;
    const before = await revenue(s);
    const payments = await Promise.all(Array.from({ length: PAIRS * 2 }, () => pendingPayment(s, 300)));
    const pairs = Array.from({ length: PAIRS }, (_, i) => ({
      receipt: newReceipt(),
      a: payments[2 * i],
      b: payments[2 * i + 1],
    }));
    const answers = await Promise.all(
      pairs.flatMap(({ receipt, a, b }) => [
        postStkCallback(s, successCallbackFor(a, receipt)),
        postStkCallback(s, successCallbackFor(b, receipt)),
      ]),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(PAIRS * 2).fill(200));
    await Promise.all(
      payments.map((p) => processedCallbacks(s, p.attempts[0].checkoutRequestId!, 1)),
    );
    const problems: string[] = [];
    for (const { receipt, a, b } of pairs) {
      const [x, y] = await Promise.all([getPayment(s, a.id), getPayment(s, b.id)]);
      const paid = [x, y].filter((p) => p.status === "paid");
      if (paid.length !== 1) {
        problems.push(`${receipt}: ${paid.length} of the two payments paid (${x.status}, ${y.status})`);
        continue;
      }
      const loser = paid[0] === x ? y : x;
      if (!loser.openExceptions.some((e: Payment["openExceptions"][number]) => e.type === "duplicate_receipt"))
        problems.push(`${receipt}: the unpaid payment has no open duplicate_receipt case`);
      if (paid[0].receipt !== receipt) problems.push(`${receipt}: the paid payment shows ${paid[0].receipt}`);
    }
    expect(problems).toEqual([]);
    expect(await revenue(s)).toEqual({
      revenueKes: before.revenueKes + PAIRS * 300,
      paidPayments: before.paidPayments + PAIRS,
    });
  });
});

describe("a burst of distinct callbacks (stored together by shared inserts)", () => {
  it("40 payments' success callbacks at once: each paid with its own receipt, each body stored once", async () => {
    const N = 40;
    const before = await revenue(s);
    const payments = await Promise.all(Array.from({ length: N }, () => pendingPayment(s, 120)));
    const receipts = payments.map(() => newReceipt());
    const answers = await Promise.all(
      payments.map((p, i) => postStkCallback(s, successCallbackFor(p, receipts[i]))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
    for (const [i, payment] of payments.entries()) {
      const rows = await processedCallbacks(s, payment.attempts[0].checkoutRequestId!, 1);
      expect(rows.map((r) => r.outcome)).toEqual(["applied"]);
      expect(await getPayment(s, payment.id)).toMatchObject({
        status: "paid",
        receipt: receipts[i],
      });
    }
    expect(await revenue(s)).toEqual({
      revenueKes: before.revenueKes + 120 * N,
      paidPayments: before.paidPayments + N,
    });
  });
});

describe("concurrent initiations", () => {
  it("two requests for the same order reference at once send one prompt (5 rounds)", async () => {
    for (let round = 0; round < 5; round++) {
      const before = await pushes();
      const body = JSON.stringify({ orderRef: orderRef("RACE"), amount: 120, phone: handsetPhone() });
      const answers = await Promise.all(
        [0, 1].map(() => s.api("/api/payments", { method: "POST", body })),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([201, 409]);
      const refused = answers.find((a) => a.status === 409)!;
      expect(refused.body.error.code).toBe("order_open");
      expect(refused.body.error.message).toMatch(/already has a payment waiting/);
      expect(await pushes()).toBe(before + 1);
    }
  });

  it("the same Idempotency-Key sent five times at once sends one prompt and names one payment", async () => {
    const before = await pushes();
    const key = `idem-${Date.now()}`;
    const body = JSON.stringify({ orderRef: orderRef("IDEM"), amount: 130, phone: handsetPhone() });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        s.api("/api/payments", { method: "POST", body, headers: { "Idempotency-Key": key } }),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    const busy = answers.filter((a) => a.status === 409);
    expect(created.length + busy.length, JSON.stringify(answers.map((a) => a.body))).toBe(5);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((a) => a.body.payment.id)).size).toBe(1);
    for (const a of busy) expect(a.body.error.code).toBe("idempotency_in_progress");
    expect(await pushes()).toBe(before + 1);
    // A retry after the first finished replays it: still one prompt.
    const replay = await s.api("/api/payments", {
      method: "POST",
      body,
      headers: { "Idempotency-Key": key },
    });
    expect(replay.status).toBe(201);
    expect(replay.body.payment.id).toBe(created[0].body.payment.id);
    expect(await pushes()).toBe(before + 1);
  });
});
