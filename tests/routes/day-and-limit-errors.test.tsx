// Two pieces of bad input that used to end badly: a sign-off day that is not on the calendar (a 500)
// and a payments page size out of range (a 400 the page did not show: a blank list). Both now say
// what is wrong, naming the field, on the page.
import { reconciliationDays } from "../../db/schema";
import * as payments from "../../app/routes/_console.payments._index";
import * as reconciliation from "../../app/routes/_console.reconciliation._index";
import { startTestApp, type TestApp } from "../support/app";
import { signedIn } from "../support/factories";
import { renderPage } from "../support/render-route";
import { call, get, jsonOf, postForm } from "../support/routes";

let app: TestApp;
let finance: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
  app = await startTestApp();
  finance = await signedIn(app.ctx, "finance");
});
afterAll(async () => app?.close());

const text = (html: string) => html.replace(/<!-- -->/g, "");

describe("signing off a day that is not on the calendar", () => {
  const signOff = (day: string) =>
    postForm(
      "/reconciliation",
      { intent: "signoff", day, note: "checked" },
      { cookie: finance.cookie, csrf: finance.csrf },
    );

  it.each(["2025-02-30", "2025-13-45"])("refuses %s with 400 naming the day", async (day) => {
    const response = await call(reconciliation.action, app.ctx, signOff(day));
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({
      field: "day",
      message: "That day is not on the calendar; pick a date like 2025-03-14.",
    });
    expect(await app.ctx.db.select().from(reconciliationDays)).toEqual([]);
  });

  it("says so on the page", async () => {
    const page = await renderPage(app.ctx, signOff("2025-02-30"), "reconciliation", reconciliation);
    expect(page.status).toBe(400);
    expect(text(page.html)).toContain("That day is not on the calendar");
  });
});

describe("the payments list with a page size out of range", () => {
  it.each(["500", "0", "ten"])("limit=%s: 400 naming limit, said on the page", async (limit) => {
    const response = await call(payments.loader, app.ctx, get(`/payments?limit=${limit}`, finance));
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).error).toMatchObject({
      field: "limit",
      message: "The page size (“limit” in the address) must be a whole number from 1 to 200.",
    });
    const page = await renderPage(
      app.ctx,
      get(`/payments?status=paid&limit=${limit}`, finance),
      "payments",
      payments,
    );
    expect(page.status).toBe(400);
    const html = text(page.html);
    expect(html).toContain("must be a whole number from 1 to 200");
    // The way out keeps the other filters and drops only the bad value.
    expect(html).toMatch(/<a [^>]*href="\/payments\?status=paid">Show the list without it<\/a>/);
  });

  it("still pages with a size in range", async () => {
    expect((await call(payments.loader, app.ctx, get("/payments?limit=200", finance))).status).toBe(
      200,
    );
  });
});
