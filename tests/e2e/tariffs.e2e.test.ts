// Net revenue in a browser against the real server and its simulator: an admin adds a tariff version
// effective from an hour ago, a payment is made and paid by the virtual handset, and the dashboard
// shows its gross, the M-Pesa charge the new version put on its receipt, and the net.
import { signIn, screenshot, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

/** `YYYY-MM-DDTHH:mm` in East Africa Time, `hours` from now (the form's datetime-local value). */
function eatLocal(hours: number) {
  const eat = new Date(Date.now() + hours * 3_600_000 + 3 * 3_600_000);
  return eat.toISOString().slice(0, 16);
}

it("an admin adds a tariff version and the dashboard shows net revenue", async () => {
  const page = await signIn(e2e, "admin");
  await page.goto(`${e2e.baseUrl}/tariffs`);
  // The demo seed's example schedule is there, labelled as an example.
  await expect.poll(() => page.locator("body").innerText()).toContain("EXAMPLE schedule");

  const form = page.locator("form[aria-label='Add a tariff version']");
  await form.locator("input[name=effectiveFrom]").fill(eatLocal(-1));
  await form.locator("input[name=label]").fill("E2E contract");
  await form.locator("textarea[name=paybill]").fill("1, 1000, 7\n1001, 250000, 99");
  await form.locator("button[type=submit]").click();
  await expect
    .poll(() => page.locator("[role=status]").first().innerText(), { timeout: 15_000 })
    .toMatch(/Tariff “E2E contract” saved/);
  const newest = page.locator("[data-testid=tariff-version]").first();
  await expect.poll(() => newest.innerText()).toMatch(/E2E contract[\s\S]*In force/);
  await screenshot(page, "tariffs-version-added");

  await page.goto(`${e2e.baseUrl}/payments/new`);
  await page.fill("input[name=orderRef]", "E2E-TARIFF-1");
  await page.fill("input[name=amount]", "500");
  await page.fill("input[name=phone]", "0708 000 001");
  await Promise.all([
    page.waitForURL(/\/payments\/[0-9a-f-]{36}$/),
    page.click("main form button[type=submit]"),
  ]);
  await expect
    .poll(() => page.locator("h1 [data-status]").first().getAttribute("data-status"), {
      timeout: 30_000,
      interval: 500,
    })
    .toBe("paid");

  await page.goto(`${e2e.baseUrl}/`);
  const net = page.locator("[data-testid=kpi-net]");
  await expect.poll(() => net.innerText()).toMatch(/KES 493/);
  expect(await net.innerText()).toMatch(/KES 500 gross − KES 7 M-Pesa charges/);
  expect(await page.locator("[data-testid=kpi-today]").innerText()).toContain(
    "Net of M-Pesa charges: KES 493",
  );
  await screenshot(page, "dashboard-net-revenue");
});
