// Hostile query strings and ids answer 400 (API: the JSON error shape) or 404, never 500: malformed
// cursors, ids, filters and limits on every list and detail route, pages included; and bodies far
// larger than a form or a payment request are refused before they are read.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { startTestApp, type TestApp } from "../support/app";
import { makeApiKey, signedIn } from "../support/factories";
import { call, get, postForm, postJson } from "../support/routes";

const ROUTES_DIR = join(import.meta.dirname, "../../app/routes");
const BAD_CURSORS = [
  "%%%",
  "eyJ4Ijp9",
  "bm90IGpzb24",
  "W10",
  "eyJ0IjoieCIsImlkIjoxfQ",
  Buffer.from('["not a date","x"]').toString("base64url"),
  Buffer.from("[99999999999999999,1e400]").toString("base64url"),
  "a".repeat(5000),
];
const BAD_IDS = ["x", "1'--", "00000000-0000-0000-0000-00000000000Z", "-1", "1e999", "%00"];

let app: TestApp;
let admin: { cookie: string };
let key: string;
beforeAll(async () => {
  app = await startTestApp();
  admin = await signedIn(app.ctx, "admin");
  key = (await makeApiKey(app.ctx, "admin")).key;
});
afterAll(async () => app?.close());

async function load(route: string, url: string, params: Record<string, string>, as: object) {
  const file = readdirSync(ROUTES_DIR).find((f) => f.replace(/\.tsx?$/, "") === route)!;
  const mod = await import(join(ROUTES_DIR, file));
  return call(mod.loader, app.ctx, get(url, as), params);
}

const LISTS: [string, string][] = [
  ["api.payments", "/api/payments"],
  ["api.exceptions", "/api/exceptions"],
  ["api.callbacks", "/api/callbacks"],
  ["_console.payments._index", "/payments"],
  ["_console.exceptions._index", "/exceptions"],
  ["_console.callbacks._index", "/callbacks"],
  ["_console.admin.audit", "/admin/audit"],
  ["_console.reconciliation._index", "/reconciliation"],
];

describe.each(LISTS)("%s", (route, path) => {
  it.each(BAD_CURSORS.map((c) => [c.slice(0, 24), c]))(
    "answers cursor=%s with 400",
    async (_name, cursor) => {
      const as = route.startsWith("api.") ? { bearer: key } : admin;
      const response = await load(route, `${path}?cursor=${encodeURIComponent(cursor)}`, {}, as);
      expect(response.status).toBe(400);
      if (route.startsWith("api.")) {
        const body = await response.json();
        expect(body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      }
    },
  );

  it.each([
    "limit=-1",
    "limit=abc",
    "limit=99999999999",
    "status=%27",
    "from=yesterday",
    "to=2026-13-45",
  ])("answers %s with 400 or a page that ignores it, never 500", async (query) => {
    const as = route.startsWith("api.") ? { bearer: key } : admin;
    const response = await load(route, `${path}?${query}`, {}, as);
    expect([200, 400]).toContain(response.status);
  });
});

const DETAILS: [string, string, string][] = [
  ["api.payments.$paymentId", "/api/payments/", "paymentId"],
  ["api.exceptions.$exceptionId", "/api/exceptions/", "exceptionId"],
  ["_console.payments.$paymentId", "/payments/", "paymentId"],
  ["_console.exceptions.$exceptionId", "/exceptions/", "exceptionId"],
  ["_console.callbacks.$callbackId", "/callbacks/", "callbackId"],
  ["_console.reconciliation.$importId", "/reconciliation/", "importId"],
];

describe.each(DETAILS)("%s", (route, path, param) => {
  it.each(BAD_IDS)("answers id %s with 400 or 404, never 500", async (id) => {
    const as = route.startsWith("api.") ? { bearer: key } : admin;
    const response = await load(route, `${path}${encodeURIComponent(id)}`, { [param]: id }, as);
    expect([400, 404]).toContain(response.status);
    if (route.startsWith("api.")) expect((await response.json()).error.code).toBeTruthy();
  });
});

describe("oversized bodies are refused with 413, not read into memory", () => {
  it("a console form of megabytes (the lowest role's note on a payment)", async () => {
    const support = await signedIn(app.ctx, "support");
    const page = await import(join(ROUTES_DIR, "_console.payments.$paymentId.tsx"));
    const note = "x".repeat(2 * 1024 * 1024);
    const response = await call(
      page.action,
      app.ctx,
      postForm("/payments/00000000-0000-4000-8000-000000000000", { intent: "note", note }, support),
      { paymentId: "00000000-0000-4000-8000-000000000000" },
    );
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ code: "too_large" });
  });

  it("a JSON payment request of megabytes", async () => {
    const api = await import(join(ROUTES_DIR, "api.payments.ts"));
    const body = {
      orderRef: "X",
      amount: 10,
      phone: "0712345678",
      description: "x".repeat(1 << 20),
    };
    const response = await call(
      api.action,
      app.ctx,
      postJson("/api/payments", body, { bearer: key }),
    );
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatchObject({ code: "too_large" });
  });
});
