// The scheduled poller as the server runs it: stop() (SIGTERM) mid-sweep leaves nothing claimed and
// nothing half-written, and a sweep that fails is recorded while the schedule carries on.
import { desc, eq, sql } from "drizzle-orm";
import type { AppContext } from "../app/context.server";
import { pollerRuns, stkAttempts } from "../db/schema";
import { startTestApp, waitFor, type TestApp } from "../tests/support/app";
import { insertDueAttempts } from "../tests/support/due-attempts";
import { expectLoggedError } from "../tests/support/log";
import { startPollPending } from "./poll-pending";

let app: TestApp;
let ctx: AppContext;

beforeAll(async () => {
  app = await startTestApp({ env: { POLL_MAX_QPS: "2" } });
  ctx = {
    ...app.ctx,
    config: { ...app.ctx.config, poller: { ...app.ctx.config.poller, schedule: "* * * * * *" } },
  };
});
afterAll(async () => app?.close());

const queries = () => app.simulator.snapshot().counts.queries;
const latestRun = async () =>
  (await app.ctx.db.select().from(pollerRuns).orderBy(desc(pollerRuns.id)).limit(1))[0];
async function due(count: number) {
  const { checkoutRequestIds } = await app.control("transactions", {
    count,
    outcome: "lost_callback",
  });
  return insertDueAttempts(app.ctx.db, checkoutRequestIds);
}

it("stops mid-sweep on SIGTERM: the query in flight finishes, the rest are handed back, nothing stays claimed", async () => {
  await due(12); // at 2 queries a second, a sweep of six seconds
  const job = startPollPending(ctx);
  await waitFor(() => queries() >= 2, 5000, "the sweep to be under way");
  await job.stop();
  const asked = queries();

  const attempts = await app.ctx.db.select().from(stkAttempts);
  expect(attempts.filter((a) => a.pollClaimedBy !== null)).toEqual([]);
  expect(asked).toBeLessThan(12);
  expect(attempts.filter((a) => a.status === "paid")).toHaveLength(asked); // every answer received was recorded
  expect(attempts.filter((a) => a.status === "pending").every((a) => a.pollCount === 0)).toBe(true);
  expect((await latestRun()).status).toBe("ok");
  expect(
    await app.ctx.db.select().from(pollerRuns).where(eq(pollerRuns.status, "running")),
  ).toEqual([]);

  await new Promise((r) => setTimeout(r, 1200));
  expect(queries()).toBe(asked); // no tick after stop()
});

it("records a failing sweep as failed and keeps the schedule running", async () => {
  expectLoggedError(/poller run failed: .*read-only/);
  await app.ctx.db.update(stkAttempts).set({ nextPollAt: null });
  await due(1);
  await app.ctx.db.execute(
    sql.raw(
      `create or replace function poller_job_refuse() returns trigger language plpgsql as $$ begin raise exception 'database is read-only (test)'; end $$`,
    ),
  );
  await app.ctx.db.execute(
    sql.raw(
      `create trigger poller_job_refuse before update of poll_claimed_by on stk_attempts for each row execute function poller_job_refuse()`,
    ),
  );
  const job = startPollPending(ctx);
  try {
    const failed = await waitFor(
      async () => {
        const run = await latestRun();
        return run?.status === "failed" ? run : null;
      },
      5000,
      "a failed run",
    );
    expect(failed).toMatchObject({
      trigger: "schedule",
      error: expect.stringContaining("read-only"),
    });
    await app.ctx.db.execute(sql.raw(`drop trigger poller_job_refuse on stk_attempts`));
    await waitFor(
      async () =>
        (await app.ctx.db.select().from(pollerRuns).where(eq(pollerRuns.queried, 1))).length > 0,
      5000,
      "a later run that worked",
    );
  } finally {
    await app.ctx.db.execute(sql.raw(`drop trigger if exists poller_job_refuse on stk_attempts`));
    await job.stop();
  }
});
