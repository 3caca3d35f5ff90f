// Starts the real server (the built app, on a fresh embedded database, with its in-process simulator)
// and Debian's Chromium through playwright-core. Screenshots go to tests/e2e/artifacts (not committed).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { freePort, lostItsPort } from "../../support/ports";

export const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");
const ROOT = join(import.meta.dirname, "..", "..", "..");

export type E2E = {
  baseUrl: string;
  simulatorUrl: string;
  browser: Browser;
  stop(): Promise<void>;
  output(): string;
};

export async function startE2E(env: Record<string, string> = {}): Promise<E2E> {
  // Ports come from below the OS's outgoing range (tests/support/ports.ts); should one still be taken
  // before the server binds it, that start is retried on new ports. Any other early exit fails.
  for (let attempt = 1; ; attempt++) {
    const started = await launch(env);
    if ("ports" in started) return withBrowser(started);
    if (!lostItsPort(started.output) || attempt === 3)
      throw new Error(`server exited early:\n${started.output}`);
    process.stderr.write("e2e: the server lost its port at start; retrying\n");
  }
}

type Launched = {
  ports: { port: number; simulatorPort: number };
  child: ChildProcess;
  dataDir: string;
  output: () => string;
};

async function launch(env: Record<string, string>): Promise<Launched | { output: string }> {
  const [port, simulatorPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), "console-e2e-"));
  let output = "";
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      SESSION_SECRET: "e2e-session-secret-that-is-long-enough",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATA_DIR: dataDir,
      SIMULATOR_PORT: String(simulatorPort),
      MPESA_ENVIRONMENT: "simulator",
      SEED_DEMO_DATA: "true",
      // The demo users only; the crawl asks for the demo payments, cases and statement too.
      DEMO_PAYMENTS: "false",
      LOG_LEVEL: "warn",
      POLL_SCHEDULE: "*/2 * * * * *",
      POLL_FIRST_AFTER_S: "3",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => {
    output += d;
  });
  child.stderr!.on("data", (d) => {
    output += d;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000; // first start seeds demo data; a loaded CI box is slow
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dataDir, { recursive: true, force: true });
      return { output };
    }
    const ok = await fetch(`${baseUrl}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ports: { port, simulatorPort }, child, dataDir, output: () => output };
}

async function withBrowser(started: Launched): Promise<E2E> {
  const { child, dataDir, output } = started;
  const { port, simulatorPort } = started.ports;
  const baseUrl = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    baseUrl,
    simulatorUrl: `http://127.0.0.1:${simulatorPort}`,
    browser,
    output,
    async stop() {
      await browser.close();
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const DEMO = {
  admin: { email: "admin@demo.test", password: "demo-admin-pass" },
  finance: { email: "finance@demo.test", password: "demo-finance-pass" },
  finance2: { email: "finance2@demo.test", password: "demo-finance-pass" },
  support: { email: "support@demo.test", password: "demo-support-pass" },
  manager: { email: "manager@demo.test", password: "demo-manager-pass" },
} as const;

export async function signIn(e2e: E2E, who: keyof typeof DEMO): Promise<Page> {
  const context = await e2e.browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${e2e.baseUrl}/login`);
  await page.fill("input[name=email]", DEMO[who].email);
  await page.fill("input[name=password]", DEMO[who].password);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.startsWith("/login")),
    page.click("button[type=submit]"),
  ]);
  return page;
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
