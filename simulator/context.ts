// The one object every handler receives: credentials, live config, state, randomness, time, I/O.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Rng } from "./ids";
import type { Credentials, SimConfig, SimulatorLogger } from "./options";
import type { Scenario } from "./scenario-format";
import type { SelfTestRun } from "./self-test-page";
import type { RequestLogEntry, SimState } from "./state";

export interface Timers {
  after(ms: number, run: () => void): void;
  clear(): void;
}

export interface Sim {
  readonly creds: Credentials;
  config: SimConfig;
  state: SimState;
  rng: Rng;
  now(): number;
  log: SimulatorLogger;
  fetch: typeof fetch;
  timers: Timers;
  /** Where named scenarios come from (scenario-library.ts). */
  library: { dir: string | null; extra: Scenario[] };
  /** The current or last self-test run (self-test-page.ts). */
  selfTest: SelfTestRun | null;
  /** Aborted on close so in-flight callback deliveries do not outlive the simulator. */
  deliveries: AbortController;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  rawBody: string;
  params: string[];
  /** The request-log entry for Daraja paths; handlers add the CheckoutRequestID to it. */
  entry: RequestLogEntry | null;
}

/** Timers are unref'd (the server keeps a standalone process alive) and all cleared on reset/close. */
export function createTimers(): Timers {
  const live = new Set<NodeJS.Timeout>();
  return {
    after(ms, run) {
      const handle = setTimeout(() => {
        live.delete(handle);
        run();
      }, ms);
      handle.unref();
      live.add(handle);
    },
    clear() {
      for (const handle of live) clearTimeout(handle);
      live.clear();
    },
  };
}
