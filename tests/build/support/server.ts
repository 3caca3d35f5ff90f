// The production-build suite's harness: a fresh PostgreSQL database per test file, the BUILT server
// started the way `npm start` starts it (with its in-process Daraja simulator), an API key made with
// the operators' CLI, and small HTTP helpers. Nothing here imports app/: the suite talks to the
// server only over HTTP, as a merchant's system, Daraja and a support agent would.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { freePort, lostItsPort } from "../../support/ports";

export { freePort };

export const ROOT = join(import.meta.dirname, "..", "..", "..");
const ARTIFACTS = join(ROOT, "tests", "build", "artifacts");
const SUITE_SESSION_SECRET = "build-suite-session-secret-long-enough";
export const ADMIN_URL = process.env.TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";

/** A new, empty PostgreSQL database (the server migrates it at start), dropped by `drop()`. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `console_build_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

export type StartOptions = {
  databaseUrl: string;
  port: number;
  simulatorPort: number;
  /** Everything the server reads; see app/config.server.ts. */
  env: Record<string, string>;
};

/**
 * THE one place that knows how production starts: the same command `npm start` runs after its build
 * (today `tsx server.ts`, which serves build/index.js). When the start path changes, change it here.
 */
export function startBuiltServer(opts: StartOptions): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      PORT: String(opts.port),
      HOST: "127.0.0.1",
      PUBLIC_URL: `http://127.0.0.1:${opts.port}`,
      DATABASE_URL: opts.databaseUrl,
      SIMULATOR_PORT: String(opts.simulatorPort),
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * The shapes the JSON API and console actions answer with (README, "The JSON API"), as the tests
 * read them when they do not name a more precise type.
 */
export type Answer = {
  ok: boolean;
  message: string;
  error: { code: string; message: string; field?: string };
  payment: { id: string; status: string };
  payments: { id: string }[];
};

/** The body as JSON when it is JSON, else the text (so a failure shows what came back). */
export function parseBody<T>(text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}

export type BuiltServer = {
  baseUrl: string;
  simulatorUrl: string;
  databaseUrl: string;
  callbackToken: string;
  apiKey: string;
  /** The server process's id (its applier child, on PostgreSQL, is a child of it). */
  pid: number;
  output(): string;
  /** JSON API call with the admin API key. */
  api<T = Answer>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  /** The simulator's control API (/__sim/…). */
  sim<T = unknown>(path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
};

type SuiteOptions = {
  /** Names the server's log, kept in tests/build/artifacts/<label>.log for reading after a failure. */
  label: string;
  env?: Record<string, string>;
  simConfig?: Record<string, unknown>;
  /** Chosen beforehand when something must sit between the server and its simulator. */
  simulatorPort?: number;
};

/** The server died at start because its port was taken between our check and its bind. */
class PortTaken extends Error {}

/**
 * Starts the built server on a fresh database with the in-process simulator. `env` overrides the
 * defaults below; the simulator's own timings are set over its control API with `simConfig`.
 * A start that lost its port is retried on a new port (twice at most); any other early exit fails.
 */
export async function startSuiteServer(options: SuiteOptions): Promise<BuiltServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
      // Said in the run's output, so a retry never passes unseen.
      process.stderr.write(`${options.label}: the server lost its port at start; retrying\n`);
    }
  }
}

async function startOnce(options: SuiteOptions): Promise<BuiltServer> {
  const database = await freshDatabase();
  const port = await freePort();
  const simulatorPort = options.simulatorPort ?? (await freePort());
  const callbackToken = `build_${randomBytes(12).toString("hex")}`;
  let output = "";
  const child = startBuiltServer({
    databaseUrl: database.url,
    port,
    simulatorPort,
    env: {
      SESSION_SECRET: SUITE_SESSION_SECRET,
      MPESA_ENVIRONMENT: "simulator",
      MPESA_CALLBACK_TOKEN: callbackToken,
      // The simulator and the suite both post from loopback: trusted, as Safaricom's addresses would be.
      MPESA_CALLBACK_ALLOWED_IPS: "127.0.0.1",
      SEED_DEMO_DATA: "true",
      LOG_LEVEL: "warn",
      DARAJA_TIMEOUT_MS: "2000",
      POLL_SCHEDULE: "* * * * * *",
      POLL_FIRST_AFTER_S: "2",
      POLL_GIVE_UP_AFTER_S: "10",
      POLL_MAX_QPS: "50",
      ...options.env,
    },
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await database.drop();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, `${options.label}.log`), output);
  };

  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) {
        const message = `server exited early:\n${output}`;
        throw lostItsPort(output) ? new PortTaken(message) : new Error(message);
      }
      const ok = await fetch(`${baseUrl}/healthz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
      await sleep(200);
    }
    const apiKey = await createApiKeyWithCli(database.url, "admin");

    const api = async <T = Answer>(
      path: string,
      init: RequestInit = {},
    ): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          ...(init.body ? { "Content-Type": "application/json" } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      });
      const body = parseBody<T>(await response.text());
      return { status: response.status, body };
    };
    const sim = async <T = unknown>(path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${simulatorUrl}/__sim/${path}`, {
        method: body === undefined ? "GET" : "POST",
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok)
        throw new Error(`simulator ${path}: HTTP ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    await sim("config", {
      latencyMs: 300,
      lateDelayMs: 1500,
      hangMs: 4000,
      enforceRuleLimit: false,
      ...options.simConfig,
    });
    return {
      baseUrl,
      simulatorUrl,
      databaseUrl: database.url,
      callbackToken,
      apiKey,
      pid: child.pid!,
      output: () => output,
      api,
      sim,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** `npm run cli -- apikey:create` against the server's database, as an operator would; returns the key. */
export async function createApiKeyWithCli(databaseUrl: string, role: string): Promise<string> {
  const child = spawn(
    "npm",
    ["run", "--silent", "cli", "--", "apikey:create", "--name", `build suite ${role}`, "--role", role],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "production",
        SESSION_SECRET: SUITE_SESSION_SECRET,
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const lines = out.trim().split("\n");
  const key = lines[lines.length - 1]?.trim();
  if (code !== 0 || !key || !/Created API key/.test(out))
    throw new Error(`apikey:create failed (exit ${code}):\n${out}`);
  return key;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; fails with `what` and the last value seen. */
export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe();
    if (value) return value;
    last = value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await sleep(150);
  }
}

let orderCounter = 0;
export const orderRef = (prefix = "BLD") =>
  `${prefix}-${Date.now().toString(36)}-${(++orderCounter).toString(36)}`;

/** A phone the simulator leaves waiting for the virtual handset (not a test number): 2547 1x xxx xxx. */
export function handsetPhone(): string {
  return `25471${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, "0")}`;
}
