// The poller against the simulator: lost callbacks recovered, "being processed" and 4999 waits with
// growing gaps, giving up into unknown, the sweep-wide pause after a rate limit, shutdown mid-sweep,
// a dead instance's claims, and a failing sweep recorded as failed. The clock is the test's: the app
// and the simulator move forward together.
import { and, eq, inArray, sql } from "drizzle-orm";
import { exceptions, jobLeases, paymentEvents, pollerRuns, stkAttempts } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { actorFor, makeUser, orderRef, PHONES } from "../../../tests/support/factories";
import { expectLoggedError } from "../../../tests/support/log";
import type { Actor } from "../auth/staff-audit.server";
import { initiatePayment } from "./initiate.server";
import { countDueAttempts, leaseFromNow, listPollerRuns, sweepDuePayments } from "./poller.server";
import { getPaymentView } from "./queries.server";

let app: TestApp;
let actor: Actor;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  app = await startTestApp({
    now: clock,
    env: { POLL_FIRST_AFTER_S: "30", POLL_GIVE_UP_AFTER_S: "300", POLL_MAX_QPS: "2" },
  });
  actor = actorFor(await makeUser(app.ctx, "support"));
});
afterAll(async () => app?.close());
// One app per file (PGlite takes seconds to start): each test begins with nothing due and no pause.
beforeEach(async () => {
  await app.ctx.db
    .update(stkAttempts)
    .set({ nextPollAt: null, pollClaimedBy: null, pollClaimedUntil: null });
  await app.ctx.db.delete(jobLeases);
  await app.control("reset");
});

async function advance(seconds: number) {
  offsetMs += seconds * 1000;
  await app.control("config", { clock: { offsetMs } }); // Daraja checks our Timestamp against its own clock
}
const sweep = () => sweepDuePayments(app.ctx, { trigger: "cli" });
const attemptOf = async (paymentId: string) =>
  (await app.ctx.db.select().from(stkAttempts).where(eq(stkAttempts.paymentId, paymentId)))[0];
const queries = () => app.simulator.snapshot().counts.queries;
const settledAtSimulator = (checkoutRequestId: string) =>
  waitFor(
    () =>
      app.simulator
        .snapshot()
        .prompts?.find((p) => p.checkoutRequestId === checkoutRequestId && p.status !== "pending"),
    3000,
    "the simulated payment",
  );
async function bulk(count: number, outcome: string, extra: Record<string, unknown> = {}) {
  const { checkoutRequestIds } = await app.control("transactions", { count, outcome, ...extra });
  return insertDueAttempts(app.ctx.db, checkoutRequestIds, {
    createdAt: clock(),
    nextPollAt: clock(),
  });
}

describe("a lost callback", () => {
  it("is recovered by the poller: paid on the query's 0, receipt pending, until a late callback brings it", async () => {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 150, phone: PHONES.lostCallback },
      actor,
    );
    const checkoutRequestId = payment.attempts[0].checkoutRequestId!;
    await settledAtSimulator(checkoutRequestId);

    expect(await sweep()).toMatchObject({ status: "ok", due: 0, queried: 0 }); // not before POLL_FIRST_AFTER_S
    await advance(31);
    expect(await countDueAttempts(app.ctx)).toBe(1);
    const run = await sweep();
    expect(run).toMatchObject({ status: "ok", due: 1, queried: 1, changed: 1, errors: 0 });

    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view).toMatchObject({ status: "paid", receipt: null, receiptPending: true });
    expect(view.attempts[0]).toMatchObject({
      status: "paid",
      pollCount: 1,
      nextPollAt: null,
      lastPollAnswer: expect.stringMatching(/^0 /),
    });
    expect(view.timeline.find((e) => e.type === "query")).toMatchObject({
      actorType: "poller",
      summary: expect.stringContaining("receipt pending"),
    });
    const [row] = await app.ctx.db.select().from(pollerRuns).where(eq(pollerRuns.id, run.runId!));
    expect(row).toMatchObject({
      status: "ok",
      trigger: "cli",
      due: 1,
      queried: 1,
      changed: 1,
      errors: 0,
      instance: app.ctx.instanceId,
    });
    expect(row.finishedAt).not.toBeNull();

    await app.control(`callbacks/${checkoutRequestId}/resend`);
    const withReceipt = await waitFor(
      async () => {
        const p = await getPaymentView(app.ctx.db, payment.id);
        return p?.receipt ? p : null;
      },
      3000,
      "the receipt",
    );
    expect(withReceipt).toMatchObject({
      status: "paid",
      receiptPending: false,
      receipt: expect.stringMatching(/^[A-Z0-9]{10}$/),
    });
  });
});

