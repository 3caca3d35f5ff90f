// Search is not an unmasking oracle: for support and managers a phone search never confirms a match
// by redirecting, is written to the staff audit and is rate-limited; support still finds a customer
// by the number they dictate, by the masked forms the console shows and by the AccountReference.
import { and, eq } from "drizzle-orm";
import { staffAudit, stkAttempts } from "../../db/schema";
import * as paymentsPage from "../../app/routes/_console.payments._index";
import * as paymentsApi from "../../app/routes/api.payments";
import * as search from "../../app/routes/_console.search";
import {
  KEY_PHONE_LOOKUP_LIMIT,
  PHONE_SEARCH_LIMIT,
} from "../../app/modules/payments/search-as.server";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { startTestApp, type TestApp } from "../support/app";
import { makeApiKey, PHONES, signedIn } from "../support/factories";
import { call, get, jsonOf } from "../support/routes";

let app: TestApp;
let payment: Awaited<ReturnType<typeof initiatePayment>>;
beforeAll(async () => {
  app = await startTestApp();
  const finance = await signedIn(app.ctx, "finance");
  payment = await initiatePayment(
    app.ctx,
    { orderRef: "SRCH-77/a", amount: 20, phone: PHONES.neverResolves },
    finance.actor,
  );
});
afterAll(async () => app?.close());

const find = (q: string, who: { cookie: string }) =>
  call(search.loader, app.ctx, get(`/search?q=${encodeURIComponent(q)}`, who));

it("lists a single phone match for support instead of redirecting, and audits the search", async () => {
  const support = await signedIn(app.ctx, "support");
  const response = await find("0708 000 012", support);
  expect(response.status).toBe(200);
  const body = await jsonOf(response);
  expect(body.payments.map((p: { id: string }) => p.id)).toEqual([payment.id]);
  expect(JSON.stringify(body)).not.toContain("708000012");
  const audit = await app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.action, "search.phone"), eq(staffAudit.actorUserId, support.user.id)));
  expect(audit).toHaveLength(1);
  expect(JSON.stringify(audit[0].after)).not.toContain("708000012");
});

it("still goes straight to the payment for finance", async () => {
  const finance = await signedIn(app.ctx, "finance");
  const response = await find("0708000012", finance);
  expect(response.status).toBe(302);
});

it.each([
  ["the masked phone the console shows", "0708 ••• •12"],
  ["the older masked form", "0708 ••• 012"],
  ["a masked CheckoutRequestID", "ws_CO_…708••••12"],
  ["the AccountReference", "SRCH77a"],
])("finds the payment by %s", async (_name, q) => {
  const support = await signedIn(app.ctx, "support");
  const response = await find(q, support);
  // One match by a reference (not a phone) may go straight to the payment.
  if (response.status === 302)
    expect(response.headers.get("Location")).toBe(`/payments/${payment.id}`);
  else
    expect((await jsonOf(response)).payments.map((p: { id: string }) => p.id)).toContain(
      payment.id,
    );
});

it("uses only the two last digits the console shows, so guessing a third reveals nothing", async () => {
  const support = await signedIn(app.ctx, "support");
  for (const q of ["0708 ••• 012", "0708 ••• 912"]) {
    const response = await find(q, support);
    expect(response.status).toBe(200);
    expect((await jsonOf(response)).payments.map((p: { id: string }) => p.id)).toContain(
      payment.id,
    );
  }
});

it("rate-limits a masked role's phone searches", async () => {
  const manager = await signedIn(app.ctx, "manager");
  const statuses: number[] = [];
  for (let i = 0; i < PHONE_SEARCH_LIMIT.limit + 2; i++)
    statuses.push((await find(`0708 000 ${String(100 + i)}`, manager)).status);
  expect(statuses.slice(0, PHONE_SEARCH_LIMIT.limit).every((s) => s === 200)).toBe(true);
  expect(statuses.slice(PHONE_SEARCH_LIMIT.limit)).toEqual([429, 429]);
  // Other searches are not limited.
  expect((await find("SRCH77a", manager)).status).not.toBe(429);
});

