// Issue 12, against the built server on PostgreSQL: SIGTERM with a full queue and the database gone
// ends the process within its drain bound, nothing acknowledged is lost, and the next start applies
// everything left within seconds (start-up recovery). The database is reached through a TCP proxy
// this test can cut, as a network or database failure would.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import postgres from "postgres";
import { freePort } from "../support/ports";

const ROOT = join(import.meta.dirname, "..", "..");
const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const TOKEN = "shutdown-test-token";
const DRAIN_S = 2;

function proxyTo(target: URL, port: number): Promise<{ cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () =>
      resolve({
        cut: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

function startBuiltServer(databaseUrl: string, port: number) {
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      SESSION_SECRET: "shutdown-test-session-secret-long-enough",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      MPESA_CALLBACK_TOKEN: TOKEN,
      START_SIMULATOR: "false",
      SEED_DEMO_DATA: "false",
      POLLER_ENABLED: "false",
      SHUTDOWN_DRAIN_S: String(DRAIN_S),
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited, output: () => output, url: `http://127.0.0.1:${port}` };
}

async function waitHealthy(url: string, exited: Promise<unknown>, output: () => string) {
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (dead || Date.now() > deadline) throw new Error(`server did not start:\n${output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const callback = (i: number) =>
  JSON.stringify({
    Body: {
      stkCallback: {
        MerchantRequestID: `m-shut-${i}`,
        CheckoutRequestID: `ws_CO_SHUT${String(i).padStart(6, "0")}`,
        ResultCode: 1032,
        ResultDesc: "Request Cancelled by user.",
      },
    },
  });

const dbName = `console_shutdown_${randomBytes(4).toString("hex")}`;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
let db: postgres.Sql;
beforeAll(async () => {
  await admin.unsafe(`create database ${dbName}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  db = postgres(url.toString(), { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await db?.end();
  await admin.unsafe(`drop database if exists ${dbName} with (force)`);
  await admin.end();
});

it("exits within its drain bound after SIGTERM with work queued and the database gone; the next start applies what was left", async () => {
  const proxyPort = await freePort();
  const target = new URL(ADMIN_URL);
  const viaProxy = new URL(ADMIN_URL);
  viaProxy.host = `127.0.0.1:${proxyPort}`;
  viaProxy.pathname = `/${dbName}`;

  let proxy = await proxyTo(target, proxyPort);
  const first = startBuiltServer(viaProxy.toString(), await freePort());
  await waitHealthy(first.url, first.exited, first.output);

  // A burst: every acknowledged callback is durable before its 200.
  const N = 300;
  const statuses = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      fetch(`${first.url}/hooks/daraja/stk/${TOKEN}`, { method: "POST", body: callback(i) }).then(
        (r) => r.status,
        () => 0,
      ),
    ),
  );
  const acknowledged = statuses.filter((s) => s === 200).length;
  expect(acknowledged).toBe(N);

  // SIGTERM with the queue full, and the database goes away while the process drains it.
  const signalled = Date.now();
  first.child.kill("SIGTERM");
  await proxy.cut();
  const code = await first.exited;
  const tookMs = Date.now() - signalled;
  expect(tookMs).toBeLessThan((DRAIN_S + 12) * 1000); // the drain bound plus the close timeouts
  expect(code === 0 || code === 1).toBe(true);

  // Nothing acknowledged was lost; what was not applied is still `received`.
  const [{ stored }] =
    await db`select count(*)::int as stored from raw_callbacks where checkout_request_id like 'ws_CO_SHUT%'`;
  expect(stored).toBe(N);

  // Start-up recovery: a new process applies everything left within 15 s.
  proxy = await proxyTo(target, proxyPort);
  const second = startBuiltServer(viaProxy.toString(), await freePort());
  const started = Date.now();
  try {
    await waitHealthy(second.url, second.exited, second.output);
    await expect
      .poll(
        async () =>
          (await db`select count(*)::int as left from raw_callbacks where outcome = 'received'`)[0]
            .left,
        { timeout: 15_000, interval: 200 },
      )
      .toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    const outcomes =
      await db`select outcome, count(*)::int as n from raw_callbacks where checkout_request_id like 'ws_CO_SHUT%' group by outcome`;
    expect(outcomes).toEqual([{ outcome: "orphan", n: N }]); // unknown CheckoutRequestIDs, each applied once
  } finally {
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0); // a clean stop with the database up
    await proxy.cut();
  }
});
