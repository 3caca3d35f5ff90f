// Masked means masked everywhere: support and managers, signed in and through API keys of their
// role, visit every page loader and API route over data that holds known phone numbers — in phone
// columns, CheckoutRequestIDs, callback evidence, a C2B BillRefNumber, an order reference and a 409 —
// and no response carries a full number. A new route file must be added to the lists below.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { exceptions, payments, stkAttempts } from "../../db/schema";
import * as paymentsApi from "../../app/routes/api.payments";
import { registerC2bUrls } from "../../app/modules/reconciliation/c2b.server";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { startTestApp, type TestApp } from "../support/app";
import { FAST_FLOWS, flows } from "../support/exception-flows";
import { makeApiKey, PHONES, signedIn } from "../support/factories";
import { call, get, postJson } from "../support/routes";

const ROUTES_DIR = join(import.meta.dirname, "../../app/routes");
// Routes a masked role may not open at all (role-matrix.test.ts proves the 403), or that carry no
// customer data: not crawled here.
const NOT_FOR_MASKED = [
  "$",
  "healthz",
  "login",
  "logout",
  "hooks.daraja.stk.$token",
  "hooks.daraja.c2b.confirmation.$token",
  "hooks.daraja.c2b.validation.$token",
  "hooks.daraja.$api.result.$token", // Daraja's initiator results: machine to machine, no session
  "hooks.daraja.$api.timeout.$token",
  "_console.payments.new",
  "_console.payments.export[.csv]",
  "_console.exceptions.export[.csv]",
  "_console.exceptions.bulk", // finance and admin only (both see full numbers); 403 to masked roles
  "_console.callbacks.export[.csv]",
  "_console.account", // the signed-in user's own password form: no customer data
  "_console.reconciliation.sample-statement[.csv]", // a fixed sample file: no customer data
  "_console.callbacks._index",
  "_console.callbacks.$callbackId",
  "_console.reconciliation._index",
  "_console.reconciliation.$importId",
  "_console.admin.users",
  "_console.admin.api-keys",
  "_console.admin.audit",
  "admin.audit[.]csv",
  "_console.admin.jobs",
  "_console.admin.settings",
  "_console.admin.webhooks._index", // admin only (webhooks:manage)
  "_console.admin.webhooks.$endpointId",
  "api.callbacks",
];

const BILL_REF_PHONE = "254712999888"; // a customer who typed their number as the account
const ORDER_REF_PHONE = "254712999777"; // a merchant who used the customer's number as the order ref

let app: TestApp;
let known: string[] = [];
const ids = { payments: [] as string[], exceptions: [] as string[] };

beforeAll(async () => {
  app = await startTestApp(FAST_FLOWS);
  const finance = await signedIn(app.ctx, "finance");
  const f = flows(app, finance.actor);
  await f.lateSuccess();
  await f.wrongAmount();
  await f.doublePayment();
  await f.orphan();
  await registerC2bUrls(app.ctx);
  await app.control("c2b/confirm", {
    transId: "TXC2BPHONE1",
    amount: 77,
    billRefNumber: BILL_REF_PHONE.replace(/^254/, "0"),
    msisdn: BILL_REF_PHONE,
    msisdnFormat: "plain",
  });
  await initiatePayment(
    app.ctx,
    { orderRef: `ORD-${ORDER_REF_PHONE}`, amount: 10, phone: PHONES.handset },
    finance.actor,
  );
  await new Promise((r) => setTimeout(r, 300));
  await app.ctx.callbackQueue.idle();
  const db = app.ctx.db;
  const rows = await db.select({ id: payments.id, phone: payments.phone }).from(payments);
  const attempts = await db.select({ phone: stkAttempts.phone }).from(stkAttempts);
  ids.payments = rows.map((r) => r.id);
  ids.exceptions = (await db.select({ id: exceptions.id }).from(exceptions)).map((r) => r.id);
  known = [
    ...new Set([
      ...rows.map((r) => r.phone),
      ...attempts.map((a) => a.phone),
      BILL_REF_PHONE,
      ORDER_REF_PHONE,
    ]),
  ];
  expect(ids.exceptions.length).toBeGreaterThanOrEqual(4);
});
afterAll(async () => app?.close());

/** The nine local digits of every known number, with spacing and dashes ignored. */
function fullNumbersIn(text: string): string[] {
  const compact = text.replace(/[\s-]/g, "");
  return known.filter((msisdn) => compact.includes(msisdn.slice(3)));
}