const auditedBy = (userId: string) =>
  app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.action, "search.phone"), eq(staffAudit.actorUserId, userId)));

it("finds the payment by its full CheckoutRequestID for support, as a list and audited (the id holds the number)", async () => {
  const [attempt] = await app.ctx.db
    .select()
    .from(stkAttempts)
    .where(eq(stkAttempts.paymentId, payment.id));
  expect(attempt.checkoutRequestId).toContain("708000012");
  const support = await signedIn(app.ctx, "support");
  const response = await find(attempt.checkoutRequestId as string, support);
  expect(response.status).toBe(200);
  expect((await jsonOf(response)).payments.map((p: { id: string }) => p.id)).toEqual([payment.id]);
  const audit = await auditedBy(support.user.id);
  expect(audit).toHaveLength(1);
  expect(JSON.stringify(audit[0].after)).not.toContain("708000012");
});

it("guards the payments list's phone filter like search, on the page and in the API", async () => {
  const support = await signedIn(app.ctx, "support");
  const page = (phone: string) =>
    call(
      paymentsPage.loader,
      app.ctx,
      get(`/payments?phone=${encodeURIComponent(phone)}`, support),
    );
  const api = (phone: string) =>
    call(
      paymentsApi.loader,
      app.ctx,
      get(`/api/payments?phone=${encodeURIComponent(phone)}`, support),
    );

  const first = await page("0708 000 012");
  expect(first.status).toBe(200);
  const body = await jsonOf(first);
  expect(body.payments.map((p: { id: string }) => p.id)).toEqual([payment.id]);
  expect(JSON.stringify(body)).not.toContain("708000012");
  const audit = await auditedBy(support.user.id);
  expect(audit).toHaveLength(1);
  expect(audit[0].after).toMatchObject({ matches: 1 });
  expect(JSON.stringify(audit[0].after)).not.toContain("708000012");

  // The page and the API share the person's limit with global search.
  for (let i = 1; i < PHONE_SEARCH_LIMIT.limit; i++)
    expect((await api(`0708 000 ${String(200 + i)}`)).status).toBe(200);
  const refused = await api("0708 000 299");
  expect(refused.status).toBe(429);
  expect((await page("0708 000 298")).status).toBe(429);
  expect((await find("0708 000 297", support)).status).toBe(429);
  // A list without a number in its filters is not limited.
  expect(
    (await call(paymentsPage.loader, app.ctx, get("/payments?orderRef=SRCH-77%2Fa", support)))
      .status,
  ).toBe(200);
});

it("does not limit finance's phone filter", async () => {
  const finance = await signedIn(app.ctx, "finance");
  for (let i = 0; i < PHONE_SEARCH_LIMIT.limit + 1; i++) {
    const response = await call(
      paymentsApi.loader,
      app.ctx,
      get(`/api/payments?phone=0708000012`, finance),
    );
    expect(response.status).toBe(200);
  }
  expect(await auditedBy(finance.user.id)).toHaveLength(0);
});

it("gives a support-role API key (a merchant's system) a wider limit and writes no audit row per call", async () => {
  const { key, apiKey } = await makeApiKey(app.ctx, "support");
  for (let i = 0; i < PHONE_SEARCH_LIMIT.limit + 5; i++) {
    const response = await call(
      paymentsApi.loader,
      app.ctx,
      get(`/api/payments?phone=0708000${String(400 + i)}`, { bearer: key }),
    );
    expect(response.status).toBe(200);
  }
  const audit = await app.ctx.db
    .select()
    .from(staffAudit)
    .where(and(eq(staffAudit.action, "search.phone"), eq(staffAudit.actorApiKeyId, apiKey.id)));
  expect(audit).toEqual([]);
  expect(KEY_PHONE_LOOKUP_LIMIT.limit).toBeGreaterThan(PHONE_SEARCH_LIMIT.limit);
});
