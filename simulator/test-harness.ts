// Test support: a real simulator on port 0, a node:http receiver that collects callbacks, and
// small clients for the Daraja endpoints and the control API. No fetch mocks anywhere.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { eatTimestamp } from "./clock";
import { SANDBOX_PASSKEY, type SimulatorOptions } from "./options";
import { createSimulator } from "./server";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  json: any;
}

export async function startReceiver(status = 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      received.push({
        path: req.url ?? "",
        headers: req.headers,
        raw,
        json: raw ? JSON.parse(raw) : null,
      });
      res
        .writeHead(status, { "Content-Type": "application/json" })
        .end('{"ResultCode":0,"ResultDesc":"Accepted"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Falsy = undefined | null | false | 0 | "";

export async function waitFor<T>(
  probe: () => T | Falsy | Promise<T | Falsy>,
  timeoutMs = 3000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("waitFor timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const passwordFor = (timestamp: string, shortcode = "174379", passkey = SANDBOX_PASSKEY) =>
  Buffer.from(shortcode + passkey + timestamp).toString("base64");

export async function startHarness(options: SimulatorOptions = {}) {
  const receiver = await startReceiver();
  const sim = createSimulator({ latencyMs: 20, promptTimeoutMs: 400, seed: "test", ...options });
  const { url } = await sim.listen(0);
  let token: string | null = null;

  async function call(path: string, init: RequestInit = {}) {
    const res = await fetch(url + path, init);
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  async function getToken(): Promise<string> {
    const basic = Buffer.from("sim-consumer-key:sim-consumer-secret").toString("base64");
    const res = await call("/oauth/v1/generate?grant_type=client_credentials", {
      headers: { Authorization: `Basic ${basic}` },
    });
    return res.json.access_token;
  }

  async function darajaPost(
    path: string,
    body: unknown,
    opts: { contentType?: string; raw?: string; token?: string } = {},
  ) {
    token ??= await getToken();
    return call(path, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${opts.token ?? token}`,
        "Content-Type": opts.contentType ?? "application/json",
      },
      body: opts.raw ?? JSON.stringify(body),
    });
  }

  function pushBody(overrides: Record<string, unknown> = {}) {
    const timestamp = eatTimestamp(Date.now());
    const phone = (overrides.PhoneNumber as string | undefined) ?? "254708000001";
    return {
      BusinessShortCode: 174379,
      Password: passwordFor(timestamp),
      Timestamp: timestamp,
      TransactionType: "CustomerPayBillOnline",
      Amount: "1250",
      PartyA: phone,
      PartyB: "174379",
      PhoneNumber: phone,
      CallBackURL: `${receiver.url}/hooks/daraja/stk/tok123`,
      AccountReference: "INV-1001",
      TransactionDesc: "Order 1001",
      ...overrides,
    };
  }

  const push = (overrides: Record<string, unknown> = {}) =>
    darajaPost("/mpesa/stkpush/v1/processrequest", pushBody(overrides));

  function query(checkoutRequestId: string, overrides: Record<string, unknown> = {}) {
    const timestamp = eatTimestamp(Date.now());
    return darajaPost("/mpesa/stkpushquery/v1/query", {
      BusinessShortCode: "174379",
      Password: passwordFor(timestamp),
      Timestamp: timestamp,
      CheckoutRequestID: checkoutRequestId,
      ...overrides,
    });
  }

  const control = (path: string, body?: unknown) =>
    call(
      `/__sim/${path}`,
      body === undefined
        ? {}
        : {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(body),
          },
    );

  const callbacksFor = (checkoutRequestId: string) =>
    receiver.received.filter(
      (r) => r.json?.Body?.stkCallback?.CheckoutRequestID === checkoutRequestId,
    );

  return {
    sim,
    url,
    receiver,
    call,
    getToken,
    darajaPost,
    pushBody,
    push,
    query,
    control,
    callbacksFor,
    /** Resets the simulator (config too, unless told otherwise) and forgets received callbacks. */
    async reset(body: { config?: boolean } = { config: true }) {
      await control("reset", body);
      receiver.received.length = 0;
    },
    async close() {
      await sim.close();
      await receiver.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof startHarness>>;