function pageUrls(): string[] {
  return [
    "/",
    "/?range=30d",
    "/payments",
    "/payments?status=paid",
    ...ids.payments.map((id) => `/payments/${id}`),
    "/exceptions",
    "/exceptions?status=all",
    ...ids.exceptions.map((id) => `/exceptions/${id}`),
    `/search?q=${encodeURIComponent(PHONES.pays)}`,
    `/search?q=${encodeURIComponent("0708 ••• •01")}`,
    `/search?q=ORD-${ORDER_REF_PHONE}`,
    "/tariffs",
  ];
}

function apiUrls(): string[] {
  return [
    "/api/payments",
    "/api/payments?limit=200",
    `/api/payments?phone=${PHONES.pays}`,
    ...ids.payments.map((id) => `/api/payments/${id}`),
    "/api/exceptions",
    "/api/exceptions?status=all",
    ...ids.exceptions.map((id) => `/api/exceptions/${id}`),
    "/api/reports/revenue",
  ];
}

const ROUTE_OF: [RegExp, string][] = [
  [/^\/$|^\/\?/, "_console._index"],
  [/^\/payments(\?|$)/, "_console.payments._index"],
  [/^\/payments\/[^/?]+/, "_console.payments.$paymentId"],
  [/^\/exceptions(\?|$)/, "_console.exceptions._index"],
  [/^\/exceptions\/[^/?]+/, "_console.exceptions.$exceptionId"],
  [/^\/search/, "_console.search"],
  [/^\/tariffs/, "_console.tariffs"],
  [/^\/api\/payments(\?|$)/, "api.payments"],
  [/^\/api\/payments\/[^/?]+/, "api.payments.$paymentId"],
  [/^\/api\/exceptions(\?|$)/, "api.exceptions"],
  [/^\/api\/exceptions\/[^/?]+/, "api.exceptions.$exceptionId"],
  [/^\/api\/reports\/revenue/, "api.reports.revenue"],
];

async function visit(url: string, as: { cookie?: string; bearer?: string }) {
  const route = ROUTE_OF.find(([pattern]) => pattern.test(url))![1];
  const file = readdirSync(ROUTES_DIR).find((f) => f.replace(/\.tsx?$/, "") === route)!;
  const mod = await import(join(ROUTES_DIR, file));
  const id = /\/([0-9a-f-]{36})/.exec(url)?.[1] ?? "";
  const response = await call(mod.loader, app.ctx, get(url, as), {
    paymentId: id,
    exceptionId: id,
  });
  return { status: response.status, text: await response.text() };
}

it("crawls every route a masked role can open", () => {
  const files = readdirSync(ROUTES_DIR)
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => f.replace(/\.tsx?$/, ""));
  const crawled = new Set(ROUTE_OF.map(([, r]) => r).concat("_console"));
  expect(files.filter((f) => !crawled.has(f) && !NOT_FOR_MASKED.includes(f))).toEqual([]);
});

describe.each(["support", "manager"] as const)("%s", (role) => {
  it("sees no full number on any page (loader data) when signed in", async () => {
    const session = await signedIn(app.ctx, role);
    for (const url of pageUrls()) {
      const { status, text } = await visit(url, { cookie: session.cookie });
      // These roles may open every one of these pages: a refusal would have nothing to check.
      expect(status, url).toBe(200);
      expect(fullNumbersIn(text), url).toEqual([]);
    }
  });

  it("sees no full number through the API, with a key or a session", async () => {
    const { key } = await makeApiKey(app.ctx, role);
    const session = await signedIn(app.ctx, role);
    for (const url of apiUrls()) {
      for (const as of [{ bearer: key }, { cookie: session.cookie }]) {
        const { status, text } = await visit(url, as);
        expect(status, url).toBe(200);
        expect(fullNumbersIn(text), url).toEqual([]);
      }
    }
  });
});

it("masks the payment quoted in a 409 for a duplicate order", async () => {
  const { key } = await makeApiKey(app.ctx, "support");
  const finance = await signedIn(app.ctx, "finance");
  const orderRef = `DUP-${ORDER_REF_PHONE}`;
  const first = await initiatePayment(
    app.ctx,
    { orderRef, amount: 10, phone: PHONES.neverResolves },
    finance.actor,
  );
  known.push(first.phone);
  const response = await call(
    paymentsApi.action,
    app.ctx,
    postJson("/api/payments", { orderRef, amount: 10, phone: PHONES.pays }, { bearer: key }),
  );
  expect(response.status).toBe(409);
  const text = await response.text();
  expect(text).toContain("order_");
  expect(fullNumbersIn(text)).toEqual([]);
});