describe("answers that are not final", () => {
  it("asks again after 'being processed' with growing gaps, then applies the success", async () => {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 90, phone: PHONES.lostCallback },
      actor,
    );
    await settledAtSimulator(payment.attempts[0].checkoutRequestId!);
    await app.control("next-query", { response: "pending", times: 3 });

    const gaps: number[] = [];
    for (const wait of [31, 20, 40, 75]) {
      await advance(wait);
      expect((await sweep()).queried).toBe(1);
      const attempt = await attemptOf(payment.id);
      if (attempt.nextPollAt)
        gaps.push((attempt.nextPollAt.getTime() - attempt.lastPolledAt!.getTime()) / 1000);
    }
    // 15 s, 30 s, 60 s, each ±20 % jitter
    expect(gaps).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(12);
    expect(gaps[0]).toBeLessThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(24);
    expect(gaps[2]).toBeGreaterThanOrEqual(48);
    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view).toMatchObject({ status: "paid", receiptPending: true });
    expect(view.attempts[0]).toMatchObject({ pollCount: 4, nextPollAt: null });
    const polls = view.timeline.filter((e) => e.type === "poll");
    expect(polls).toHaveLength(3);
    expect(polls.every((e) => e.actorType === "poller" && /still processing/.test(e.summary))).toBe(
      true,
    );
  });

  it("reads the 2026 form (HTTP 200, ResultCode 4999) as 'still processing'", async () => {
    const [due] = await bulk(1, "pending_4999", { pendingMs: 800 });
    expect(await sweep()).toMatchObject({ queried: 1, changed: 0 });
    const waiting = await attemptOf(due.paymentId);
    expect(waiting).toMatchObject({
      status: "pending",
      pollCount: 1,
      lastPollAnswer: "still processing",
    });
    expect(waiting.nextPollAt!.getTime()).toBeGreaterThan(clock().getTime() + 10_000);

    await settledAtSimulator(due.checkoutRequestId);
    await advance(20);
    expect(await sweep()).toMatchObject({ queried: 1, changed: 1 });
    expect((await getPaymentView(app.ctx.db, due.paymentId))!.status).toBe("paid");
  });

  it("gives up after POLL_GIVE_UP_AFTER_S: attempt and payment unknown, with an unknown_outcome exception", async () => {
    const payment = await initiatePayment(
      app.ctx,
      { orderRef: orderRef(), amount: 75, phone: PHONES.neverResolves },
      actor,
    );
    await advance(31);
    expect(await sweep()).toMatchObject({ queried: 1, gaveUp: 0 });
    await advance(300);
    expect(await sweep()).toMatchObject({ queried: 1, gaveUp: 1, changed: 1 });

    const view = (await getPaymentView(app.ctx.db, payment.id))!;
    expect(view.status).toBe("unknown");
    expect(view.attempts[0]).toMatchObject({
      status: "unknown",
      nextPollAt: null,
      pollCount: 2,
      lastPollAnswer: "still processing",
    });
    const [x] = await app.ctx.db
      .select()
      .from(exceptions)
      .where(eq(exceptions.paymentId, payment.id));
    expect(x).toMatchObject({
      type: "unknown_outcome",
      status: "open",
      dedupeKey: `unknown_outcome:${view.attempts[0].id}:poll`,
      amountAtStakeKes: 75,
    });
    expect(x.details).toMatchObject({
      stage: "poll",
      lastAnswer: "still processing",
      pollCount: 2,
    });
    expect(view.timeline.find((e) => e.type === "poll_gave_up")).toMatchObject({
      actorType: "poller",
    });
    expect(await sweep()).toMatchObject({ due: 0, queried: 0 }); // nothing left to ask
  });
});

