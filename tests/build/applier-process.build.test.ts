// The built server on PostgreSQL applies stored callbacks in a child process at a lower CPU priority
// (CALLBACK_APPLIER=process, the default there; README, "Where intake time goes", fifth pass).
// Over HTTP and /proc, as an operator would see it: one child, niced; callbacks applied by it; killed,
// it is started again and nothing acknowledged is lost; the server killed with kill -9 takes it along;
// a burst is acknowledged first and applied right after it (burst-gate.server.ts), and the log says so.
import { existsSync, readFileSync } from "node:fs";
import postgres from "postgres";
import {
  newReceipt,
  pendingPayment,
  postStkCallback,
  settled,
  stkCallbackBody,
  successCallbackFor,
} from "./support/flows";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";

let s: BuiltServer;
beforeAll(async () => {
  s = await startSuiteServer({
    label: "applier-process",
    // Nothing settles these payments but their callbacks: no STK Query before the test is over.
    env: {
      POLL_FIRST_AFTER_S: "3600",
      POLL_GIVE_UP_AFTER_S: "7200",
      // A burst from 1 a second (500 by default): the sender below makes one even on a machine so
      // loaded that it manages a few dozen a second; info, to read the line that reports each hold.
      CALLBACK_BURST_PER_S: "1",
      LOG_LEVEL: "info",
    },
    simConfig: { promptTimeoutMs: 600_000 },
  });
});
afterAll(async () => s?.stop());

/** Running (not exited, not a zombie) child processes of `pid`, with their command line and nice. */
function childrenOf(pid: number): { pid: number; args: string[]; nice: number }[] {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .flatMap((child) => {
      const stat = alive(child);
      if (!stat) return [];
      const args = readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0");
      return [{ pid: child, args, nice: niceOf(stat) }];
    });
}

/** Fields after the command's closing parenthesis: state is the 3rd field of the line, nice the 19th. */
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);

function alive(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z") ? null : stat;
  } catch {
    return null;
  }
}

const applierOf = (pid: number) =>
  childrenOf(pid).find((c) => c.args.includes("--apply-callbacks")) ?? null;

/** The applier once it has started and lowered its priority 10 below the server's (or to 19). */
const niced = (pid: number, not?: number) => {
  const wanted = Math.min(19, niceOf(readFileSync(`/proc/${pid}/stat`, "utf8")) + 10);
  return waitFor(async () => {
    const c = applierOf(pid);
    return c && c.pid !== not && c.nice === wanted ? c : null;
  }, `the applier child at nice ${wanted}`);
};

async function payByCallback() {
  const payment = await pendingPayment(s, 120);
  const receipt = newReceipt();
  const answer = await postStkCallback(s, successCallbackFor(payment, receipt));
  expect(answer.status).toBe(200);
  const paid = await settled(s, payment.id, "paid", 15_000);
  expect(paid.receipt).toBe(receipt);
}

describe("the applier process (PostgreSQL)", () => {
  it("runs as one child of the server at a lower CPU priority, and applies the callbacks the server stores", async () => {
    await niced(s.pid);
    expect(childrenOf(s.pid).filter((c) => c.args.includes("--apply-callbacks"))).toHaveLength(1);
    await payByCallback();
  });

  it("acknowledges a burst first, then applies all of it, and logs how long applying waited", async () => {
    await niced(s.pid);
    const payments = [];
    for (const amount of [140, 141, 142]) payments.push(await pendingPayment(s, amount));
    const receipts = payments.map(() => newReceipt());
    const bodies = Array.from({ length: 600 }, (_, i) =>
      // Callbacks for attempts this app never made: stored, acknowledged, applied as orphans.
      stkCallbackBody({ checkoutRequestId: `ws_CO_BURST${i}`, resultCode: 1032 }),
    );
    payments.forEach((p, k) => bodies.splice(150 * (k + 1), 0, successCallbackFor(p, receipts[k])));
    const before = s.output().length;
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < bodies.length) statuses.push((await postStkCallback(s, bodies[next++])).status);
      }),
    );
    expect(statuses.filter((st) => st !== 200)).toEqual([]);
    expect(statuses).toHaveLength(603);
    for (const [k, p] of payments.entries())
      expect((await settled(s, p.id, "paid", 15_000)).receipt).toBe(receipts[k]);
    // The applier's log says it held off (each hold once it ends: burst quiet, or the 3 s limit).
    const holds = await waitFor(async () => {
      const lines = s
        .output()
        .slice(before)
        .split("\n")
        .filter((l) => l.startsWith("{") && l.includes('"heldMs"'))
        .map((l) => JSON.parse(l) as { heldMs: number; waiting: number; endedBy: string; process: string });
      return lines.length ? lines : null;
    }, "the applier to report a hold");
    for (const hold of holds) {
      expect(hold.process).toBe("callback-applier");
      expect(["quiet", "limit"]).toContain(hold.endedBy);
      expect(hold.heldMs).toBeLessThanOrEqual(4000); // CALLBACK_BURST_HOLD_MS: 3 s, and a late timer
    }
    expect(holds.some((h) => h.waiting > 0)).toBe(true);
    const orphan = await waitFor(async () => {
      const [row] = (
        await s.api<{ callbacks: { outcome: string }[] }>(
          "/api/callbacks?limit=1&checkoutRequestId=ws_CO_BURST599",
        )
      ).body.callbacks;
      return row && row.outcome !== "received" ? row : null;
    }, "the burst's last callback to be applied");
    expect(orphan.outcome).toBe("orphan");
    // After the burst, PostgreSQL names each process's connections: the applier's pool is sized to
    // its four workers and a sweep (not DATABASE_POOL_MAX), so an instance needs DATABASE_POOL_MAX + 5.
    const sql = postgres(s.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ name: string; n: number }[]>`select application_name as name,
        count(*)::int as n from pg_stat_activity where datname = current_database()
        and application_name like 'mpesa-console%' group by 1`;
      const open = Object.fromEntries(rows.map((r) => [r.name, r.n]));
      expect(open["mpesa-console applier"]).toBeGreaterThanOrEqual(1);
      expect(open["mpesa-console applier"]).toBeLessThanOrEqual(5);
      expect(open["mpesa-console"]).toBeGreaterThanOrEqual(1);
    } finally {
      await sql.end();
    }
  });

  it("killed, is started again by the server, and a callback acknowledged meanwhile is applied", async () => {
    const first = await niced(s.pid);
    process.kill(first.pid, "SIGKILL");
    await waitFor(async () => !alive(first.pid), "the applier to die");
    // Acknowledged while no applier runs: stored `received`, applied once the new child sweeps.
    const payment = await pendingPayment(s, 130);
    const receipt = newReceipt();
    expect((await postStkCallback(s, successCallbackFor(payment, receipt))).status).toBe(200);
    await niced(s.pid, first.pid);
    expect((await settled(s, payment.id, "paid", 15_000)).receipt).toBe(receipt);
    expect(s.output()).toMatch(/the callback applier process exited/);
    await payByCallback();
  });

  it("exits when the server is killed with kill -9, leaving no orphan to hold connections", async () => {
    // Right after a restart, while the new child may still be starting: it must notice all the same.
    const first = await niced(s.pid);
    process.kill(first.pid, "SIGKILL");
    await waitFor(async () => !alive(first.pid), "the applier to die");
    const applier = await waitFor(async () => {
      const c = applierOf(s.pid);
      return c && c.pid !== first.pid ? c : null;
    }, "a new applier child");
    process.kill(s.pid, "SIGKILL");
    await waitFor(async () => !alive(applier.pid), "the applier to exit", 10_000);
  });
});
