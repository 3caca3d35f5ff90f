// server.ts's direct path for Daraja's hooks: which requests it takes (exactly the hook routes' own
// shapes, as Remix matches them; everything else is left to express and Remix), and that a failure
// to store is answered 500 in JSON by it and by the Remix route alike, logged without the path's
// token, and not logged at all when the sender hung up.
import type { IncomingMessage } from "node:http";
import { connect } from "node:net";
import { rawCallbacks } from "../../../db/schema";
import {
  CALLBACK_TOKEN,
  postStkCallback,
  startTestApp,
  type TestApp,
} from "../../../tests/support/app";
import { matchHookRequest } from "./hook-http.server";
import * as stkRoute from "../../routes/hooks.daraja.stk.$token";

const request = (url: string, method = "POST", headers: Record<string, string> = {}) =>
  ({ method, url, headers }) as unknown as IncomingMessage;

describe("matchHookRequest", () => {
  it.each([
    ["/hooks/daraja/stk/tok", { hook: "stk", params: { token: "tok" } }],
    ["/HOOKS/Daraja/STK/tok/", { hook: "stk", params: { token: "tok" } }],
    ["/hooks/daraja/stk/t%20k?x=1", { hook: "stk", params: { token: "t k" } }],
    ["/hooks/daraja/c2b/confirmation/tok", { hook: "c2b_confirmation", params: { token: "tok" } }],
    ["/hooks/daraja/c2b/Validation/tok", { hook: "c2b_validation", params: { token: "tok" } }],
    [
      "/hooks/daraja/status/result/tok",
      { hook: "result", params: { api: "status", token: "tok" } },
    ],
    [
      "/hooks/daraja/reversal/timeout/tok",
      { hook: "timeout", params: { api: "reversal", token: "tok" } },
    ],
  ])("takes a POST to %s", (url, expected) => {
    expect(matchHookRequest(request(url))).toEqual(expected);
  });

  it.each([
    ["another method", request("/hooks/daraja/stk/tok", "GET")],
    ["an opaque origin", request("/hooks/daraja/stk/tok", "POST", { origin: "null" })],
    ["two trailing slashes", request("/hooks/daraja/stk/tok//")],
    ["a missing token", request("/hooks/daraja/stk/")],
    ["an extra segment", request("/hooks/daraja/stk/tok/more")],
    ["a malformed escape", request("/hooks/daraja/stk/%E0%A4%A")],
    ["another path", request("/api/payments")],
  ])("leaves %s to express and Remix", (_what, req) => {
    expect(matchHookRequest(req)).toBeNull();
  });
});

describe("a store that fails", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => app?.close());

  /** Runs `send` while the raw log refuses every write; returns what was logged at error level. */
  async function withFailingStore(send: () => Promise<void>): Promise<string> {
    const write = app.ctx.rawLog.write;
    const error = app.ctx.log.error;
    const lines: unknown[] = [];
    app.ctx.rawLog.write = () => Promise.reject(new Error("connection lost"));
    app.ctx.log.error = ((...args: unknown[]) => void lines.push(args)) as typeof error;
    try {
      await send();
    } finally {
      app.ctx.rawLog.write = write;
      app.ctx.log.error = error;
    }
    return JSON.stringify(lines);
  }

  it("is answered 500 in JSON by the direct path, and logged without the token", async () => {
    const logged = await withFailingStore(async () => {
      const response = await fetch(`${app.appUrl}/hooks/daraja/stk/${CALLBACK_TOKEN}?from=test`, {
        method: "POST",
        body: '{"Body":{}}',
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ ResultCode: 1, ResultDesc: "Internal error" });
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    });
    expect(logged).toContain("connection lost");
    expect(logged).toContain("/hooks/daraja/stk/…");
    expect(logged).not.toContain(CALLBACK_TOKEN);
    // Stored normally again once the database answers.
    expect((await postStkCallback(app, '{"Body":{}}')).status).toBe(200);
    expect(await app.ctx.db.select().from(rawCallbacks)).toHaveLength(1);
  });

  it("is answered the same by the Remix route", async () => {
    const logged = await withFailingStore(async () => {
      const response = await stkRoute.action({
        request: new Request(`http://console.test/hooks/daraja/stk/${CALLBACK_TOKEN}`, {
          method: "POST",
          body: '{"Body":{}}',
        }),
        params: { token: CALLBACK_TOKEN },
        context: app.ctx,
      } as never);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ ResultCode: 1, ResultDesc: "Internal error" });
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    });
    expect(logged).toContain("connection lost");
    expect(logged).not.toContain(CALLBACK_TOKEN);
  });

  it("is not logged as our error when the sender hung up mid-body", async () => {
    const logged = await withFailingStore(async () => {
      const { port } = new URL(app.appUrl);
      const socket = connect(Number(port), "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      socket.write(
        `POST /hooks/daraja/stk/${CALLBACK_TOKEN} HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"Body":`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.resetAndDestroy();
      await new Promise((resolve) => setTimeout(resolve, 200));
    });
    expect(logged).toBe("[]");
    expect((await postStkCallback(app, '{"Body":{}}')).status).toBe(200);
  });
});
