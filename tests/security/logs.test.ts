// No full phone number and no callback token in a log line: Remix's handleError logs errors without
// query parameters (Drizzle puts them in the message) and the request without its query string, and
// hook paths are cut before the token in any letter case (Remix matches /HOOKS/... too).
import { Writable } from "node:stream";
import { sql } from "drizzle-orm";
import { handleError } from "../../app/entry.server";
import { createLog } from "../../app/lib/log.server";
import { pathForLog } from "../../app/lib/security-headers.server";
import { startTestApp, type TestApp } from "../support/app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

function capturingLog() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLog("info", sink), lines };
}

it("handleError logs a failed query without its parameters or any phone number", async () => {
  const error = await app.ctx.db
    .execute(sql`select ${"254712345678"}::int as n`)
    .then(() => null)
    .catch((e: unknown) => e);
  expect(String((error as Error).message)).toContain("254712345678"); // what Drizzle would leak
  const { log, lines } = capturingLog();
  handleError(error, {
    request: new Request("http://console.test/payments?phone=0712345678&cursor=x"),
    params: {},
    context: { ...app.ctx, log } as never,
  });
  const text = lines.join("");
  expect(text).toContain("unexpected error");
  expect(text).toContain('"path":"/payments"');
  expect(text).not.toMatch(/712345678|0712345678/);
});

it("a background job's error log carries no query parameters and no phone number, however it is logged", async () => {
  const error = await app.ctx.db
    .execute(sql`select ${"254712345678"}::int as n`)
    .then(() => null)
    .catch((e: unknown) => e);
  const { log, lines } = capturingLog();
  // As the applier, the poller and the jobs log (queue.server.ts, poller.server.ts, jobs/*).
  log.error({ err: error, rawCallbackId: 7 }, "applying a stored callback failed");
  log.error({ importId: "x", error: String(error) }, "statement import failed");
  log.error(error as Error, "logged as the error itself");
  log.error({ err: { type: "Error", message: "lost 0712345678 mid-query" } }, "lost the database");
  log.error({ err: { value: 254712345678 } }, "a number where text was expected");
  // The fields an operator reads stay: PostgreSQL's code and constraint, a Daraja error's status.
  const refused = Object.assign(new Error("duplicate key (phone)=(254712345678)"), {
    code: "23505",
    constraint: "payments_open_order_key",
    httpStatus: 409,
  });
  log.error({ err: refused }, "refused");
  expect(lines).toHaveLength(6);
  expect(JSON.parse(lines[5]).err).toMatchObject({
    type: "Error",
    code: "23505",
    constraint: "payments_open_order_key",
    httpStatus: 409,
  });
  expect(JSON.parse(lines[4]).err.value).toEqual(expect.any(String));
  const text = lines.join("");
  expect(text).toContain("Failed query");
  expect(text).toContain('"rawCallbackId":7');
  expect(text).not.toMatch(/712345678/);
  expect(text).not.toMatch(/params: /);
});

it("handleError masks a number PostgreSQL quotes in an error's detail", () => {
  const error = Object.assign(new Error("duplicate key value violates unique constraint"), {
    detail: "Key (phone)=(254712345678) already exists.",
  });
  const { log, lines } = capturingLog();
  handleError(error, {
    request: new Request("http://console.test/api/payments"),
    params: {},
    context: { ...app.ctx, log } as never,
  });
  expect(lines.join("")).toContain("already exists");
  expect(lines.join("")).not.toContain("712345678");
});

it("an error quoting a hook URL is logged with the URL cut before the token", () => {
  const { log, lines } = capturingLog();
  let error: unknown;
  try {
    new URL("http://h:1http://h:1/hooks/daraja/stk/secret-token-1");
  } catch (e) {
    error = e;
  }
  log.error({ err: error }, "unexpected error");
  log.error(
    { err: new Error("fetch to /HOOKS/daraja/c2b/confirmation/secret-token-1 failed") },
    "x",
  );
  expect(lines).toHaveLength(2);
  expect(lines.join("")).toContain("/hooks/daraja/stk/…");
  expect(lines.join("")).toContain("/HOOKS/daraja/c2b/…");
  expect(lines.join("")).not.toContain("secret-token-1");
});

it.each([
  ["/hooks/daraja/stk/secret-token-1", "/hooks/daraja/stk/…"],
  ["/HOOKS/Daraja/STK/secret-token-1", "/HOOKS/Daraja/STK/…"],
  ["/Hooks/daraja/c2b/confirmation/secret-token-1", "/Hooks/daraja/c2b/…"],
  ["/%68ooks/daraja/stk/secret-token-1", "/hooks/daraja/stk/…"],
  ["/hooks/secret-token-1", "/hooks/…"],
  ["/payments/123", "/payments/123"],
  // Request targets Remix resolves to a hook path: the token is cut all the same.
  ["/x/../hooks/daraja/stk/secret-token-1", "/x/../hooks/daraja/stk/…"],
  ["http://console.test/hooks/daraja/stk/secret-token-1", "http://console.test/hooks/daraja/stk/…"],
  ["//hooks/daraja/stk/secret-token-1?a=1", "//hooks/daraja/stk/…"],
  ["/hooks/daraja/stk/secret-token-1?a=1", "/hooks/daraja/stk/…"],
])("pathForLog(%s) leaves out the token", (path, logged) => {
  expect(pathForLog(path)).toBe(logged);
});
