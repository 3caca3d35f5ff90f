// The requests a server is still answering, so a shutdown can let them finish (a callback whose body is
// still arriving: Daraja does not send it again) before it closes the database. A request counts from
// its headers to the end of its answer (or its connection's). Once the server is closing, every answer
// not yet begun says `Connection: close`, so no keep-alive connection brings a request after it.
import type { ServerResponse, Server } from "node:http";

export type RequestsInFlight = {
  count(): number;
  /** From now on, answers close their connections (a shutdown began). */
  closing(): void;
  /** Resolves true once no request is open, or false when `ms` pass first. */
  settled(ms: number): Promise<boolean>;
};

export function trackRequests(server: Server): RequestsInFlight {
  const open = new Set<ServerResponse>();
  let closing = false;
  let waiters: (() => void)[] = [];
  const noKeepAlive = (res: ServerResponse) => {
    if (!res.headersSent) res.shouldKeepAlive = false;
  };
  server.on("request", (_req, res) => {
    open.add(res);
    if (closing) noKeepAlive(res);
    res.once("close", () => {
      open.delete(res);
      if (open.size > 0) return;
      const done = waiters;
      waiters = [];
      for (const wake of done) wake();
    });
  });
  return {
    count: () => open.size,
    closing() {
      closing = true;
      for (const res of open) noKeepAlive(res);
    },
    settled(ms) {
      if (open.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wake);
          resolve(false);
        }, ms);
        waiters.push(wake);
      });
    },
  };
}
