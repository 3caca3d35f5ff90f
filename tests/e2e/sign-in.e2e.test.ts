// Sign-in checks: each role sees its navigation, a support user is refused an admin page,
// and a wrong password shows an error.
import { DEMO, screenshot, signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

const navOf = async (page: import("playwright-core").Page) =>
  page.locator("nav.sidenav a").allInnerTexts();

describe("signing in", () => {
  it.each([
    [
      "admin",
      [
        "Dashboard",
        "Payments",
        "Request payment",
        "Exceptions",
        "Callback log",
        "Reconciliation",
        "Tariffs",
        "Users",
        "API keys",
        "Webhooks",
        "Staff audit",
        "Poller",
        "Settings",
      ],
    ],
    [
      "finance",
      ["Dashboard", "Payments", "Exceptions", "Callback log", "Reconciliation", "Tariffs"],
    ],
    ["support", ["Dashboard", "Payments", "Request payment", "Exceptions", "Tariffs"]],
    ["manager", ["Dashboard", "Payments", "Exceptions", "Tariffs"]],
  ] as const)("%s sees their navigation and the simulator banner", async (role, expected) => {
    const page = await signIn(e2e, role);
    // The sign-in redirect may land before the console has rendered: wait for the navigation.
    await expect.poll(() => navOf(page)).toEqual(expected);
    expect(await page.getByTestId("environment-banner").innerText()).toMatch(/SIMULATOR/);
    await screenshot(page, `home-${role}`);
    await page.context().close();
  });

  it("refuses a support user an admin page with a 403 page", async () => {
    const page = await signIn(e2e, "support");
    const response = await page.goto(`${e2e.baseUrl}/admin/users`);
    expect(response?.status()).toBe(403);
    expect(await page.locator("h1").innerText()).toBe("Not allowed");
    await page.context().close();
  });

  it("shows an error for a wrong password and stays on the sign-in page", async () => {
    const context = await e2e.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${e2e.baseUrl}/login`);
    await page.fill("input[name=email]", DEMO.support.email);
    await page.fill("input[name=password]", "not-the-password");
    await page.click("button[type=submit]");
    await expect
      .poll(() => page.locator("[role=alert]").innerText())
      .toBe("Email or password is incorrect.");
    expect(new URL(page.url()).pathname).toBe("/login");
    await screenshot(page, "login-error");
    await context.close();
  });

  it("shows a 404 page for an unknown address", async () => {
    const page = await signIn(e2e, "manager");
    const response = await page.goto(`${e2e.baseUrl}/no/such/page`);
    expect(response?.status()).toBe(404);
    expect(await page.locator("h1").innerText()).toBe("Page not found");
    await page.context().close();
  });
});
