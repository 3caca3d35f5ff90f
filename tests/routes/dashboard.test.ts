// The manager dashboard and GET /api/reports/revenue through their loaders with real Requests: every
// role may read them, the API answers API keys and sessions with one JSON shape, and bad input is a
// 400 naming the field (the dashboard shows the default range with the reason instead).
import * as dashboard from "../../app/routes/_console._index";
import * as api from "../../app/routes/api.reports.revenue";
import { initiatePayment } from "../../app/modules/payments/initiate.server";
import { getPaymentView } from "../../app/modules/payments/queries.server";
import { revokeApiKey } from "../../app/modules/auth/api-keys.server";
import { eatDay } from "../../app/lib/time";
import type { Role } from "../../db/schema";
import { startTestApp, waitFor, type TestApp } from "../support/app";
import { actorFor, makeApiKey, makeUser, orderRef, PHONES, signedIn } from "../support/factories";
import { call, get, jsonOf } from "../support/routes";

const ROLES: Role[] = ["admin", "finance", "support", "manager"];
let app: TestApp;
const staff: Partial<Record<Role, Awaited<ReturnType<typeof signedIn>>>> = {};

beforeAll(async () => {
  app = await startTestApp();
  for (const role of ROLES) staff[role] = await signedIn(app.ctx, role);
  const actor = actorFor(await makeUser(app.ctx, "support"));
  const started = await initiatePayment(
    app.ctx,
    { orderRef: orderRef("DASH"), amount: 1250, phone: PHONES.pays },
    actor,
  );
  await waitFor(
    async () => (await getPaymentView(app.ctx.db, started.id))?.status === "paid",
    5000,
    "the payment to be paid",
  );
});
afterAll(async () => app?.close());

const today = () => eatDay(app.ctx.now());

describe("the dashboard page", () => {
  it.each(ROLES)("opens for %s with today's revenue and the last 30 days", async (role) => {
    const res = await call(dashboard.loader, app.ctx, get("/", staff[role]));
    expect(res.status).toBe(200);
    const body = await jsonOf(res);
    expect(body.kpis.today).toMatchObject({ revenueKes: 1250, paidPayments: 1 });
    expect(body.report.range).toMatchObject({ to: today(), interval: "day", days: 30 });
    expect(body.report.series).toHaveLength(30);
    expect(body.report.totals).toMatchObject({ payments: 1, successRate: 1 });
    expect(body.error).toBeNull();
  });

  it("sends a visitor without a session to sign in", async () => {
    const res = await call(dashboard.loader, app.ctx, get("/"));
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toMatch(/^\/login/);
  });

  it("keeps the range in the URL and explains a range it cannot show", async () => {
    const weekly = await jsonOf(
      await call(dashboard.loader, app.ctx, get(`/?interval=week&to=${today()}`, staff.manager)),
    );
    expect(weekly.report.range.interval).toBe("week");
    expect(weekly.report.series).toHaveLength(12);
    const bad = await jsonOf(
      await call(dashboard.loader, app.ctx, get("/?from=2025-13-01", staff.manager)),
    );
    expect(bad.error.message).toMatch(/calendar day/);
    expect(bad.report.range.days).toBe(30);
  });
});

describe("GET /api/reports/revenue", () => {
  it.each(ROLES)("answers a %s API key with the dashboard's figures as JSON", async (role) => {
    const { key } = await makeApiKey(app.ctx, role);
    const res = await call(
      api.loader,
      app.ctx,
      get(`/api/reports/revenue?from=${today()}&to=${today()}&interval=day`, { bearer: key }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/application\/json/);
    const body = await jsonOf(res);
    expect(Object.keys(body).sort()).toEqual(["kpis", "report"]);
    expect(body.report).toMatchObject({
      timeZone: "Africa/Nairobi",
      range: { from: today(), to: today(), interval: "day", days: 1 },
      totals: {
        revenueKes: 1250,
        paidPayments: 1,
        payments: 1,
        final: 1,
        successRate: 1,
        outcomes: expect.objectContaining({ paid: 1, unknown: 0 }),
      },
      series: [
        expect.objectContaining({ period: today(), revenueKes: 1250, previousRevenueKes: 0 }),
      ],
      exceptions: { open: 0, amountAtStakeKes: 0, byType: [] },
    });
    expect(body.report.hourOfDay).toHaveLength(24);
    expect(body.kpis).toMatchObject({
      today: { revenueKes: 1250 },
      week: { revenueKes: 1250 },
      month: { revenueKes: 1250 },
    });
  });

  it("answers a signed-in console session too", async () => {
    const res = await call(
      api.loader,
      app.ctx,
      get("/api/reports/revenue?interval=month", staff.support),
    );
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).report.series).toHaveLength(12);
  });

  it("refuses a missing or revoked key with 401", async () => {
    expect((await call(api.loader, app.ctx, get("/api/reports/revenue"))).status).toBe(401);
    const { key, apiKey } = await makeApiKey(app.ctx, "manager");
    await revokeApiKey(app.ctx.db, apiKey.id, actorFor(await makeUser(app.ctx, "admin")));
    const res = await call(api.loader, app.ctx, get("/api/reports/revenue", { bearer: key }));
    expect(res.status).toBe(401);
    expect((await jsonOf(res)).error.code).toBe("unauthorized");
  });

  it.each([
    ["interval=hour", "interval"],
    ["from=2025-02-30", "from"],
    ["from=2025-05-20&to=2025-05-01", "from"],
  ])("answers %s with 400 naming the field", async (query, field) => {
    const res = await call(
      api.loader,
      app.ctx,
      get(`/api/reports/revenue?${query}`, staff.manager),
    );
    expect(res.status).toBe(400);
    expect((await jsonOf(res)).error).toMatchObject({ code: "invalid_request", field });
  });
});
