// The poller when M-Pesa itself (or our access to it) is failing rather than answering about a
// payment: the first such answer pauses every instance through the shared back-off and ends the
// sweep, Retry-After is honoured, "still processing" answers never pause, and an outage longer than
// the give-up time uses none of it: the payments stay pending and settle once M-Pesa answers again.
// STK Query goes through the real client to the simulator, except while a test breaks it here.
import { eq, inArray } from "drizzle-orm";
import { exceptions, jobLeases, paymentEvents, stkAttempts } from "../../../db/schema";
import { startTestApp, type TestApp } from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { classifyQueryResponse } from "../daraja/errors";
import { sweepDuePayments, type SweepSummary } from "./poller.server";
import { getPaymentView } from "./queries.server";

type Breakage = { status: number; body: string; headers?: Record<string, string> } | "network";
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Breakage => ({
  status,
  body: JSON.stringify(body),
  headers: { "Content-Type": "application/json", ...headers },
});
const INTERNAL_ERROR = json(
  500,
  { requestId: "7a1f-44c2", errorCode: "500.003.1001", errorMessage: "Internal Server Error" },
  { "Retry-After": "120" },
);

let app: TestApp;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
/** While set, STK Query answers this (only for `only`, when given) instead of reaching M-Pesa. */
let broken: { answer: Breakage; only?: string } | null = null;
let brokenAnswers = 0;

beforeAll(async () => {
  app = await startTestApp({
    now: clock,
    env: { POLL_FIRST_AFTER_S: "30", POLL_GIVE_UP_AFTER_S: "300", POLL_MAX_QPS: "50" },
    fetch: async (input, init) => {
      const asked = String(input).includes("/stkpushquery/")
        ? (JSON.parse(String(init?.body)) as { CheckoutRequestID: string }).CheckoutRequestID
        : null;
      if (asked && broken && (!broken.only || broken.only === asked)) {
        brokenAnswers++;
        const { answer } = broken;
        if (answer === "network")
          throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
        return new Response(answer.body, { status: answer.status, headers: answer.headers });
      }
      return fetch(input, init);
    },
  });
});
afterAll(async () => app?.close());
beforeEach(async () => {
  await app.ctx.db
    .update(stkAttempts)
    .set({ nextPollAt: null, pollClaimedBy: null, pollClaimedUntil: null });
  await app.ctx.db.delete(jobLeases);
  await app.control("reset");
  await app.control("config", { clock: { offsetMs } });
  broken = null;
  brokenAnswers = 0;
});

async function advance(seconds: number) {
  offsetMs += Math.ceil(seconds * 1000);
  await app.control("config", { clock: { offsetMs } });
}
const sweep = () => sweepDuePayments(app.ctx, { trigger: "cli" });
const secondsUntil = (d: Date) => (d.getTime() - clock().getTime()) / 1000;
async function bulk(count: number, outcome: string, extra: Record<string, unknown> = {}) {
  const { checkoutRequestIds } = await app.control("transactions", { count, outcome, ...extra });
  return insertDueAttempts(app.ctx.db, checkoutRequestIds, {
    createdAt: clock(),
    nextPollAt: clock(),
  });
}
const attemptsOf = (due: { attemptId: string }[]) =>
  app.ctx.db
    .select()
    .from(stkAttempts)
    .where(
      inArray(
        stkAttempts.id,
        due.map((d) => d.attemptId),
      ),
    );
const casesOf = (due: { paymentId: string }[]) =>
  app.ctx.db
    .select()
    .from(exceptions)
    .where(
      inArray(
        exceptions.paymentId,
        due.map((d) => d.paymentId),
      ),
    );

