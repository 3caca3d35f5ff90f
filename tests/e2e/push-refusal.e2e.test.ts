// Issue 10 item 1, against the built server: a push Daraja refuses is `failed` with Daraja's reason in
// our words — not `unknown` "failed unexpectedly". It was `unknown` in production while tests on source
// passed, because the server entry loaded a second copy of the app's modules beside the build.
import type { Page } from "playwright-core";
import { signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
let page: Page;
beforeAll(async () => {
  e2e = await startE2E();
  page = await signIn(e2e, "support");
});
afterAll(async () => e2e?.stop());

async function requestPayment(orderRef: string, phone: string): Promise<string> {
  await page.goto(`${e2e.baseUrl}/payments/new`);
  await page.fill("input[name=orderRef]", orderRef);
  await page.fill("input[name=amount]", "150");
  await page.fill("input[name=phone]", phone);
  await Promise.all([
    page.waitForURL(/\/payments\/[0-9a-f-]{36}$/),
    page.click("main form button[type=submit]"),
  ]);
  return new URL(page.url()).pathname.split("/").pop()!;
}

const statusOf = () => page.locator("h1 [data-status]").first().getAttribute("data-status");

it("a push refused because M-Pesa is busy is failed, with the reason, and opens no unknown-outcome case", async () => {
  await requestPayment("E2E-REFUSED-BUSY", "0708 000 013");
  await expect.poll(statusOf, { timeout: 20_000, interval: 300 }).toBe("failed");
  const text = await page.locator("main").innerText();
  expect(text).toContain("M-Pesa is busy");
  expect(text).not.toContain("failed unexpectedly");
  expect(await page.locator("[data-testid=open-exceptions] a").count()).toBe(0);
});

it("a second push to a customer who still has a prompt open is failed as 'subscriber locked'", async () => {
  await requestPayment("E2E-LOCK-FIRST", "0712 404 001"); // waits on the handset: the prompt stays open
  await expect.poll(statusOf, { timeout: 20_000, interval: 300 }).toBe("pending");
  await requestPayment("E2E-LOCK-SECOND", "0712 404 001");
  await expect.poll(statusOf, { timeout: 20_000, interval: 300 }).toBe("failed");
  const text = await page.locator("main").innerText();
  expect(text).toContain("already has an M-Pesa prompt open");
  expect(text).not.toContain("failed unexpectedly");
  expect(e2e.output()).not.toContain("STK push failed unexpectedly");
});
