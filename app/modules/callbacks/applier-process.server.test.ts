// The applier child process (CALLBACK_APPLIER=process), both sides of its IPC channel, with a fake
// child and a fake process: the server wakes it once per turn of the event loop, starts it again
// when it dies (waiting longer after each quick crash), and on shutdown tells it how long to drain
// and kills it if it does not stop; the child applies at once, answers, drains, closes and exits, and
// exits when the server goes away. tests/build/applier-process.build.test.ts runs the real thing.
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import type { AppContext } from "../../context.server";
import { createLog } from "../../lib/log.server";
import {
  APPLIER_NICENESS,
  createApplierProcess,
  serveApplierProcess,
} from "./applier-process.server";
import type { CallbackApplier } from "./queue.server";

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLog(
    "info",
    new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { log, lines, messages: () => lines.map((l) => String(l.msg)) };
}

class FakeChild extends EventEmitter {
  pid: number | undefined = 4242;
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  sent: { type: string; [k: string]: unknown }[] = [];
  signals: string[] = [];
  send(message: { type: string }, callback?: (error: Error | null) => void) {
    this.sent.push(message);
    callback?.(null);
    return true;
  }
  kill(signal: string) {
    this.signals.push(signal);
    return true;
  }
  die(code: number | null, signal: NodeJS.Signals | null = null) {
    this.connected = false;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit("exit", code, signal);
  }
}

