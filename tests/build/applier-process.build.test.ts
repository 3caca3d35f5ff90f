// The built server on PostgreSQL applies stored callbacks in a child process at a lower CPU priority
// (CALLBACK_APPLIER=process, the default there; README, "Where intake time goes", fifth pass).
// Over HTTP and /proc, as an operator would see it: one child, niced; callbacks applied by it; killed,
// it is started again and nothing acknowledged is lost; the server killed with kill -9 takes it along.
import { existsSync, readFileSync } from "node:fs";
import {
  newReceipt,
  pendingPayment,
  postStkCallback,
  settled,
  successCallbackFor,
} from "./support/flows";
import { startSuiteServer, waitFor, type BuiltServer } from "./support/server";

let s: BuiltServer;
beforeAll(async () => {
  s = await startSuiteServer({
    label: "applier-process",
    // Nothing settles these payments but their callbacks: no STK Query before the test is over.
    env: { POLL_FIRST_AFTER_S: "3600", POLL_GIVE_UP_AFTER_S: "7200" },
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
