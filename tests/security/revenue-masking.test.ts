// GET /api/reports/revenue masks phone numbers as the dashboard does, for the caller's role: a
// failure reason quotes M-Pesa's ResultCode, and a callback can carry anything there (a phone number).
import { sql } from "drizzle-orm";
import * as api from "../../app/routes/api.reports.revenue";
import * as dashboard from "../../app/routes/_console._index";
import { eatDay } from "../../app/lib/time";
import type { Role } from "../../db/schema";
import { startTestApp, type TestApp } from "../support/app";
import { makeApiKey, signedIn } from "../support/factories";
import { call, get, type As } from "../support/routes";

const PHONE = "0712345678";
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  // A failed payment today whose stored ResultCode is a phone number.
  await app.ctx.db.execute(sql`insert into payment_stats
    (eat_hour, basis, status, result_code, payments, amount_kes)
    values (${`${eatDay(app.ctx.now())} 10:00`}::timestamp, 'created', 'failed', ${PHONE}, 1, 100)`);
});
afterAll(async () => app?.close());

const revenue = (as: As) => call(api.loader, app.ctx, get("/api/reports/revenue", as));

describe("GET /api/reports/revenue", () => {
  it.each(["support", "manager"] as Role[])(
    "does not show a %s session the phone number in a failure reason",
    async (role) => {
      const res = await revenue({ cookie: (await signedIn(app.ctx, role)).cookie });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain("Unrecognised M-Pesa result code");
      expect(text).not.toContain(PHONE);
      expect(text).not.toContain("712345678");
    },
  );

  it.each(["manager", "support"] as Role[])(
    "does not show a %s API key the phone number",
    async (role) => {
      const { key } = await makeApiKey(app.ctx, role);
      const text = await (await revenue({ bearer: key })).text();
      expect(text).toContain("Unrecognised M-Pesa result code");
      expect(text).not.toContain("712345678");
      // Only phone numbers: the dates of the range (under `from`, as a sender's number would be)
      // come through as asked.
      const { report } = JSON.parse(text);
      expect(report.range).toMatchObject({ from: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
      expect(report.previousRange.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    },
  );

  it("shows it to finance, as the dashboard does", async () => {
    const finance = await signedIn(app.ctx, "finance");
    expect(
      await (await revenue({ bearer: (await makeApiKey(app.ctx, "finance")).key })).text(),
    ).toContain(PHONE);
    expect(await (await revenue({ cookie: finance.cookie })).text()).toContain(PHONE);
    // The dashboard masks the same row for a manager: the API now agrees with it.
    const manager = await signedIn(app.ctx, "manager");
    const page = await (await call(dashboard.loader, app.ctx, get("/", manager))).text();
    expect(page).not.toContain("712345678");
  });

  it("shows a support user the dashboard's range dates, not dots (a day under `from` is no phone)", async () => {
    const support = await signedIn(app.ctx, "support");
    const res = await call(
      dashboard.loader,
      app.ctx,
      get("/?from=2026-11-01&to=2026-11-30", support),
    );
    const { report } = JSON.parse(await res.text());
    expect(report.range).toMatchObject({ from: "2026-11-01", to: "2026-11-30" });
    expect(report.previousRange.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});
