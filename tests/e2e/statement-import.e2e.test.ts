// Issue 18 in a real browser against the built server: finance uploads a month's statement, the
// upload answers with the import's page, which follows the import live (no reload) until every
// line is matched; the same file uploaded again says it was already imported.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildStatementCsv, generateStatementLines } from "../support/statement-file";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
let dir: string;
beforeAll(async () => {
  e2e = await startE2E();
  dir = await mkdtemp(join(tmpdir(), "statement-e2e-"));
});
afterAll(async () => {
  await e2e?.stop();
  await rm(dir, { recursive: true, force: true });
});

const LINES = 5_000;

it("an upload opens the import's page, which follows the import until the lines are matched", async () => {
  const file = join(dir, "june.csv");
  await writeFile(
    file,
    buildStatementCsv({
      lines: [...generateStatementLines(LINES, 11, new Date("2024-06-01T00:00:00Z"))],
    }),
  );
  const page = await signIn(e2e, "finance");
  await page.goto(`${e2e.baseUrl}/reconciliation`);
  await page.setInputFiles("input[name=statement]", file);
  // On PGlite (this harness) a request waits while the import holds the one connection in a
  // transaction, so the page may open only once the lines are stored.
  await Promise.all([
    page.waitForURL(/\/reconciliation\/[0-9a-f-]{36}$/, { timeout: 180_000 }),
    page.click("main form button[type=submit]"),
  ]);
  const importUrl = page.url();
  // The page refreshes itself: without a reload the import finishes and every line is counted.
  await expect
    .poll(() => page.locator("nav.counts a").first().textContent(), {
      timeout: 120_000,
      interval: 1_000,
    })
    .toBe(`All (${LINES.toLocaleString("en-KE")})`);
  await expect.poll(() => page.locator("[aria-label='Import progress']").count()).toBe(0);
  expect(await page.locator("nav.counts").textContent()).toMatch(/exception \(\d/);
  await screenshot(page, "statement-import-done");

  // The same file again: nothing new, and the answer says so.
  await page.goto(`${e2e.baseUrl}/reconciliation`);
  await page.setInputFiles("input[name=statement]", file);
  await page.click("main form button[type=submit]");
  await expect
    .poll(() => page.locator("main [role=status]").textContent())
    .toContain("already imported");
  expect(page.url()).not.toBe(importUrl);
}, 400_000);
