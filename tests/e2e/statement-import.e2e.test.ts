// Issue 18 in a real browser against the built server on PostgreSQL: finance uploads a month's
// statement, the upload answers at once with the import's page, and that page's progress bars (lines
// parsed, stored, matched) move by themselves, without a reload, until the import is done and every
// line is counted. The same file uploaded again says it was already imported.
// PostgreSQL, because there the import's progress is on its row and the page is served while the
// import's transactions run; on PGlite one connection serves both, so the page waits for each step.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { buildStatementCsv, generateStatementLines } from "../support/statement-file";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DB_NAME = `statement_e2e_${randomBytes(4).toString("hex")}`;
// Big enough that storing and matching each take several of the page's one-second refreshes.
const LINES = 60_000;

let e2e: E2E;
let dir: string;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });

beforeAll(async () => {
  await admin.unsafe(`create database ${DB_NAME}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${DB_NAME}`;
  e2e = await startE2E({ DATABASE_URL: url.toString() });
  dir = await mkdtemp(join(tmpdir(), "statement-e2e-"));
});
afterAll(async () => {
  await e2e?.stop();
  await admin.unsafe(`drop database if exists ${DB_NAME} with (force)`);
  await admin.end();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Snapshot = { state: string; parsed: number; stored: number; matched: number };

/** What the progress card says, or null once it is gone (the import is over). */
function readProgress(text: string): Snapshot {
  const count = (label: string) =>
    Number((new RegExp(`${label}\\s*([\\d,]+)`).exec(text)?.[1] ?? "-1").replace(/,/g, ""));
  return {
    state: text
      .split("\n")[0]
      .replace(/This page updates.*$/, "")
      .trim(),
    parsed: count("Parsed"),
    stored: count("Stored"),
    matched: count("Matched"),
  };
}

it("an upload opens the import's page, whose progress bars follow the import live until it is done", async () => {
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
  await Promise.all([
    page.waitForURL(/\/reconciliation\/[0-9a-f-]{36}$/, { timeout: 60_000 }),
    page.click("main form button[type=submit]"),
  ]);
  const importUrl = page.url();
  // The address changes a moment before the import's page is on screen: wait for its heading, so the
  // list page that is still showing is not taken for an import page without a progress card.
  await page.locator("main h1", { hasText: "june.csv" }).waitFor({ timeout: 60_000 });

  // Watch the card without ever reloading: every change the page shows by itself is recorded.
  const card = page.locator("[aria-label='Import progress']");
  const seen: Snapshot[] = [];
  let shot = false;
  let refusal: string | null = null;
  await expect
    .poll(
      async () => {
        const alert = page.locator("main [role=alert]");
        if ((await alert.count()) > 0) {
          refusal = await alert.first().innerText();
          return "done";
        }
        if ((await card.count()) === 0) return "done";
        // The card may be re-rendering (or the machine busy): read it again on the next round.
        const text = await card.innerText({ timeout: 5_000 }).catch(() => null);
        if (text === null) return "running";
        const now = readProgress(text);
        const last = seen[seen.length - 1];
        if (!last || JSON.stringify(last) !== JSON.stringify(now)) seen.push(now);
        if (!shot && now.state.startsWith("Matching")) {
          shot = true;
          await screenshot(page, "statement-import-matching");
        }
        return "running";
      },
      { timeout: 600_000, interval: 250 },
    )
    .toBe("done");
  expect(page.url()).toBe(importUrl);
  expect(refusal, "the page said the file was not imported").toBeNull();

  // The page moved through storing and matching by itself, and its counts only ever went up.
  expect(seen.some((s) => s.state.startsWith("Reading and storing"))).toBe(true);
  expect(seen.some((s) => s.state.startsWith("Matching") && s.matched < LINES)).toBe(true);
  expect(new Set(seen.map((s) => JSON.stringify(s))).size).toBeGreaterThanOrEqual(3);
  for (let i = 1; i < seen.length; i++) {
    expect(seen[i].parsed).toBeGreaterThanOrEqual(seen[i - 1].parsed);
    expect(seen[i].stored).toBeGreaterThanOrEqual(seen[i - 1].stored);
    expect(seen[i].matched).toBeGreaterThanOrEqual(seen[i - 1].matched);
  }
  const matching = seen.filter((s) => s.state.startsWith("Matching"));
  expect(matching.every((s) => s.parsed === LINES && s.stored === LINES)).toBe(true);

  // Done: every line is counted by its verdict. (The verdict counts come from the page's loader; on
  // a loaded machine the last live refresh can predate the final verdicts, so read them afresh.)
  await expect
    .poll(
      async () => {
        await page.goto(importUrl);
        return page.locator("nav.counts").textContent();
      },
      { timeout: 60_000, interval: 2_000 },
    )
    .toMatch(/exception \(\d/);
  expect(await page.locator("nav.counts a").first().textContent()).toBe(
    `All (${LINES.toLocaleString("en-KE")})`,
  );
  expect(await page.locator("nav.counts").textContent()).not.toMatch(/new \(/);
  await screenshot(page, "statement-import-done");

  // The same file again: nothing new, and the answer says so.
  await page.goto(`${e2e.baseUrl}/reconciliation`);
  await page.setInputFiles("input[name=statement]", file);
  await page.click("main form button[type=submit]");
  await expect
    .poll(() => page.locator("main [role=status]").textContent())
    .toContain("already imported");
}, 900_000);
