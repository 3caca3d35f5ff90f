// server.ts's direct path for Daraja's hooks: which requests it takes (exactly the hook routes' own
// shapes, as Remix matches them; everything else is left to express and Remix), and that a failure
// to store is answered 500 with a log line that does not carry the path's token.
import type { IncomingMessage } from "node:http";
import { rawCallbacks } from "../../../db/schema";
import {
  CALLBACK_TOKEN,
  postStkCallback,
  startTestApp,
  type TestApp,
} from "../../../tests/support/app";
import { matchHookRequest } from "./hook-http.server";

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

describe("serveHook", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => app?.close());

  it("answers 500 when the callback cannot be stored, and logs the error without the token", async () => {
    const write = app.ctx.rawLog.write;
    const lines: unknown[] = [];
    const error = app.ctx.log.error.bind(app.ctx.log);
    app.ctx.rawLog.write = () => Promise.reject(new Error("connection lost"));
    app.ctx.log.error = ((...args: unknown[]) => void lines.push(args)) as typeof app.ctx.log.error;
    try {
      const response = await postStkCallback(app, '{"Body":{}}');
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ ResultCode: 1, ResultDesc: "Internal error" });
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    } finally {
      app.ctx.rawLog.write = write;
      app.ctx.log.error = error;
    }
    expect(JSON.stringify(lines)).toContain("connection lost");
    expect(JSON.stringify(lines)).not.toContain(CALLBACK_TOKEN);
    // Stored normally again once the database answers.
    const ok = await postStkCallback(app, '{"Body":{}}');
    expect(ok.status).toBe(200);
    expect(await app.ctx.db.select().from(rawCallbacks)).toHaveLength(1);
  });
});
