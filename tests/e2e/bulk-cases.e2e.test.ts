// Bulk case work in a browser against the built server: finance imports a statement with money no
// payment knows (four "only on the statement" cases), ticks one and acknowledges it, then filters the
// queue, previews the rest (three cases and their KES total), writes them off with one note, and the
// queue shows them resolved.
import { buildStatementCsv } from "../support/statement-file";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

it("finance filters, previews N cases and the money, applies one action, and the queue shows them resolved", async () => {
  const page = await signIn(e2e, "finance");
  const at = new Date(Date.now() - 26 * 3_600_000);
  const csv = buildStatementCsv({
    preamble: false,
    lines: [
      { receipt: "UKA1BULK01", completedAt: at, amountKes: 1250 },
      { receipt: "UKA1BULK02", completedAt: at, amountKes: 2500 },
      { receipt: "UKA1BULK03", completedAt: at, amountKes: 7 },
      { receipt: "UKA1BULK04", completedAt: at, amountKes: 400 },
    ],
  });
  await page.goto(`${e2e.baseUrl}/reconciliation`);
  await page.setInputFiles("input[name=statement]", {
    name: "statement.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await Promise.all([
    page.waitForURL(/\/reconciliation\/[0-9a-f-]{36}/),
    page.click("form[enctype='multipart/form-data'] button[type=submit]"),
  ]);

  const queueUrl = `${e2e.baseUrl}/exceptions?type=statement_only`;
  const rows = page.locator("table tbody tr[data-exception-id]");
  await expect
    .poll(
      async () => {
        await page.goto(queueUrl);
        return rows.count();
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBe(4);
  expect(await page.locator("[data-testid=ageing]").innerText()).toMatch(/4\s*KES 4,157/);

  // Tick one case, preview it, acknowledge it.
  await rows.filter({ hasText: "KES 400" }).locator("input[type=checkbox]").check();
  await Promise.all([
    page.waitForURL(/\/exceptions\/bulk\?.*scope=checked/),
    page.click("button[name=scope][value=checked]"),
  ]);
  expect(await page.locator("[data-testid=bulk-count]").innerText()).toBe("1");
  await page.check("input[name=action][value=acknowledge]");
  await page.fill("textarea[name=note]", "Owner's top-up, checked with the bank");
  await page.click("form[aria-label='Apply to every case above'] button[type=submit]");
  await expect.poll(() => page.locator("[data-testid=bulk-done]").count()).toBe(1);

  // Filter by amount, preview every filtered case: three cases and their total.
  await page.goto(`${queueUrl}&minKes=1&maxKes=5000`);
  await expect.poll(() => rows.count()).toBe(3);
  await Promise.all([
    page.waitForURL(/\/exceptions\/bulk\?.*scope=filtered/),
    page.click("button[name=scope][value=filtered]"),
  ]);
  expect(await page.locator("[data-testid=bulk-count]").innerText()).toBe("3");
  expect(await page.locator("[data-testid=bulk-total]").innerText()).toContain("KES 3,757");
  expect(await page.locator("[data-testid=bulk-preview] tbody tr").count()).toBe(3);
  // Only actions that fit every case are offered; four-eyes and per-case-detail actions never are.
  const offered = await page.$$eval("input[name=action]", (inputs) =>
    inputs.map((i) => (i as HTMLInputElement).value),
  );
  expect(offered).toEqual(["write_off", "acknowledge"]);
  await screenshot(page, "bulk-preview");
  await page.check("input[name=action][value=write_off]");
  await page.fill("textarea[name=note]", "Test transfers from the sandbox shortcode");
  await page.click("form[aria-label='Apply to every case above'] button[type=submit]");
  await expect
    .poll(() => page.locator("[data-testid=bulk-done]").innerText())
    .toMatch(/Write off: 3 cases \(KES 3,757 at stake\) resolved/);

  await page.goto(queueUrl);
  expect(await rows.count()).toBe(0);
  await page.goto(`${queueUrl}&status=resolved`);
  await expect.poll(() => rows.count()).toBe(4);
  const statuses = await rows
    .locator("[data-status]")
    .evaluateAll((els) => els.map((e) => e.getAttribute("data-status")));
  expect(statuses).toEqual(["resolved", "resolved", "resolved", "resolved"]);
  expect(await page.locator("table").innerText()).toMatch(/write off[\s\S]*write off/);
  await screenshot(page, "bulk-resolved");
  await page.context().close();
});
