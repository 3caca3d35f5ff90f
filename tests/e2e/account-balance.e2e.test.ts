// The M-Pesa account balance in a browser against the real server and its in-process simulator:
// finance presses "Ask M-Pesa for the balance now" on the Reconciliation page, the request goes to
// the simulator's Account Balance API, its asynchronous result arrives on the balance hook, and the
// page shows the accounts it reported.
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => e2e?.stop());

it("finance asks for the account balance and sees M-Pesa's accounts once the result arrives", async () => {
  const finance = await signIn(e2e, "finance");
  await finance.goto(`${e2e.baseUrl}/reconciliation`);
  const panel = finance.locator("[data-testid=balance]");
  await expect.poll(() => panel.innerText()).toContain("No balance yet");

  await finance.locator("button", { hasText: "Ask M-Pesa for the balance now" }).click();
  // The result comes back on its own hook: reload until the snapshot is there.
  await expect
    .poll(
      async () => {
        await finance.goto(`${e2e.baseUrl}/reconciliation`);
        return panel.innerText();
      },
      { timeout: 30_000, interval: 1_000 },
    )
    .toContain("Utility Account");
  const text = await panel.innerText();
  expect(text).not.toContain("No balance yet");
  expect(text).toMatch(/Working Account\s+KES [\d,]+\.\d{2}/);
  expect(text).toMatch(/As of .*\d{1,2}:\d{2}/);
  // The simulator was asked exactly once, with our operator's request.
  const state = (await (await fetch(`${e2e.simulatorUrl}/__sim/initiator`)).json()) as {
    requests: { api: string }[];
  };
  expect(state.requests.filter((r) => r.api === "balance")).toHaveLength(1);
  await screenshot(finance, "account-balance-snapshot");
}, 120_000);