describe("Daraja's rate limit", () => {
  it("pauses the whole sweep after a Spike Arrest, asks nothing until the pause ends, and doubles a repeat pause", async () => {
    const due = await bulk(3, "lost_callback");
    await app.control("next-query", { response: "spike_arrest" });
    const limited = await sweep();
    expect(limited).toMatchObject({ status: "ok", queried: 1, released: 2 });
    expect((limited.backoffUntil!.getTime() - clock().getTime()) / 1000).toBeGreaterThan(13);
    const [lease] = await app.ctx.db.select().from(jobLeases).where(eq(jobLeases.key, "poller"));
    expect(lease.backoffUntil).toEqual(limited.backoffUntil);
    const attempts = await app.ctx.db
      .select()
      .from(stkAttempts)
      .where(
        inArray(
          stkAttempts.id,
          due.map((d) => d.attemptId),
        ),
      );
    expect(attempts.map((a) => a.pollCount).sort()).toEqual([0, 0, 1]); // the unasked two are not counted
    expect(attempts.every((a) => a.pollClaimedBy === null && a.status === "pending")).toBe(true);
    expect(attempts.find((a) => a.pollCount === 1)!.lastPollAnswer).toBe("rate limited");

    expect(await sweep()).toMatchObject({ status: "skipped", queried: 0 });
    expect(queries()).toBe(1);

    await advance(16);
    expect(await sweep()).toMatchObject({ status: "ok", queried: 3, changed: 3 });

    // A gateway 429 soon after: the next pause is twice as long.
    await bulk(1, "lost_callback");
    await app.control("next-query", { response: "http_429" });
    const again = await sweep();
    expect(again.queried).toBe(1);
    expect((again.backoffUntil!.getTime() - clock().getTime()) / 1000).toBeGreaterThan(27);
  });
});

describe("stopping and dying mid-sweep", () => {
  it("finishes the query in flight, hands the other claims back and counts nothing it did not ask", async () => {
    const due = await bulk(12, "lost_callback");
    const stop = new AbortController();
    const running = sweepDuePayments(app.ctx, { trigger: "schedule", signal: stop.signal });
    await waitFor(() => queries() >= 2, 5000, "two queries");
    stop.abort();
    const run = await running;
    expect(run.queried).toBeLessThan(12);
    expect(run.queried).toBe(queries());
    const attempts = await app.ctx.db
      .select()
      .from(stkAttempts)
      .where(
        inArray(
          stkAttempts.id,
          due.map((d) => d.attemptId),
        ),
      );
    expect(attempts.filter((a) => a.pollClaimedBy !== null)).toEqual([]);
    expect(attempts.filter((a) => a.status === "paid")).toHaveLength(run.queried);
    expect(
      attempts
        .filter((a) => a.status === "pending")
        .every((a) => a.pollCount === 0 && a.nextPollAt !== null),
    ).toBe(true);
    const [row] = await app.ctx.db.select().from(pollerRuns).where(eq(pollerRuns.id, run.runId!));
    expect(row.status).toBe("ok");
  });

  it("asks about an attempt a dead instance had claimed once that claim's lease has lapsed by the database's clock", async () => {
    const [due] = await bulk(1, "lost_callback");
    const leaseFor = (ms: number) =>
      app.ctx.db
        .update(stkAttempts)
        .set({ pollClaimedBy: "dead-instance", pollClaimedUntil: leaseFromNow(ms) })
        .where(eq(stkAttempts.id, due.attemptId));
    await leaseFor(60_000);
    expect(await sweep()).toMatchObject({ due: 1, queried: 0 });
    // This instance's clock running a minute ahead does not end another's lease.
    await advance(61);
    expect(await sweep()).toMatchObject({ due: 1, queried: 0 });
    // A lease that lapses by the database's clock does.
    await leaseFor(300);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await sweep()).toMatchObject({ queried: 1, changed: 1 });
    expect(await attemptOf(due.paymentId)).toMatchObject({ status: "paid", pollClaimedBy: null });
  });
});

describe("a failing sweep", () => {
  it("is recorded as failed with the error, and the sweep returns instead of throwing", async () => {
    expectLoggedError(/poller run failed: .*disk full/);
    await bulk(1, "lost_callback");
    // The database refuses the claim, as it would when full or read-only.
    await app.ctx.db.execute(
      sql.raw(
        `create or replace function poller_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'disk full (test)'; end $$`,
      ),
    );
    await app.ctx.db.execute(
      sql.raw(
        `create trigger poller_test_refuse before update of poll_claimed_by on stk_attempts for each row execute function poller_test_refuse()`,
      ),
    );
    try {
      const run = await sweep();
      expect(run).toMatchObject({
        status: "failed",
        queried: 0,
        error: expect.stringContaining("disk full"),
      });
      const [latest] = await listPollerRuns(app.ctx.db, 1);
      expect(latest).toMatchObject({
        id: run.runId,
        status: "failed",
        error: expect.stringContaining("disk full"),
      });
    } finally {
      await app.ctx.db.execute(sql.raw(`drop trigger poller_test_refuse on stk_attempts`));
    }
    expect(await sweep()).toMatchObject({ status: "ok", queried: 1 });
    const events = await app.ctx.db
      .select()
      .from(paymentEvents)
      .where(and(eq(paymentEvents.actorType, "poller"), eq(paymentEvents.type, "query")));
    expect(events.length).toBeGreaterThan(0);
  });
});
