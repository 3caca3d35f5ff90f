// The process `npm start` runs: migrate, (in simulator mode) start the Daraja simulator and seed demo
// data, schedule the poller, and serve the Remix build with one log line per request.
// Everything of the app comes from the build (build.entry.module.serverRuntime, see
// app/server-runtime.server.ts): importing app/ here too would load a second copy of its modules,
// and errors thrown by one copy would not be recognised by the other.
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import { fork } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import type * as ServerRuntime from "./app/server-runtime.server";

const APPLIER_FLAG = "--apply-callbacks";

async function main() {
  const build = (await import(new URL("./build/index.js", import.meta.url).href)) as ServerBuild;
  const runtime = (build.entry.module as { serverRuntime?: typeof ServerRuntime }).serverRuntime;
  if (!runtime) throw new Error("build/index.js is out of date: run `npm run build`");
  const {
    configFromProcessEnv,
    ConfigError,
    createContext,
    CLIENT_IP_HEADER,
    guardLostDatabase,
    seedDemoData,
    startJobs,
    createSimulator,
    securityHeaders,
    jsonAnswerHeaders,
    matchHookRequest,
    serveHook,
    pathForLog,
    createApplierProcess,
    serveApplierProcess,
    createBurstGate,
    createLog,
    trackRequests,
  } = runtime;

  let config;
  try {
    config = configFromProcessEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  if (process.argv.includes(APPLIER_FLAG)) {
    // The applier child (CALLBACK_APPLIER=process): applies stored callbacks, serves nothing.
    const log = createLog(config.logLevel).child({ process: "callback-applier" });
    const gate = createBurstGate(
      { maxHoldMs: config.callbackBurstHoldMs, burstPerSecond: config.callbackBurstPerSecond },
      (hold) =>
        log.info(
          hold,
          hold.endedBy === "quiet"
            ? "a burst of callbacks was acknowledged first; applying them now"
            : "applying resumes during a burst of callbacks: the hold limit (CALLBACK_BURST_HOLD_MS) was reached",
        ),
    );
    const { ctx, database } = await createContext(config, {
      log,
      migrate: false,
      applyGate: gate,
      applierChild: true,
    });
    guardLostDatabase(log, () => process.exit(1));
    serveApplierProcess(ctx, database, { gate });
    return;
  }

  const simulator = config.simulator.start
    ? createSimulator({
        shortcode: config.mpesa.shortcode,
        passkey: config.mpesa.passkey,
        consumerKey: config.mpesa.consumerKey,
        consumerSecret: config.mpesa.consumerSecret,
      })
    : null;
  if (simulator) await simulator.listen(config.simulator.port, "127.0.0.1");

  const log = createLog(config.logLevel);
  // Stored callbacks are applied by a child at a lower CPU priority (PostgreSQL's default), so that
  // under a burst the acknowledgements go first (callbacks/applier-process.server.ts).
  const callbackApplier =
    config.callbackApplier === "process"
      ? createApplierProcess({
          log,
          spawn: () =>
            fork(fileURLToPath(import.meta.url), [APPLIER_FLAG], {
              execArgv: process.execArgv,
              stdio: ["ignore", "inherit", "inherit", "ipc"],
            }),
        })
      : undefined;
  const { ctx, database } = await createContext(config, { log, callbackApplier });
  log.info(
    {
      driver: database.driver,
      environment: config.mpesa.environment,
      daraja: config.mpesa.baseUrl,
    },
    "database ready",
  );
  if (config.seedDemoData) {
    const seeded = await seedDemoData(ctx);
    if (seeded.created) {
      process.stdout.write(`\nDemo data created. Sign in at ${config.publicUrl}/login with:\n`);
      for (const u of seeded.logins)
        process.stdout.write(`  ${u.role.padEnd(8)} ${u.email}  password: ${u.password}\n`);
      process.stdout.write("\n");
    }
  }

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(
    securityHeaders({
      // HSTS and a CSP without live reload: everywhere but a plain-http rehearsal on the simulator.
      production: config.hardened,
      trustProxy: config.mpesa.trustProxy,
    }),
  );
  // Static assets first: served without a log line each (a page load would otherwise log a dozen).
  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));
  // One log line per request, the path only: callback tokens live in the path of /hooks (any letter
  // case), so pathForLog cuts there. Static files (the JS/CSS build, favicon) only at debug: a page
  // load is one line, not twenty.
  const logRequest = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? "").split("?")[0];
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const asset = /^\/(build\/|favicon)/.test(path) && res.statusCode < 400;
      log[asset ? "debug" : "info"](
        {
          method: req.method,
          path: pathForLog(path),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        "request",
      );
    });
  };
  app.use((req, res, next) => {
    // The socket address, fixed by us; TRUST_PROXY decides elsewhere whether X-Forwarded-For wins.
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "unknown";
    logRequest(req, res);
    next();
  });
  app.all("*", createRequestHandler({ build, getLoadContext: () => ctx }));
  // What fails before Remix's own error handling (its adapter refuses a full URL as the request
  // target, say) is logged as Remix logs errors, not printed by express with the path in it.
  app.use(
    (error: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (res.headersSent) return next(error);
      log.error(
        { err: error, request: { method: req.method, path: pathForLog(req.originalUrl) } },
        "unexpected error",
      );
      res
        .status(500)
        .json({ error: { code: "internal", message: "Something went wrong on our side." } });
    },
  );

  // Daraja's webhooks are the path that takes bursts: a POST to one of the hook routes' own paths is
  // answered straight from node:http (callbacks/hook-http.server.ts: the same answerHook as the
  // routes, the same log line, helmet's headers worked out once), a few times cheaper than through
  // express and Remix. Every other request goes to express.
  const hookHeaders = jsonAnswerHeaders({ production: config.hardened });
  const server = createServer((req, res) => {
    const hook = matchHookRequest(req);
    if (!hook) return void app(req, res);
    logRequest(req, res);
    void serveHook(ctx, hook, req, res, hookHeaders);
  });
  const requests = trackRequests(server);
  server.listen(config.port, config.host, () => {
    if (simulator)
      process.stdout.write(
        `Virtual handset (approve prompts as the customer): http://127.0.0.1:${config.simulator.port}/handset\n`,
      );
    log.info(
      {
        url: config.publicUrl,
        simulator: simulator ? `http://127.0.0.1:${config.simulator.port}/handset` : null,
      },
      "console listening",
    );
  });
  const jobs = startJobs(ctx);

  // Graceful and bounded: stop accepting, let the requests being answered finish (a callback whose body
  // is still arriving) and the jobs finish their tick, apply stored callbacks, all within about
  // SHUTDOWN_DRAIN_S (callbacks not applied by then stay `received` for the next instance's sweep),
  // close, exit. A
  // database that has gone away cannot hold the process: every wait has a bound, and a last timer
  // exits whatever is still pending.
  const drainMs = config.shutdownDrainSeconds * 1000;
  const atMost = <T>(ms: number, work: Promise<T>) =>
    Promise.race([work.catch(() => undefined), new Promise<undefined>((r) => setTimeout(r, ms))]);
  let stopping = false;
  let exitCode = 0;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      process.stderr.write("shutdown did not finish in time; exiting\n");
      process.exit(1);
    }, drainMs + 15_000).unref();
    log.info({ signal, drainSeconds: config.shutdownDrainSeconds }, "shutting down");
    requests.closing();
    server.close();
    server.closeIdleConnections();
    const started = Date.now();
    const left = () => Math.max(0, drainMs - (Date.now() - started));
    await atMost(5_000, jobs.stop());
    // Answers say `Connection: close` now, so once these are done no connection brings another.
    const answered = await requests.settled(left());
    if (!answered)
      log.warn({ open: requests.count() }, "drain time is up: closing requests still open");
    server.closeAllConnections();
    const drained = await ctx.callbackQueue.stop({ drainMs: left() });
    log.info(
      { drained },
      drained
        ? "stored callbacks applied; exiting"
        : "drain time is up: callbacks still stored as received are applied by the next sweep",
    );
    await atMost(2_000, simulator?.close() ?? Promise.resolve());
    await atMost(2_000, database.close());
    process.exit(exitCode);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // The driver's uncatchable error when the database goes away mid-query: the graceful path, exit 1.
  guardLostDatabase(log, () => {
    exitCode = 1;
    void stop("lost database connection");
  });
}

main().catch((error) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
