// The requests a server is still answering, so a shutdown can let them finish (a callback whose body is
// still arriving: Daraja does not send it again) before it closes the database. A request counts from
// its headers to the end of its answer (or its connection's).
import type { Server } from "node:http";

export type RequestsInFlight = {
  count(): number;
  /** Resolves true once no request is open, or false when `ms` pass first. */
  settled(ms: number): Promise<boolean>;
};

export function trackRequests(server: Server): RequestsInFlight {
  let open = 0;
  let waiters: (() => void)[] = [];
  server.on("request", (_req, res) => {
    open += 1;
    res.once("close", () => {
      open -= 1;
      if (open > 0) return;
      const done = waiters;
      waiters = [];
      for (const wake of done) wake();
    });
  });
  return {
    count: () => open,
    settled(ms) {
      if (open === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), ms);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