function serverSide() {
  const { log, messages } = capturedLog();
  const children: FakeChild[] = [];
  const applier = createApplierProcess({
    log,
    spawn: () => {
      const child = new FakeChild();
      children.push(child);
      return child as unknown as ChildProcess;
    },
  });
  return { applier, children, messages, latest: () => children[children.length - 1] };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("the server's side of the applier process", () => {
  afterEach(() => vi.useRealTimers());

  it("starts one child, and wakes it once per turn of the event loop, saying how many callbacks were stored", async () => {
    const { applier, children } = serverSide();
    applier.start();
    applier.start();
    expect(children).toHaveLength(1);
    for (let i = 0; i < 50; i++) applier.wake();
    await nextTurn();
    expect(children[0].sent).toEqual([{ type: "wake", stored: 50 }]);
    applier.wake();
    await nextTurn();
    expect(children[0].sent).toEqual([
      { type: "wake", stored: 50 },
      { type: "wake", stored: 1 },
    ]);
  });

  it("starts the child again when it dies, waiting longer after each quick crash, and says so", async () => {
    vi.useFakeTimers();
    const { applier, children, messages } = serverSide();
    applier.start();
    children[0].die(1);
    expect(messages()).toContainEqual(expect.stringMatching(/applier process exited/));
    applier.wake(); // no child: nothing to send to, and nothing is lost (the sweep finds the rows)
    await vi.advanceTimersByTimeAsync(999);
    expect(children).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(2);
    children[1].die(null, "SIGKILL");
    await vi.advanceTimersByTimeAsync(1999);
    expect(children).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(children).toHaveLength(3);
    // One that ran for over a minute before dying is started again after the first delay.
    await vi.advanceTimersByTimeAsync(61_000);
    children[2].die(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(4);
  });

  it("starts the child again when it could not be started at all (an error, and no exit)", async () => {
    vi.useFakeTimers();
    const { applier, children, messages } = serverSide();
    applier.start();
    children[0].pid = undefined;
    children[0].connected = false;
    children[0].emit("error", Object.assign(new Error("spawn EAGAIN"), { code: "EAGAIN" }));
    expect(messages()).toContainEqual(expect.stringMatching(/applier process exited/));
    await vi.advanceTimersByTimeAsync(1000);
    expect(children).toHaveLength(2);
    children[1].emit("error", new Error("a message could not be sent")); // running: not an exit
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(2);
  });

  it("on stop, tells the child how long to drain, answers what it reported, and starts no other", async () => {
    vi.useFakeTimers();
    const { applier, children } = serverSide();
    applier.start();
    const stopped = applier.stop({ drainMs: 5000 });
    expect(children[0].sent).toEqual([{ type: "stop", drainMs: 5000 }]);
    children[0].emit("message", { type: "stopped", drained: true });
    children[0].die(0);
    await expect(stopped).resolves.toBe(true);
    applier.wake();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(children).toHaveLength(1);
    expect(children[0].signals).toEqual([]);
  });

  it("kills a child that has not stopped by its drain time plus 3 s, and reports work may be left", async () => {
    vi.useFakeTimers();
    const { applier, children, messages } = serverSide();
    applier.start();
    let result: boolean | undefined;
    void applier.stop({ drainMs: 1000 }).then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(3999);
    expect(children[0].signals).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(children[0].signals).toEqual(["SIGKILL"]);
    expect(messages()).toContainEqual(expect.stringMatching(/did not stop in time/));
    children[0].die(null, "SIGKILL");
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBe(false);
  });

  it("reports work may be left when the child had already died at shutdown", async () => {
    const { applier, children } = serverSide();
    applier.start();
    children[0].die(1);
    await expect(applier.stop({ drainMs: 1000 })).resolves.toBe(false);
  });

  it("waits for idle until the child answers for that request, and not at all without a child", async () => {
    const { applier, children } = serverSide();
    await expect(applier.idle()).resolves.toBeUndefined(); // not started
    applier.start();
    let done = false;
    applier.wake(); // stored just now: the child must hear of it before the question
    void applier.idle().then(() => (done = true));
    await nextTurn();
    expect(children[0].sent).toEqual([
      { type: "wake", stored: 1 },
      { type: "idle", id: 1 },
    ]);
    children[0].emit("message", { type: "idle", id: 99 });
    children[0].emit("message", "idle");
    await nextTurn();
    expect(done).toBe(false);
    children[0].emit("message", { type: "idle", id: 1 });
    await nextTurn();
    expect(done).toBe(true);
  });
});

class FakeProcess extends EventEmitter {
  connected = true;
  sent: unknown[] = [];
  exits: number[] = [];
  send(message: unknown, callback?: (error: Error | null) => void) {
    if (!this.connected) throw new Error("ERR_IPC_CHANNEL_CLOSED"); // as Node does
    this.sent.push(message);
    callback?.(null);
    return true;
  }
  exit(code: number) {
    this.exits.push(code);
    return undefined as never;
  }
}

function childSide(options: { inherited?: number; refuseNice?: boolean; orphan?: boolean } = {}) {
  const { log, messages } = capturedLog();
  const calls: string[] = [];
  let drained = true;
  const queue: CallbackApplier = {
    start: (o) => void calls.push(`start ${o?.sweepMs}`),
    wake: () => void calls.push("wake"),
    idle: async () => void calls.push("idle"),
    stop: async ({ drainMs }) => {
      calls.push(`stop ${drainMs}`);
      return drained;
    },
  };
  const proc = new FakeProcess();
  proc.connected = !options.orphan;
  const nice: number[] = [];
  const priority = {
    get: () => options.inherited ?? 0,
    set: (n: number) => {
      if (options.refuseNice) throw new Error("EACCES");
      nice.push(n);
    },
  };
  let closed = 0;
  const stored: number[] = [];
  const gate = { stored: (count: number) => void stored.push(count) };
  serveApplierProcess(
    { log, callbackQueue: queue } as unknown as AppContext,
    { close: async () => void (closed += 1) },
    { proc: proc as unknown as NodeJS.Process, priority, gate },
  );
  return {
    proc,
    calls,
    stored,
    nice,
    messages,
    closed: () => closed,
    leaveWork: () => (drained = false),
  };
}

const settled = async () => {
  for (let i = 0; i < 5; i++) await nextTurn();
};

describe("the child's side of the applier process", () => {
  it("lowers its priority below the server's and sweeps at once (start-up recovery), then every second", () => {
    const { calls, nice } = childSide();
    expect(nice).toEqual([APPLIER_NICENESS]);
    expect(APPLIER_NICENESS).toBeGreaterThan(0);
    expect(calls).toEqual(["start 1000"]);
    expect(childSide({ inherited: 5 }).nice).toEqual([5 + APPLIER_NICENESS]);
    expect(childSide({ inherited: 15 }).nice).toEqual([19]); // the lowest there is
  });

  it("still applies, with a warning, where its priority cannot be lowered", () => {
    const { calls, messages } = childSide({ refuseNice: true });
    expect(calls).toEqual(["start 1000"]);
    expect(messages()).toContainEqual(expect.stringMatching(/could not lower/));
  });

  it("applies on a wake-up, tells its burst gate how many were stored, answers idle with the request's id, and ignores anything else", async () => {
    const { proc, calls, stored } = childSide();
    proc.emit("message", { type: "wake", stored: 12 });
    proc.emit("message", { type: "wake", stored: "many" }); // at least one was stored
    proc.emit("message", { type: "wake", stored: 5_000_000 }); // bounded
    proc.emit("message", { type: "wake", stored: 1e308 }); // not a count: at least one
    proc.emit("message", { type: "idle", id: 7 });
    proc.emit("message", "wake");
    proc.emit("message", { type: "format-disk" });
    await settled();
    expect(calls).toEqual(["start 1000", "wake", "wake", "wake", "wake", "idle"]);
    expect(stored).toEqual([12, 1, 1_000_000, 1]);
    expect(proc.sent).toEqual([{ type: "idle", id: 7 }]);
  });

  it("on stop, drains for the time given, reports whether anything was left, closes and exits", async () => {
    const { proc, calls, closed, leaveWork } = childSide();
    leaveWork();
    proc.emit("message", { type: "stop", drainMs: 2500 });
    proc.emit("message", { type: "stop", drainMs: 2500 });
    await settled();
    expect(calls).toEqual(["start 1000", "stop 2500"]);
    expect(proc.sent).toEqual([{ type: "stopped", drained: false }]);
    expect(closed()).toBe(1);
    expect(proc.exits).toEqual([0]);
  });

  it("exits without draining when the server goes away without a word (kill -9)", async () => {
    const { proc, calls, closed } = childSide();
    proc.connected = false;
    proc.emit("disconnect");
    await settled();
    expect(calls).toEqual(["start 1000", "stop 0"]);
    expect(proc.sent).toEqual([]);
    expect(closed()).toBe(1);
    expect(proc.exits).toEqual([0]);
  });

  it("exits at once when the server was gone before it started listening", async () => {
    const { proc, calls, closed } = childSide({ orphan: true });
    await settled();
    expect(calls).toEqual(["start 1000", "stop 0"]);
    expect(closed()).toBe(1);
    expect(proc.exits).toEqual([0]);
  });

  it("does not crash answering a server that went away meanwhile", async () => {
    const { proc, calls } = childSide();
    proc.emit("message", { type: "idle", id: 3 });
    proc.connected = false;
    await settled();
    expect(calls).toEqual(["start 1000", "idle"]);
    expect(proc.sent).toEqual([]);
  });

  it("ignores SIGTERM while the server is there to say how long to drain, and obeys it once it is not", async () => {
    const { proc, calls } = childSide();
    proc.emit("SIGTERM");
    await settled();
    expect(proc.exits).toEqual([]);
    proc.connected = false;
    proc.emit("SIGTERM");
    await settled();
    expect(calls).toEqual(["start 1000", "stop 0"]);
    expect(proc.exits).toEqual([0]);
  });
});
