// The tariffs page and net revenue through the loaders and actions with real Requests: every role that
// reads reports sees the tariff, only an admin adds a version (checked bands, staff audit), and the
// dashboard and GET /api/reports/revenue show gross, M-Pesa's charges and net for money paid since.
import { desc, eq } from "drizzle-orm";
import * as dashboard from "../../app/routes/_console._index";
import * as tariffs from "../../app/routes/_console.tariffs";
import * as api from "../../app/routes/api.reports.revenue";
import { eatDay, eatParts } from "../../app/lib/time";
import { staffAudit, tariffVersions, type Role } from "../../db/schema";
import { startTestApp, type TestApp } from "../support/app";
import { makeApiKey, signedIn } from "../support/factories";
import { paidPayment } from "../support/reconciliation";
import { call, get, jsonOf, postForm } from "../support/routes";

const ROLES: Role[] = ["admin", "finance", "support", "manager"];
let app: TestApp;
const staff = {} as Record<Role, Awaited<ReturnType<typeof signedIn>>>;

beforeAll(async () => {
  app = await startTestApp();
  for (const role of ROLES) staff[role] = await signedIn(app.ctx, role);
});
afterAll(async () => app?.close());

/** An EAT `datetime-local` value `hours` from now. */
function eatLocal(hoursFromNow: number) {
  const p = eatParts(new Date(app.ctx.now().getTime() + hoursFromNow * 3_600_000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

const addVersion = (role: Role, fields: Record<string, string>) =>
  call(
    tariffs.action,
    app.ctx,
    postForm(
      "/tariffs",
      { intent: "add", label: "Contract A", paybill: "", buy_goods: "", ...fields },
      staff[role],
    ),
  );

describe("the tariffs page", () => {
  it.each(ROLES)("shows the versions to %s; only an admin gets the form", async (role) => {
    const res = await call(tariffs.loader, app.ctx, get("/tariffs", staff[role]));
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).canEdit).toBe(role === "admin");
  });

  it("lets an admin add a version, recorded in the staff audit with its bands", async () => {
    const res = await addVersion("admin", {
      effectiveFrom: eatLocal(-48),
      label: "Contract A",
      paybill: "1, 1000, 0\n1001, 5000, 30\n5001, 250000, 60",
    });
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).message).toMatch(/Tariff “Contract A” saved/);
    const page = await jsonOf(await call(tariffs.loader, app.ctx, get("/tariffs", staff.manager)));
    expect(page.versions[0]).toMatchObject({
      label: "Contract A",
      state: "in_force",
      bands: { paybill: expect.arrayContaining([{ minKes: 1001, maxKes: 5000, chargeKes: 30 }]) },
    });
    const [entry] = await app.ctx.db
      .select()
      .from(staffAudit)
      .where(eq(staffAudit.action, "tariff.version_added"))
      .orderBy(desc(staffAudit.id));
    expect(entry).toMatchObject({
      actorUserId: staff.admin.user.id,
      entityType: "tariff_version",
      entityId: page.versions[0].id,
      after: expect.objectContaining({ label: "Contract A" }),
    });
  });

  it("refuses bands with a gap, an overlap or a negative charge, saving nothing", async () => {
    const before = (await app.ctx.db.select().from(tariffVersions)).length;
    for (const [paybill, message] of [
      ["1,100,0\n200,300,5", /Gap .* 101–199/],
      ["1,100,0\n50,300,5", /overlaps/],
      ["1,100,-1", /whole number/],
    ] as const) {
      const res = await addVersion("admin", { effectiveFrom: eatLocal(24), paybill });
      expect(res.status).toBe(400);
      expect((await jsonOf(res)).error.message).toMatch(message);
    }
    expect(await app.ctx.db.select().from(tariffVersions)).toHaveLength(before);
  });

  it("refuses a second version starting at the same time", async () => {
    const when = eatLocal(72);
    expect((await addVersion("admin", { effectiveFrom: when, paybill: "1,9,0" })).status).toBe(200);
    const again = await addVersion("admin", { effectiveFrom: when, paybill: "1,9,1" });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).error.field).toBe("effectiveFrom");
  });

  it.each(["finance", "support", "manager"] as const)("refuses %s an edit", async (role) => {
    expect((await addVersion(role, { effectiveFrom: eatLocal(96), paybill: "1,9,0" })).status).toBe(
      403,
    );
  });
});

describe("net revenue on the dashboard and the revenue API", () => {
  beforeAll(async () => {
    await paidPayment(app, staff.support.actor, { amount: 2_000 }); // band 1001–5000: KES 30
    await paidPayment(app, staff.support.actor, { amount: 500 }); // band 1–1000: no charge
  });

  it("shows gross, charges and net for the range, per day and in the KPIs", async () => {
    const today = eatDay(app.ctx.now());
    const { key } = await makeApiKey(app.ctx, "manager");
    const body = await jsonOf(
      await call(
        api.loader,
        app.ctx,
        get(`/api/reports/revenue?from=${today}&to=${today}`, { bearer: key }),
      ),
    );
    expect(body.report.totals).toMatchObject({
      revenueKes: 2_500,
      chargesKes: 30,
      netKes: 2_470,
      unchargedPayments: 0,
    });
    expect(body.report.series).toEqual([
      expect.objectContaining({ period: today, revenueKes: 2_500, chargesKes: 30, netKes: 2_470 }),
    ]);
    expect(body.kpis.today).toMatchObject({ revenueKes: 2_500, chargesKes: 30, netKes: 2_470 });

    const page = await jsonOf(await call(dashboard.loader, app.ctx, get("/", staff.manager)));
    expect(page.report.totals).toMatchObject({ chargesKes: 30, netKes: 2_470 });
  });
});
