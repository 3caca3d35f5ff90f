// The Daraja-compatible simulator as a node:http handler, runnable in-process on its own port
// (`createSimulator().listen(0)`) or standalone via main.ts. Routing, the request log and the
// lifecycle live here; each endpoint is a module of its own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleRegisterUrl } from "./c2b";
import { readClock } from "./clock";
import { createTimers, type Exchange, type Sim } from "./context";
import { CONTROL_ROUTES, type ControlHooks } from "./control";
import { ERRORS, sendDarajaError } from "./daraja-errors";
import { renderHandsetPage } from "./handset-page";
import { readBody, sendControlError, sendHtml } from "./http-io";
import { createRng } from "./ids";
import { handleAccountBalance, handleReversal, handleTransactionStatus } from "./initiator";
import { handleOauth } from "./oauth";
import {
  resolveConfig,
  resolveCredentials,
  resolveSeed,
  silentLogger,
  type SimulatorOptions,
} from "./options";
import { handleStkQuery } from "./query";
import { snapshot, type SimSnapshot } from "./snapshot";
import { appendCapped, createState, type RequestLogEntry } from "./state";
import { handleStkPush } from "./stk";
import { defaultScenarioDir } from "./scenario-library";
import { handleSelfTestPage } from "./self-test-page";

export interface Simulator {
  listen(port?: number, host?: string): Promise<{ url: string }>;
  close(): Promise<void>;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** The same picture as GET /__sim/state, for in-process callers. */
  snapshot(): SimSnapshot;
  /** The listening URL, or null before listen(). */
  readonly url: string | null;
}

interface Route {
  method: string;
  pattern: RegExp;
  run: (sim: Sim, ex: Exchange) => void | Promise<void>;
}

const DARAJA_ROUTES: Route[] = [
  { method: "GET", pattern: /^\/oauth\/v1\/generate$/, run: handleOauth },
  { method: "POST", pattern: /^\/mpesa\/stkpush\/v1\/processrequest$/, run: handleStkPush },
  { method: "POST", pattern: /^\/mpesa\/stkpushquery\/v1\/query$/, run: handleStkQuery },
  { method: "POST", pattern: /^\/mpesa\/c2b\/v1\/registerurl$/, run: handleRegisterUrl("v1") },
  { method: "POST", pattern: /^\/mpesa\/c2b\/v2\/registerurl$/, run: handleRegisterUrl("v2") },
  {
    method: "POST",
    pattern: /^\/mpesa\/transactionstatus\/v1\/query$/,
    run: handleTransactionStatus,
  },
  { method: "POST", pattern: /^\/mpesa\/reversal\/v1\/request$/, run: handleReversal },
  { method: "POST", pattern: /^\/mpesa\/accountbalance\/v1\/query$/, run: handleAccountBalance },
];

const isControlPath = (path: string) => path.startsWith("/__sim/");
const isPagePath = (path: string) => path === "/" || path === "/handset" || path === "/selftest";

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const seed = resolveSeed(options);
  const sim: Sim = {
    creds: resolveCredentials(options),
    config: resolveConfig(options),
    state: createState(),
    rng: createRng(seed),
    now: () => readClock(sim.config.clock),
    log: options.logger ?? silentLogger,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timers: createTimers(),
    deliveries: new AbortController(),
    library: {
      dir: options.scenarioDir === undefined ? defaultScenarioDir() : options.scenarioDir,
      extra: options.scenarios ?? [],
    },
    selfTest: null,
  };
  const hooks: ControlHooks = {
    reset(restoreConfig) {
      sim.timers.clear();
      sim.state = createState(sim.state.tokens);
      // Re-seeding makes "reset, then run the scenario" produce the same IDs every time.
      sim.rng = createRng(seed);
      if (restoreConfig) sim.config = resolveConfig(options);
    },
  };
  const routes: Route[] = [
    ...DARAJA_ROUTES,
    ...CONTROL_ROUTES.map((r) => ({ ...r, run: (s: Sim, ex: Exchange) => r.run(s, ex, hooks) })),
  ];
  const handler = (req: IncomingMessage, res: ServerResponse) => void handle(sim, routes, req, res);

  let server: Server | null = null;
  let url: string | null = null;
  return {
    handler,
    snapshot: () => snapshot(sim),
    get url() {
      return url;
    },
    async listen(port = 0, host = "127.0.0.1") {
      const s = createServer(handler);
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(port, host, () => resolve());
      });
      const { port: bound } = s.address() as AddressInfo;
      const shownHost =
        host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
      url = `http://${shownHost}:${bound}`;
      sim.log.info("simulator listening", { url });
      return { url };
    },
    async close() {
      sim.timers.clear();
      sim.deliveries.abort();
      sim.deliveries = new AbortController();
      const s = server;
      server = null;
      url = null;
      if (!s) return;
      // Hung pushes hold sockets open on purpose; close must not wait for their clients.
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}

async function handle(
  sim: Sim,
  routes: Route[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://simulator.local");
  const method = req.method ?? "GET";
  const path = url.pathname;
  const ex: Exchange = { req, res, url, rawBody: "", params: [], entry: null };
  if (!isControlPath(path) && !isPagePath(path)) {
    const entry: RequestLogEntry = {
      method,
      path,
      status: null,
      checkoutRequestId: null,
      at: new Date(sim.now()).toISOString(),
    };
    ex.entry = entry;
    appendCapped(sim.state.requests, entry);
    res.on("finish", () => {
      entry.status = res.statusCode;
    });
  }
  try {
    ex.rawBody = method === "GET" || method === "HEAD" ? "" : await readBody(req);
    if (method === "GET" && path === "/") {
      res.writeHead(302, { Location: "/handset" }).end();
      return;
    }
    if (method === "GET" && path === "/handset")
      return sendHtml(res, renderHandsetPage(sim, url.searchParams.get("phone")));
    if (path === "/selftest" && (method === "GET" || method === "POST"))
      return await handleSelfTestPage(sim, ex);
    const candidates = routes.filter((r) => r.pattern.test(path));
    const route = candidates.find((r) => r.method === method);
    if (route) {
      ex.params = route.pattern.exec(path)?.slice(1) ?? [];
      return await route.run(sim, ex);
    }
    if (isControlPath(path))
      return sendControlError(res, candidates.length ? 405 : 404, "no_route", `${method} ${path}`);
    sendDarajaError(sim, ex, candidates.length ? ERRORS.methodNotAllowed : ERRORS.resourceNotFound);
  } catch (err) {
    sim.log.warn("request failed", {
      path,
      error: err instanceof Error ? err.message : String(err),
    });
    if (!res.headersSent) sendDarajaError(sim, ex, ERRORS.internal);
  }
}
