// A whole app for a test file: a fresh database, the real Daraja simulator on a free port, and a small
// HTTP front that answers Daraja's callbacks as the server does (so the simulator calls the app
// exactly as Daraja would). Domain functions get the same context the server builds.
import type { CallbackKind } from "../../app/modules/callbacks/identifiers";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "../../app/config.server";
import { createContext, type AppContext } from "../../app/context.server";
import { recordCallback } from "../../app/modules/callbacks/intake.server";
import type { Database } from "../../db/client";
import { createSimulator, type Simulator } from "../../simulator/server";
import type { SimulatorOptions } from "../../simulator/options";
import { createTestDatabase } from "./db";
import { testLog } from "./log";
import { matchHookRequest, serveHook } from "../../app/modules/callbacks/hook-http.server";

export const CALLBACK_TOKEN = "test-callback-token";

export type TestApp = {
  ctx: AppContext;
  database: Database;
  simulator: Simulator;
  simulatorUrl: string;
  appUrl: string;
  /** POST to the simulator's control API. */
  control(path: string, body?: unknown): Promise<any>;
  close(): Promise<void>;
};

export async function startTestApp(
  options: {
    env?: Record<string, string>;
    simulator?: SimulatorOptions;
    now?: () => Date;
    fetch?: typeof fetch;
  } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const simulator = createSimulator({
    latencyMs: 30,
    promptTimeoutMs: 2000,
    enforceRuleLimit: false,
    enforceSubscriberLock: false,
    seed: "tests",
    ...options.simulator,
  });
  const { url: simulatorUrl } = await simulator.listen(0, "127.0.0.1");

  let ctx: AppContext | null = null;
  // Daraja's hooks served as server.ts serves them (hook-http.server.ts); nothing else is here.
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const hook = matchHookRequest(req);
    if (!hook || !ctx) res.writeHead(404).end();
    else void serveHook(ctx, hook, req, res, {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    MPESA_ENVIRONMENT: "simulator",
    DARAJA_BASE_URL: simulatorUrl,
    PUBLIC_URL: appUrl,
    MPESA_CALLBACK_TOKEN: CALLBACK_TOKEN,
    DARAJA_TIMEOUT_MS: "3000",
    POLL_FIRST_AFTER_S: "30",
    ...options.env,
  });
  const created = await createContext(config, {
    database,
    migrate: false,
    log: testLog(),
    now: options.now,
    fetch: options.fetch,
  });
  ctx = created.ctx;

  return {
    ctx,
    database,
    simulator,
    simulatorUrl,
    appUrl,
    async control(path, body) {
      const res = await fetch(`${simulatorUrl}/__sim/${path}`, {
        method: body === undefined && path.startsWith("state") ? "GET" : "POST",
        headers: { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`simulator control ${path} → ${res.status}: ${text}`);
      return text ? JSON.parse(text) : null;
    },
    async close() {
      await simulator.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Let the applier finish the batch in hand before the connection goes: a callback that arrived
      // in the test's last moments must not meet a closed pool (that is logged as an error).
      await ctx?.callbackQueue.stop({ drainMs: 5000 });
      await database.close();
    },
  };
}

/**
 * Stores a callback exactly as the hook route does (valid token, from this machine), without waking
 * the applier: as if the process died right after acknowledging, or so a test can apply it itself.
 */
export function storeCallback(
  ctx: AppContext,
  body: string | Uint8Array,
  kind: CallbackKind = "stk",
) {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  return recordCallback(ctx, {
    kind,
    tokenValid: true,
    body: bytes,
    sizeBytes: bytes.length,
    headers: new Headers(),
    sourceIp: "127.0.0.1",
  });
}

/** POSTs a body to the app's STK callback route, as Daraja would. */
export async function postStkCallback(
  app: TestApp,
  body: string | Uint8Array,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const response = await fetch(
    `${app.appUrl}/hooks/daraja/stk/${options.token ?? CALLBACK_TOKEN}`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json;charset=UTF-8", ...options.headers },
      body: typeof body === "string" ? body : Buffer.from(body),
    },
  );
  // Processing follows the acknowledgement; a test reads the outcome once the queue has drained.
  await app.ctx.callbackQueue.idle();
  return response;
}

/** An STK callback body shaped exactly like Daraja's (docs/daraja.md#stk-callback-body). */
export function stkCallbackBody(input: {
  checkoutRequestId: string;
  resultCode?: number | string;
  amount?: number | string;
  receipt?: string;
  phone?: number | string;
  resultDesc?: string;
}): string {
  const code = input.resultCode ?? 0;
  const success = String(code) === "0";
  return JSON.stringify({
    Body: {
      stkCallback: {
        MerchantRequestID: "29115-34620561-1",
        CheckoutRequestID: input.checkoutRequestId,
        ResultCode: code,
        ResultDesc:
          input.resultDesc ??
          (success
            ? "The service request is processed successfully."
            : "Request Cancelled by user."),
        ...(success
          ? {
              CallbackMetadata: {
                Item: [
                  { Name: "Amount", Value: input.amount ?? 100 },
                  { Name: "MpesaReceiptNumber", Value: input.receipt ?? "TCE4XK2P7Q" },
                  { Name: "Balance" },
                  { Name: "TransactionDate", Value: 20251124101539 },
                  { Name: "PhoneNumber", Value: input.phone ?? 254712345678 },
                ],
              },
            }
          : {}),
      },
    },
  });
}

export async function waitFor<T>(
  probe: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 5000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
