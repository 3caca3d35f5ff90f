// Work that follows an acknowledged callback: the raw row is already durable, so Daraja gets its 200
// at once and translation/application runs here, a few at a time. Anything the queue cannot take
// (too many waiting, or the process dies) stays `received` and the recovery job picks it up.
import type { Log } from "../../lib/log.server";

export type WorkQueue = {
  /** False when the queue is full: the caller leaves the work to the recovery job. */
  push(task: () => Promise<unknown>): boolean;
  /** Resolves once nothing is waiting or running (tests, graceful shutdown). */
  idle(): Promise<void>;
  readonly size: number;
};

export function createWorkQueue(options: {
  concurrency: number;
  maxWaiting: number;
  log: Log;
  name: string;
}): WorkQueue {
  const waiting: (() => Promise<unknown>)[] = [];
  let running = 0;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running === 0 && waiting.length === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  const pump = () => {
    while (running < options.concurrency && waiting.length > 0) {
      const task = waiting.shift()!;
      running += 1;
      void task()
        .catch((error) =>
          options.log.error(
            { err: error, queue: options.name },
            "queued work failed; the recovery job will retry it",
          ),
        )
        .finally(() => {
          running -= 1;
          pump();
          settleIdle();
        });
    }
  };

  return {
    push(task) {
      if (waiting.length >= options.maxWaiting) return false;
      waiting.push(task);
      pump();
      return true;
    },
    idle() {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    get size() {
      return running + waiting.length;
    },
  };
}
