// Every named scenario (simulator/scenarios/*.json) replayed against the BUILT server, through the
// same self-test the simulator offers merchants: the app is asked for each payment over its JSON API,
// the in-process simulator plays Daraja as the scenario scripts, and the app's outcome is read back
// over the JSON API. Then the simulator's self-test page runs a few of them in Chromium.
import { readdirSync } from "node:fs";
import { readScenarioDir, defaultScenarioDir } from "../../simulator/scenario-library";
import type { Scenario } from "../../simulator/scenario-format";
import { runSelfTest, type SelfTestReport } from "../../simulator/self-test";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

const CALLBACK_TOKEN = "e2e-scenario-callback-token";
let e2e: E2E;
let apiKey: string;
let scenarios: Scenario[];
let report: SelfTestReport;

async function createAdminKey(): Promise<string> {
  const page = await signIn(e2e, "admin");
  await page.goto(`${e2e.baseUrl}/admin/api-keys`);
  await page.fill("input[name=name]", "Scenario self-test");
  await page.selectOption("select[name=role]", "admin");
  await page.click("form[aria-label='Create an API key'] button[type=submit]");
  const key = await page.inputValue("[data-testid=new-api-key] input");
  await page.context().close();
  return key;
}

async function registerC2b() {
  const basic = Buffer.from("sim-consumer-key:sim-consumer-secret").toString("base64");
  const { access_token } = await fetch(
    `${e2e.simulatorUrl}/oauth/v1/generate?grant_type=client_credentials`,
    { headers: { Authorization: `Basic ${basic}` } },
  ).then((r) => r.json());
  const res = await fetch(`${e2e.simulatorUrl}/mpesa/c2b/v1/registerurl`, {
    method: "POST",
    headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json" },
    body: JSON.stringify({
      ShortCode: "174379",
      ResponseType: "Completed",
      ConfirmationURL: `${e2e.baseUrl}/hooks/daraja/c2b/confirmation/${CALLBACK_TOKEN}`,
      ValidationURL: `${e2e.baseUrl}/hooks/daraja/c2b/validation/${CALLBACK_TOKEN}`,
    }),
  });
  if (!res.ok) throw new Error(`C2B registration failed: ${await res.text()}`);
}

beforeAll(async () => {
  e2e = await startE2E({
    MPESA_CALLBACK_TOKEN: CALLBACK_TOKEN,
    POLL_SCHEDULE: "*/2 * * * * *",
    POLL_FIRST_AFTER_S: "3",
    POLL_GIVE_UP_AFTER_S: "240",
  });
  apiKey = await createAdminKey();
  await registerC2b();
  scenarios = await readScenarioDir(defaultScenarioDir()!);
  report = await runSelfTest({
    appUrl: e2e.baseUrl,
    apiKey,
    simulatorUrl: e2e.simulatorUrl,
    scenarios,
  });
}, 300_000);
afterAll(async () => e2e?.stop());

describe("every named scenario against the built server", () => {
  it("ran them all, none skipped", () => {
    expect(report.results.map((r) => r.name).sort()).toEqual(scenarios.map((s) => s.name).sort());
    expect(report.skipped).toBe(0);
  });

  // Names are needed before beforeAll runs: read them from the folder's listing.
  const names = readdirSync(defaultScenarioDir()!)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));
  it.each(names)("%s", (name) => {
    const result = report.results.find((r) => r.name === name)!;
    expect(
      { outcome: result.outcome, summary: result.summary },
      JSON.stringify(result.observed?.timeline ?? [], null, 1),
    ).toEqual({ outcome: "passed", summary: expect.any(String) });
  });

  it("shows on each record which kind of phone number the callbacks carried", () => {
    const phones = (name: string) =>
      report.results.find((r) => r.name === name)?.observed?.callbackPhones;
    expect(phones("paid-masked-phone")).toEqual(["masked"]);
    expect(phones("paid-no-phone")).toEqual(["absent"]);
    expect(phones("duplicate-callback")).toEqual(["full", "full"]);
  });
});

describe("the simulator's self-test page", () => {
  it("runs chosen scenarios against the app and reports what it did", async () => {
    const context = await e2e.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${e2e.simulatorUrl}/selftest`);
    await page.fill("input[name=app]", e2e.baseUrl);
    await page.fill("input[name=apiKey]", apiKey);
    await page.fill("input[name=only]", "paid-masked-phone, wrong-amount");
    await page.click("button[type=submit]");
    await page.waitForSelector("#summary", { timeout: 60_000 });
    await screenshot(page, "simulator-self-test");
    expect(await page.textContent("#summary")).toContain("2 passed, 0 failed");
    const rows = await page.locator("#results tr").allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.join("\n")).toContain("the payment is unknown; open exceptions: amount_mismatch");
    await context.close();
  }, 90_000);
});