describe("an answer that says M-Pesa is failing", () => {
  it("30 HTTP 500 500.003.1001 with Retry-After: the first pauses every instance, the rest are handed back unasked, and nothing is asked until the pause ends", async () => {
    const due = await bulk(30, "lost_callback");
    broken = { answer: INTERNAL_ERROR };
    const run = await sweep();
    // Only the queries already in flight when the first answer came (one per worker at most).
    expect(run.queried).toBeGreaterThanOrEqual(1);
    expect(run.queried).toBeLessThanOrEqual(8);
    expect(run).toMatchObject({ status: "ok", due: 30, errors: run.queried, gaveUp: 0 });
    expect(run.released).toBe(30 - run.queried);
    expect(brokenAnswers).toBe(run.queried);
    expect(run.backoffUntil).not.toBeNull();
    expect(secondsUntil(run.backoffUntil!)).toBeGreaterThan(13);
    const [lease] = await app.ctx.db.select().from(jobLeases).where(eq(jobLeases.key, "poller"));
    expect(lease.backoffUntil).toEqual(run.backoffUntil);

    const attempts = await attemptsOf(due);
    expect(attempts.every((a) => a.status === "pending" && a.pollClaimedBy === null)).toBe(true);
    // Still due: asked again as soon as the pause is over.
    expect(attempts.every((a) => a.nextPollAt && a.nextPollAt <= clock())).toBe(true);
    const asked = attempts.filter((a) => a.pollCount === 1);
    expect(asked).toHaveLength(run.queried);
    expect(asked.every((a) => a.lastPollAnswer === "error: 500.003.1001")).toBe(true);
    const [event] = await app.ctx.db
      .select()
      .from(paymentEvents)
      .where(eq(paymentEvents.attemptId, asked[0].id));
    expect(event.summary).toMatch(/M-Pesa unavailable .*does not count toward giving up/);

    // The next sweep before the pause ends asks nothing.
    await advance(10);
    expect(await sweep()).toMatchObject({ status: "skipped", queried: 0 });
    expect(brokenAnswers).toBe(run.queried);

    broken = null;
    await advance(secondsUntil(run.backoffUntil!) + 1);
    expect(await sweep()).toMatchObject({ status: "ok", queried: 30, changed: 30, gaveUp: 0 });
  });

  it("honours Retry-After, in seconds or as an HTTP date, for at most ten minutes", async () => {
    await bulk(1, "lost_callback");
    const failing = (retryAfter: string) =>
      vi
        .spyOn(app.ctx.daraja, "stkQuery")
        .mockImplementation(async () =>
          classifyQueryResponse(
            500,
            { errorCode: "500.003.1001", errorMessage: "Internal Server Error" },
            retryAfter,
          ),
        );
    const pausedFor = async (retryAfter: string) => {
      await app.ctx.db.delete(jobLeases);
      const spy = failing(retryAfter);
      try {
        const run = await sweep();
        expect(run.queried).toBe(1);
        return Math.round(secondsUntil(run.backoffUntil!));
      } finally {
        spy.mockRestore();
      }
    };
    expect(await pausedFor("120")).toBe(120);
    // An HTTP date has whole seconds: within one of 200.
    const dated = await pausedFor(new Date(clock().getTime() + 200_000).toUTCString());
    expect(Math.abs(dated - 200)).toBeLessThanOrEqual(1);
    expect(await pausedFor("86400")).toBe(600);
    // Shorter than our own first pause: ours stands.
    expect(await pausedFor("2")).toBe(15);
  });

  it.each<[string, Breakage]>([
    ["an HTML gateway page with HTTP 200", { status: 200, body: "<!DOCTYPE html><html></html>" }],
    ["an empty HTTP 503", { status: 503, body: "" }],
    [
      "wrong credentials",
      json(500, {
        requestId: "x",
        errorCode: "500.001.1001",
        errorMessage: "[MerchantValidate] - Wrong credentials",
      }),
    ],
    ["a 401 without a code", { status: 401, body: "" }],
    ["a network failure", "network"],
  ])("%s pauses the sweep too, and the payments stay due", async (_name, answer) => {
    const due = await bulk(3, "lost_callback");
    broken = { answer };
    const run = await sweep();
    expect(run.backoffUntil).not.toBeNull();
    expect(run.queried + run.released).toBe(3);
    expect(run.released).toBeGreaterThan(0);
    const attempts = await attemptsOf(due);
    expect(attempts.every((a) => a.status === "pending" && a.nextPollAt! <= clock())).toBe(true);
  });
});

describe("still processing", () => {
  it("HTTP 200 4999 and HTTP 500 'being processed' book the next check as before and pause nothing; a 500.003.1001 pauses the sweep", async () => {
    const [answers4999] = await bulk(1, "pending_4999", { pendingMs: 120_000 });
    await advance(1);
    const [beingProcessed] = await bulk(1, "never");

    const first = await sweep();
    expect(first).toMatchObject({ queried: 2, errors: 0, changed: 0, gaveUp: 0 });
    expect(first.backoffUntil).toBeNull();
    const byId = new Map((await attemptsOf([answers4999, beingProcessed])).map((a) => [a.id, a]));
    for (const d of [answers4999, beingProcessed]) {
      const a = byId.get(d.attemptId)!;
      expect(a).toMatchObject({
        status: "pending",
        pollCount: 1,
        lastPollAnswer: "still processing",
      });
      expect(secondsUntil(a.nextPollAt!)).toBeGreaterThan(10); // 15 s ± 20 %
    }

    // The next payment's query meets an internal error: that one pauses the sweep.
    await advance(1);
    const [failing] = await bulk(1, "lost_callback");
    broken = { answer: INTERNAL_ERROR, only: failing.checkoutRequestId };
    const second = await sweep();
    expect(second).toMatchObject({ queried: 1, errors: 1, changed: 0, gaveUp: 0 });
    expect(second.backoffUntil).not.toBeNull();
    const [unanswered] = await attemptsOf([failing]);
    expect(unanswered.nextPollAt!.getTime()).toBeLessThanOrEqual(clock().getTime());
  });
});

