// Every role signs in and walks the console the way a person would: every page the navigation
// offers, then the pages its lists, filters and tabs link to (a few of each kind), with the demo
// data in every state (paid, cancelled, late success, wrong amount, orphan, a statement import, a
// signed-off day). A page fails on a 5xx, an error boundary, an uncaught error or a console error;
// every CSV link must download a CSV. Screenshots of each role's main pages at 1366 and 390 px go to
// tests/e2e/artifacts/ (see the README's "Looking at the console").
import type { BrowserContext, Page } from "playwright-core";
import { join } from "node:path";
import { ARTIFACTS, signIn, startE2E, type E2E } from "./support/harness";

const ROLES = ["admin", "finance", "support", "manager"] as const;
type Role = (typeof ROLES)[number];
// Links a crawl must not follow: signing out ends the walk; the handset lives on the simulator.
const SKIP = [/^\/logout/, /^\/hooks\//, /^\/api\//];
const PER_KIND = 2; // detail pages of one kind (e.g. /payments/:id) visited per role
const MAX_PAGES = 60;

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ DEMO_PAYMENTS: "true" });
}, 240_000);
afterAll(async () => e2e?.stop());

/** The kind of a page: ids and cursors collapsed, so one list's many rows count as one kind. */
function kindOf(url: URL): string {
  const path = url.pathname
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ":id")
    .replace(/\/\d+(?=\/|$)/g, "/:n");
  const keys = [...url.searchParams.keys()].filter((k) => k !== "cursor").sort();
  return `${path}?${keys.join("&")}${url.searchParams.has("cursor") ? "&cursor" : ""}`;
}

type Problem = { url: string; what: string };

function watch(page: Page, problems: Problem[]) {
  page.on("pageerror", (error) => problems.push({ url: page.url(), what: `uncaught: ${error}` }));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push({ url: page.url(), what: `console: ${msg.text()}` });
  });
  page.on("response", (res) => {
    if (res.status() >= 500) problems.push({ url: res.url(), what: `HTTP ${res.status()}` });
  });
}

async function visit(page: Page, url: string, problems: Problem[]) {
  const res = await page.goto(url, { waitUntil: "load" });
  // Let hydration and the first effects run: their errors arrive on the console just after load.
  await page.waitForTimeout(250);
  if (!res || res.status() >= 500) problems.push({ url, what: `HTTP ${res?.status()}` });
  if (await page.locator(".error-page").count())
    problems.push({
      url,
      what: `error boundary: ${(await page.locator(".error-page").innerText()).replace(/\s+/g, " ")}`,
    });
}

async function linksOn(page: Page): Promise<string[]> {
  return page.$$eval("main a[href], nav a[href], header a[href]", (as) =>
    as.map((a) => (a as HTMLAnchorElement).href),
  );
}

async function checkCsv(context: BrowserContext, page: Page, href: string, problems: Problem[]) {
  const res = await context.request.get(href);
  const type = res.headers()["content-type"] ?? "";
  const disposition = res.headers()["content-disposition"] ?? "";
  if (
    res.status() !== 200 ||
    !type.startsWith("text/csv") ||
    !/filename="[^"]+\.csv"/.test(disposition)
  )
    problems.push({ url: href, what: `CSV: ${res.status()} ${type} ${disposition}` });
  // And as a person gets it: a normal click on the link downloads the file.
  const link = page.locator(`a[href="${new URL(href).pathname}${new URL(href).search}"]`).first();
  if (await link.count()) {
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    if (!download.suggestedFilename().endsWith(".csv"))
      problems.push({ url: href, what: `downloaded ${download.suggestedFilename()}` });
  }
}

async function crawl(role: Role) {
  const page = await signIn(e2e, role);
  const context = page.context();
  const problems: Problem[] = [];
  watch(page, problems);
  const base = new URL(e2e.baseUrl);
  const navTargets = (await page.$$eval("nav a[href]", (as) =>
    as.map((a) => (a as HTMLAnchorElement).href),
  )) as string[];
  const queue = [...new Set([page.url(), ...navTargets])];
  const seen = new Set<string>();
  const perKind = new Map<string, number>();
  const csvSeen = new Set<string>();
  const visited: string[] = [];
  while (queue.length && visited.length < MAX_PAGES) {
    const href = queue.shift()!;
    const url = new URL(href);
    url.hash = "";
    if (url.origin !== base.origin || seen.has(url.href)) continue;
    if (SKIP.some((re) => re.test(url.pathname))) continue;
    seen.add(url.href);
    if (url.pathname.endsWith(".csv")) continue; // checked from the page that links to it
    const kind = kindOf(url);
    const n = perKind.get(kind) ?? 0;
    if (n >= PER_KIND) continue;
    perKind.set(kind, n + 1);
    await visit(page, url.href, problems);
    visited.push(url.pathname + url.search);
    for (const link of await linksOn(page)) {
      const target = new URL(link);
      if (target.origin === base.origin && target.pathname.endsWith(".csv")) {
        const key = target.pathname;
        if (!csvSeen.has(key)) {
          csvSeen.add(key);
          await checkCsv(context, page, target.href, problems);
        }
      } else queue.push(link);
    }
  }
  await context.close();
  return { problems, visited, csv: [...csvSeen] };
}

/** The main pages of a role (its navigation), at a laptop's and a phone's width. */
async function screenshots(role: Role) {
  const problems: Problem[] = [];
  for (const [label, viewport] of [
    ["1366", { width: 1366, height: 860 }],
    ["390", { width: 390, height: 844 }],
  ] as const) {
    const page = await signIn(e2e, role);
    watch(page, problems);
    await page.setViewportSize(viewport);
    const targets = (await page.$$eval("nav a[href]", (as) =>
      as.map((a) => (a as HTMLAnchorElement).href),
    )) as string[];
    for (const target of [...new Set(targets)]) {
      const url = new URL(target);
      if (SKIP.some((re) => re.test(url.pathname))) continue;
      await visit(page, target, problems);
      const name = url.pathname === "/" ? "dashboard" : url.pathname.slice(1).replace(/\//g, "-");
      await page.screenshot({
        path: join(ARTIFACTS, `${role}-${name}-${label}.png`),
        fullPage: true,
      });
    }
    await page.context().close();
  }
  return problems;
}

describe.each(ROLES)("%s", (role) => {
  it("opens every page it can reach without an error, and every CSV link downloads a CSV", async () => {
    const { problems, visited, csv } = await crawl(role);
    expect(problems).toEqual([]);
    // The walk really went somewhere: the navigation and at least one page of each list's rows.
    expect(visited.length).toBeGreaterThan(role === "support" ? 4 : 8);
    const kinds = new Set(visited.map((v) => kindOf(new URL(v, e2e.baseUrl)).split("?")[0]));
    expect([...kinds]).toEqual(expect.arrayContaining(["/payments/:id", "/exceptions/:id"]));
    if (role === "admin" || role === "finance") {
      expect([...kinds]).toEqual(expect.arrayContaining(["/reconciliation/:id", "/callbacks/:n"]));
      expect(csv).toEqual(
        expect.arrayContaining([
          "/payments/export.csv",
          "/exceptions/export.csv",
          "/callbacks/export.csv",
        ]),
      );
    } else expect(csv).toEqual([]);
  }, 240_000);

  it("shows its main pages at 1366 and 390 px without an error (screenshots saved)", async () => {
    expect(await screenshots(role)).toEqual([]);
  }, 240_000);
});
