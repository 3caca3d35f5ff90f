// Applying stored callbacks in a child process at a lower CPU priority (CALLBACK_APPLIER=process, the
// default on PostgreSQL). The server's thread then only stores and acknowledges; under a burst the
// operating system runs the acknowledgements first and applies in the time left over, so Daraja gets
// its answers quickly and nothing waits long (README, "Where intake time goes", fifth pass).
//
// The child is the same server.ts started with --apply-callbacks: it builds its own context from the
// same environment and runs the ordinary applier (queue.server.ts) on it, with its own connections.
// Nothing is handed over in memory: the raw log is the queue, so a wake-up that is lost, or a child
// that dies, costs a little time and nothing else (its rows stay `received`; every sweep finds them).
// The server starts it again if it exits, and it exits when the server goes away.
import type { ChildProcess } from "node:child_process";
import { getPriority, setPriority } from "node:os";
import type { Database } from "../../../db/client";
import type { AppContext } from "../../context.server";
import type { Log } from "../../lib/log.server";
import type { BurstGate } from "./burst-gate.server";
import type { CallbackApplier } from "./queue.server";

/** How much nicer than the server the child is, so acknowledging wins the CPU when both want it. */
export const APPLIER_NICENESS = 10;

type ToApplier =
  | { type: "wake"; stored: number }
  | { type: "idle"; id: number }
  | { type: "stop"; drainMs: number };
type FromApplier = { type: "idle"; id: number } | { type: "stopped"; drained: boolean };

const isMessage = (m: unknown): m is { type: string } =>
  typeof m === "object" && m !== null && typeof (m as { type?: unknown }).type === "string";

/** The server's side: a CallbackApplier whose work is done by a child process it keeps running. */
export function createApplierProcess(options: {
  log: Log;
  /** Starts the child with an IPC channel (server.ts: fork of itself with --apply-callbacks). */
  spawn: () => ChildProcess;
  /** First restart delay; doubles per quick crash up to 30 s. */
  restartMs?: number;
}): CallbackApplier {
  const { log } = options;
  const restartMs = options.restartMs ?? 1000;
  let child: ChildProcess | null = null;
  let started = false;
  let stopping = false;
  let wakeQueued = false;
  let storedSinceWake = 0;
  let quickCrashes = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  let nextId = 0;
  const idleWaiters = new Map<number, () => void>();
  let onStopped: ((drained: boolean) => void) | null = null;

  const send = (message: ToApplier) => {
    // A child that is exiting may refuse the message; it is started again, and its sweep finds the work.
    if (child?.connected) child.send(message, () => {});
  };

  const sendQueuedWake = () => {
    if (!wakeQueued) return;
    wakeQueued = false;
    const stored = storedSinceWake;
    storedSinceWake = 0;
    send({ type: "wake", stored });
  };

  const launch = () => {
    restartTimer = null;
    const startedAt = Date.now();
    let c: ChildProcess;
    try {
      c = options.spawn();
    } catch (error) {
      log.error({ err: error }, "the callback applier process could not be started");
      scheduleRestart(startedAt);
      return;
    }
    child = c;
    log.info({ pid: c.pid }, "callback applier process started");
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone) return;
      gone = true;
      if (child === c) child = null;
      for (const resolve of idleWaiters.values()) resolve();
      idleWaiters.clear();
      if (stopping) {
        onStopped?.(false);
        return;
      }
      log.error(
        { code, signal },
        "the callback applier process exited; callbacks it had not applied stay received, and it is started again",
      );
      scheduleRestart(startedAt);
    };
    c.on("message", (message: unknown) => {
      if (!isMessage(message)) return;
      const m = message as FromApplier;
      if (m.type === "idle") {
        idleWaiters.get(m.id)?.();
        idleWaiters.delete(m.id);
      } else if (m.type === "stopped") onStopped?.(m.drained);
    });
    c.on("error", (error) => {
      log.error({ err: error }, "callback applier process error");
      // A process that could not be started (EAGAIN, EMFILE, ...) reports this and never "exit".
      if (c.pid === undefined) onGone(null, null);
    });
    c.once("exit", onGone);
  };

  const scheduleRestart = (startedAt: number) => {
    if (stopping) return;
    quickCrashes = Date.now() - startedAt > 60_000 ? 0 : quickCrashes + 1;
    const delay = Math.min(30_000, restartMs * 2 ** Math.max(0, quickCrashes - 1));
    restartTimer = setTimeout(launch, delay);
    restartTimer.unref();
  };

  return {
    wake() {
      // One message per turn of the event loop, however many callbacks were stored in it; it says how
      // many, so the child can tell a burst (burst-gate.server.ts).
      if (stopping || !child) return;
      storedSinceWake += 1;
      if (wakeQueued) return;
      wakeQueued = true;
      setImmediate(sendQueuedWake);
    },
    idle() {
      if (!child?.connected) return Promise.resolve();
      sendQueuedWake(); // what was stored just now comes before the question
      const id = ++nextId;
      return new Promise<void>((resolve) => {
        idleWaiters.set(id, resolve);
        send({ type: "idle", id });
      });
    },
    start() {
      if (started) return;
      started = true;
      launch();
    },
    async stop({ drainMs }) {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return false;
      const drained = await new Promise<boolean>((resolve) => {
        // The child's own drain is bounded by drainMs; this bound covers a child that is stuck.
        const kill = setTimeout(() => {
          log.warn("the callback applier process did not stop in time; killing it");
          c.kill("SIGKILL");
          resolve(false);
        }, drainMs + 3000);
        kill.unref();
        onStopped = (value) => {
          clearTimeout(kill);
          resolve(value);
        };
        if (c.connected) c.send({ type: "stop", drainMs } satisfies ToApplier, () => {});
        else c.kill("SIGTERM");
      });
      // Wait for the exit itself (bounded): its connections close with it.
      if (c.exitCode === null && c.signalCode === null)
        await new Promise<void>((resolve) => {
          const giveUp = setTimeout(() => {
            c.kill("SIGKILL");
            resolve();
          }, 2000);
          giveUp.unref();
          c.once("exit", () => {
            clearTimeout(giveUp);
            resolve();
          });
        });
      return drained;
    },
  };
}