describe("an outage longer than the give-up time", () => {
  it("uses none of it: the payments stay pending, are asked again once M-Pesa answers and settle; one still processing gives up only after M-Pesa has answered about it for the give-up time", async () => {
    const settles = await bulk(3, "lost_callback");
    const [stuck] = await bulk(1, "never");
    const all = [...settles, stuck];
    broken = { answer: INTERNAL_ERROR };

    // Twenty minutes of M-Pesa failing, the poller ticking as the schedule would.
    const start = clock().getTime();
    const runs: SweepSummary[] = [];
    while (clock().getTime() - start < 20 * 60_000) {
      const run = await sweep();
      runs.push(run);
      await advance(run.backoffUntil ? secondsUntil(run.backoffUntil) + 1 : 15);
    }
    // Asked again after each pause (15 s doubling to 5 min: six or seven times in 20 minutes).
    expect(runs.filter((r) => r.queried > 0).length).toBeGreaterThanOrEqual(4);
    expect(runs.every((r) => r.gaveUp === 0)).toBe(true);
    expect(await casesOf(all)).toEqual([]);
    for (const a of await attemptsOf(all)) {
      expect(a).toMatchObject({ status: "pending" });
      expect(a.nextPollAt).not.toBeNull();
      expect(a.pollOutageS).toBeGreaterThan(19 * 60);
    }

    // M-Pesa answers again: every payment is asked, the settled ones settle.
    broken = null;
    expect(await sweep()).toMatchObject({ queried: 4, changed: 3, gaveUp: 0 });
    for (const d of settles)
      expect((await getPaymentView(app.ctx.db, d.paymentId))!.status).toBe("paid");
    const backAt = clock().getTime();
    expect((await getPaymentView(app.ctx.db, stuck.paymentId))!.status).toBe("pending");

    // The one still processing gives up once M-Pesa has answered about it for the give-up time.
    let gaveUpAt: number | null = null;
    while (gaveUpAt === null && clock().getTime() - backAt < 10 * 60_000) {
      await advance(61);
      if ((await sweep()).gaveUp) gaveUpAt = clock().getTime();
    }
    expect(gaveUpAt).not.toBeNull();
    expect((gaveUpAt! - backAt) / 1000).toBeGreaterThanOrEqual(240);
    const view = (await getPaymentView(app.ctx.db, stuck.paymentId))!;
    expect(view.status).toBe("unknown");
    const [x] = await casesOf([stuck]);
    expect(x).toMatchObject({ type: "unknown_outcome" });
    expect(x.summary).toMatch(/not counting \d+ s while M-Pesa was unavailable/);
  });
});

describe("credentials M-Pesa keeps refusing", () => {
  it("pause the sweep but count toward giving up: the payment becomes unknown with a case, as before", async () => {
    const [d] = await bulk(1, "never");
    broken = {
      answer: json(500, {
        requestId: "x",
        errorCode: "500.001.1001",
        errorMessage: "[MerchantValidate] - Wrong credentials",
      }),
    };
    const start = clock().getTime();
    let gaveUp = 0;
    while (!gaveUp && clock().getTime() - start < 15 * 60_000) {
      const run = await sweep();
      gaveUp += run.gaveUp;
      await advance(run.backoffUntil ? secondsUntil(run.backoffUntil) + 1 : 15);
    }
    expect(gaveUp).toBe(1);
    const [attempt] = await attemptsOf([d]);
    expect(attempt.pollOutageS).toBe(0);
    expect((await getPaymentView(app.ctx.db, d.paymentId))!.status).toBe("unknown");
    expect((await casesOf([d])).map((c) => c.type)).toEqual(["unknown_outcome"]);
    const notes = await app.ctx.db
      .select()
      .from(paymentEvents)
      .where(eq(paymentEvents.paymentId, d.paymentId));
    expect(notes.map((n) => n.summary).join("\n")).toMatch(/refused our access.*counts toward/);
  });
});
