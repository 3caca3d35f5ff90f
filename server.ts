// The process `npm start` runs: migrate, (in simulator mode) start the Daraja simulator and seed demo
// data, schedule the poller, and serve the Remix build with one log line per request.
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import { configFromProcessEnv, ConfigError } from "./app/config.server";
import { createContext } from "./app/context.server";
import { CLIENT_IP_HEADER } from "./app/lib/http.server";
import { seedDemoData } from "./db/seed";
import { startJobs } from "./jobs";
import { createSimulator } from "./simulator/server";

async function main() {
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

  const simulator = config.simulator.start
    ? createSimulator({
        shortcode: config.mpesa.shortcode,
        passkey: config.mpesa.passkey,
        consumerKey: config.mpesa.consumerKey,
        consumerSecret: config.mpesa.consumerSecret,
      })
    : null;
  if (simulator) await simulator.listen(config.simulator.port, "127.0.0.1");

  const { ctx, database } = await createContext(config);
  const log = ctx.log;
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

  const build = (await import(new URL("./build/index.js", import.meta.url).href)) as ServerBuild;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use((req, res, next) => {
    // The socket address, fixed by us; TRUST_PROXY decides elsewhere whether X-Forwarded-For wins.
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "unknown";
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: callback tokens live in the path of /hooks, so those are cut to their prefix.
      const path = req.path.startsWith("/hooks/")
        ? req.path.split("/").slice(0, 4).join("/") + "/…"
        : req.path;
      // Static files (the JS/CSS build, favicon) only at debug: a page load is one line, not twenty.
      const asset = /^\/(build\/|favicon)/.test(req.path) && res.statusCode < 400;
      log[asset ? "debug" : "info"](
        { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        "request",
      );
    });
    next();
  });
  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y" }));
  app.use(express.static("public", { maxAge: "1h" }));
  app.all("*", createRequestHandler({ build, getLoadContext: () => ctx }));

  const server = app.listen(config.port, config.host, () => {
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

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight work");
    server.close();
    await jobs.stop(); // lets an in-flight sweep finish and release its claims
    await simulator?.close();
    await database.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error) => {
  process.stderr.write(
    `Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
