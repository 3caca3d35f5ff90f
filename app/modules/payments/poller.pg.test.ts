// Several instances on one PostgreSQL database (docs/daraja.md#stk-query): each due attempt is
// asked about exactly once (counted at the simulator), the query budget is shared, and each cron
// tick is run by one instance. Each instance here is its own context with its own connection pool,
// as a process would be.
import { eq, like } from "drizzle-orm";
import { loadConfig, testDatabaseUrl } from "../../config.server";
import { createContext, type AppContext } from "../../context.server";
import { testLog } from "../../../tests/support/log";
import { openDatabase, rowsOf, type Database } from "../../../db/client";
import { jobLeases, pollerRuns, stkAttempts } from "../../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../../../tests/support/app";
import { insertDueAttempts } from "../../../tests/support/due-attempts";
import { startPollPending } from "../../../jobs/poll-pending";
import { sweepDuePayments } from "./poller.server";
import { createLeaseCoordinator } from "./run-coordinator.server";

describe("several poller instances on one database", () => {
  let app: TestApp;
  let other: { ctx: AppContext; database: Database };

  beforeEach(async () => {
    app = await startTestApp({ env: { POLL_MAX_QPS: "200" } });
    // A second "process": same database and simulator, its own pool and instance id.
    const [{ name }] = rowsOf<{ name: string }>(
      await app.ctx.db.execute("select current_database() as name"),
    );
    const url = new URL(testDatabaseUrl()!);
    url.pathname = `/${name}`;
    const database = await openDatabase({ databaseUrl: url.toString(), poolMax: 10 });
    const config = loadConfig({
      NODE_ENV: "test",
      MPESA_ENVIRONMENT: "simulator",
      DARAJA_BASE_URL: app.simulatorUrl,
      PUBLIC_URL: app.appUrl,
      MPESA_CALLBACK_TOKEN: "test-callback-token",
      POLL_MAX_QPS: "200",
    });
    other = await createContext(config, { database, migrate: false, log: testLog() });
  });
  afterEach(async () => {
    await other?.ctx.callbackQueue.stop({ drainMs: 5000 });
    await other?.database.close();
    await app?.close();
  });

  it("two pollers sweeping 200 due attempts at once ask about each exactly once, within one shared rate", async () => {
    const { checkoutRequestIds } = await app.control("transactions", {
      count: 200,
      outcome: "lost_callback",
    });
    await insertDueAttempts(app.ctx.db, checkoutRequestIds);

    const started = performance.now();
    const [a, b] = await Promise.all([
      sweepDuePayments(app.ctx, { trigger: "schedule" }),
      sweepDuePayments(other.ctx, { trigger: "schedule" }),
    ]);
    const elapsedMs = performance.now() - started;

    expect(a.queried + b.queried).toBe(200);
    expect(a.queried).toBeGreaterThan(0);
    expect(b.queried).toBeGreaterThan(0);
    expect(a.errors + b.errors).toBe(0);
    const perId = app.simulator.snapshot().queriesByCheckoutRequestId;
    expect(Object.keys(perId)).toHaveLength(200);
    expect(Object.values(perId).every((n) => n === 1)).toBe(true);
    // 200 queries at 200 a second across both instances cannot take much less than a second.
    expect(elapsedMs).toBeGreaterThan(900);

    const attempts = await app.ctx.db
      .select({
        status: stkAttempts.status,
        claimedBy: stkAttempts.pollClaimedBy,
        polls: stkAttempts.pollCount,
      })
      .from(stkAttempts);
    expect(
      attempts.every((x) => x.status === "paid" && x.claimedBy === null && x.polls === 1),
    ).toBe(true);
    expect(await sweepDuePayments(other.ctx, { trigger: "schedule" })).toMatchObject({
      due: 0,
      queried: 0,
    });
  });

  it("an instance whose clock runs ten minutes fast does not take another's live claims", async () => {
    const { checkoutRequestIds } = await app.control("transactions", {
      count: 10,
      outcome: "lost_callback",
    });
    await insertDueAttempts(app.ctx.db, checkoutRequestIds);
    // Each STK Query answer takes 4 s, so this instance holds its claims while the other sweeps (1.5 s
    // was too short on a loaded machine: an answer could come in before the other instance counted).
    await app.control("config", { latencyMs: 4000 });
    const first = sweepDuePayments(app.ctx, { trigger: "schedule" });
    await waitFor(
      async () => {
        const rows = await app.ctx.db.select({ by: stkAttempts.pollClaimedBy }).from(stkAttempts);
        return rows.length === 10 && rows.every((r) => r.by === app.ctx.instanceId) ? true : null;
      },
      5000,
      "the first instance to claim all ten",
    );
    const fast = await createContext(other.ctx.config, {
      database: other.database,
      migrate: false,
      log: testLog(),
      now: () => new Date(Date.now() + 10 * 60_000),
    });
    try {
      const sweep = await sweepDuePayments(fast.ctx, { trigger: "schedule" });
      // Due by its own clock (all ten unless an answer came in first), and none of them asked again.
      expect(sweep.due).toBeGreaterThan(0);
      expect(sweep.queried).toBe(0);
    } finally {
      await fast.ctx.callbackQueue.stop({ drainMs: 1000 });
    }
    expect(await first).toMatchObject({ queried: 10, errors: 0 });
    const perId = app.simulator.snapshot().queriesByCheckoutRequestId;
    expect(Object.values(perId)).toEqual(Array(10).fill(1));
  });

  it("a rate limit met by one instance pauses the other too", async () => {
    const { checkoutRequestIds } = await app.control("transactions", {
      count: 4,
      outcome: "lost_callback",
    });
    await insertDueAttempts(app.ctx.db, checkoutRequestIds);
    await app.control("next-query", { response: "quota" });
    const limited = await sweepDuePayments(app.ctx, { trigger: "schedule", limit: 1 });
    expect(limited).toMatchObject({ queried: 1, backoffUntil: expect.any(Date) });
    expect(await sweepDuePayments(other.ctx, { trigger: "schedule" })).toMatchObject({
      status: "skipped",
      queried: 0,
    });
    expect(app.simulator.snapshot().counts.queries).toBe(1);
  });

  it("the run coordinator elects exactly one instance per tick, and takes over a lapsed lease", async () => {
    const mine = createLeaseCoordinator(app.ctx.db, app.ctx.instanceId);
    const theirs = createLeaseCoordinator(other.ctx.db, other.ctx.instanceId);
    for (let tick = 0; tick < 20; tick++) {
      const key = `poll-pending:${new Date(Date.UTC(2026, 0, 1, 0, 0, tick * 15)).toISOString()}`;
      const votes = await Promise.all([mine.shouldRun(key, 60_000), theirs.shouldRun(key, 60_000)]);
      expect(votes.filter(Boolean)).toHaveLength(1);
      // A finished tick is not run again by a late instance.
      await mine.onComplete?.(key);
      expect(await theirs.shouldRun(key, 60_000)).toBe(votes[1]);
    }
    const crashed = "poll-pending:2026-01-02T00:00:00.000Z";
    expect(await mine.shouldRun(crashed, 50)).toBe(true);
    expect(await theirs.shouldRun(crashed, 60_000)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(await theirs.shouldRun(crashed, 60_000)).toBe(true);
  });

  it("two scheduled jobs run each tick once between them", async () => {
    const everySecond = (ctx: AppContext): AppContext => ({
      ...ctx,
      config: { ...ctx.config, poller: { ...ctx.config.poller, schedule: "* * * * * *" } },
    });
    const jobs = [startPollPending(everySecond(app.ctx)), startPollPending(everySecond(other.ctx))];
    try {
      await waitFor(
        async () => (await app.ctx.db.select().from(pollerRuns)).length >= 3,
        6000,
        "three scheduled runs",
      );
    } finally {
      await Promise.all(jobs.map((j) => j.stop()));
    }
    const runs = await app.ctx.db
      .select()
      .from(pollerRuns)
      .where(eq(pollerRuns.trigger, "schedule"));
    const ticks = await app.ctx.db
      .select()
      .from(jobLeases)
      .where(like(jobLeases.key, "poll-pending:%"));
    expect(runs.length).toBe(ticks.length);
    // A tick elected just as stop() aborts records itself as skipped ("stopping"); nothing fails.
    expect(
      runs.filter(
        (r) => !(r.status === "ok" || (r.status === "skipped" && r.error === "stopping")),
      ),
    ).toEqual([]);
    expect(new Set(ticks.map((t) => t.holder))).toEqual(new Set(runs.map((r) => r.instance)));
  });
});