/**
 * The child's side: lower its own priority, apply (start-up sweep, then every second and on every
 * wake-up), answer `idle`, and on `stop` drain for at most the given time, close and exit. If the
 * server goes away without a word (kill -9), the IPC channel closes and the child exits too.
 */
export function serveApplierProcess(
  ctx: AppContext,
  database: Pick<Database, "close">,
  io: {
    proc?: Pick<NodeJS.Process, "on" | "send" | "connected" | "exit">;
    priority?: { get(): number; set(nice: number): void };
    /** The burst gate the context's applier asks (server.ts); told of every callback stored. */
    gate?: Pick<BurstGate, "stored">;
  } = {},
): void {
  const proc = io.proc ?? process;
  const priority = io.priority ?? { get: () => getPriority(), set: (n) => setPriority(n) };
  try {
    // Relative to what it inherited (the server's), so a server run under `nice` keeps the gap.
    priority.set(Math.min(19, priority.get() + APPLIER_NICENESS));
  } catch (error) {
    ctx.log.warn({ err: error }, "could not lower the callback applier's priority");
  }
  const queue = ctx.callbackQueue;
  queue.start({ sweepMs: 1000 });
  let exiting = false;
  // The server may be gone by the time an answer is ready: then there is no one to tell.
  const reply = (message: FromApplier) => {
    if (proc.connected) proc.send?.(message, () => {});
  };
  const exit = async (drainMs: number, report: boolean) => {
    if (exiting) return;
    exiting = true;
    const drained = await queue.stop({ drainMs });
    if (report) reply({ type: "stopped", drained });
    await Promise.race([database.close().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
    proc.exit(0);
  };
  proc.on("message", (message: unknown) => {
    if (!isMessage(message) || exiting) return;
    const m = message as ToApplier;
    if (m.type === "wake") {
      const n = Number(m.stored);
      io.gate?.stored(
        Number.isSafeInteger(n) && n > 0 ? Math.min(n, 1_000_000) : 1,
        performance.now(),
      );
      queue.wake();
    } else if (m.type === "idle") void queue.idle().then(() => reply({ type: "idle", id: m.id }));
    else if (m.type === "stop") void exit(Math.max(0, Number(m.drainMs) || 0), true);
  });
  proc.on("disconnect", () => void exit(0, false));
  // The server may have gone while this process was starting, before anyone listened for that.
  if (!proc.connected) void exit(0, false);
  // The server handles SIGTERM/SIGINT and tells the child to stop; a signal sent to the whole process
  // group must not end the child before it has been told how long to drain. Without a server, the
  // signal is obeyed.
  const onSignal = () => {
    if (!proc.connected) void exit(0, false);
  };
  proc.on("SIGTERM", onSignal);
  proc.on("SIGINT", onSignal);
}
