// Money out in a browser against the real server and its in-process simulator: finance asks M-Pesa
// for the Transaction Status of a payment paid without a receipt, and a reversal goes request →
// second finance user's approval → M-Pesa's result → `refunded`; and a reversal M-Pesa never answers,
// which finance records as unanswered (after MPESA_RESULT_WAIT_S) so the receipt can be reversed again.
import type { Page } from "playwright-core";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
beforeAll(async () => {
  // Five seconds instead of an hour before finance may say M-Pesa did not answer a reversal.
  e2e = await startE2E({ MPESA_RESULT_WAIT_S: "5" });
});
afterAll(async () => e2e?.stop());

const statusOf = (page: Page) =>
  page.locator("h1 [data-status]").first().getAttribute("data-status");

async function requestPayment(page: Page, orderRef: string, phone: string, amount: string) {
  await page.goto(`${e2e.baseUrl}/payments/new`);
  await page.fill("input[name=orderRef]", orderRef);
  await page.fill("input[name=amount]", amount);
  await page.fill("input[name=phone]", phone);
  await Promise.all([
    page.waitForURL(/\/payments\/[0-9a-f-]{36}$/),
    page.click("main form button[type=submit]"),
  ]);
  return new URL(page.url()).pathname.split("/").pop()!;
}

it("finance requests a reversal, a second finance user approves, and the payment is refunded", async () => {
  const support = await signIn(e2e, "support");
  const paymentId = await requestPayment(support, "E2E-REVERSE-1", "0708 000 001", "130");
  await expect.poll(() => statusOf(support), { timeout: 30_000, interval: 500 }).toBe("paid");
  expect(await support.locator("[data-testid=money-out]").count()).toBe(0);

  const finance = await signIn(e2e, "finance");
  await finance.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  const form = finance.locator("form[aria-label='Request reversal']");
  await form.locator("input[name=reason]").fill("Customer cancelled the order");
  await form.locator("button[type=submit]").click();
  await expect
    .poll(() => finance.locator("[data-testid=money-out]").innerText(), { timeout: 15_000 })
    .toContain("A different finance user must approve it");
  await finance.reload();
  const row = finance.locator("[data-testid=money-out-requests] tbody tr").first();
  expect(await row.getAttribute("data-state")).toBe("awaiting_approval");
  // The requester may withdraw, never approve.
  expect(await row.locator("button", { hasText: "Approve" }).count()).toBe(0);
  expect(await row.locator("button", { hasText: "Withdraw" }).count()).toBe(1);
  await screenshot(finance, "reversal-awaiting-approval");

  const approver = await signIn(e2e, "finance2");
  await approver.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  await approver
    .locator("[data-testid=money-out-requests] button", { hasText: "Approve and send" })
    .click();
  await expect.poll(() => statusOf(approver), { timeout: 30_000, interval: 500 }).toBe("refunded");
  await expect
    .poll(() => approver.locator("body").innerText(), { timeout: 10_000 })
    .toMatch(/reversed by [A-Z0-9]{10}/);
  expect(
    await approver
      .locator("[data-testid=money-out-requests] tbody tr")
      .first()
      .getAttribute("data-state"),
  ).toBe("completed");
  await screenshot(approver, "reversal-refunded");
}, 180_000); // three sign-ins and two Daraja round trips on a loaded machine

it("finance asks M-Pesa for the Transaction Status of a payment paid without a receipt", async () => {
  const support = await signIn(e2e, "support");
  // Pays, but the callback is lost: the poller's STK Query says paid, with no receipt.
  const paymentId = await requestPayment(support, "E2E-STATUS-1", "0708 000 006", "140");
  await expect.poll(() => statusOf(support), { timeout: 40_000, interval: 500 }).toBe("paid");

  // The customer reads the receipt from their SMS: here, the simulator's record of the prompt.
  const state = (await (await fetch(`${e2e.simulatorUrl}/__sim/state`)).json()) as {
    prompts: { phone: string; amount: number; receipt: string | null }[];
  };
  const receipt = state.prompts.find(
    (p) => p.phone === "254708000006" && p.amount === 140,
  )!.receipt!;

  const finance = await signIn(e2e, "finance");
  await finance.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  const form = finance.locator("form[aria-label='Transaction Status']");
  await form.locator("input[name=receipt]").fill(receipt.toLowerCase());
  await form.locator("button[type=submit]").click();
  await expect
    .poll(() => finance.locator("body").innerText(), { timeout: 30_000, interval: 500 })
    .toContain(`Receipt ${receipt} attached`);
  // Paid with its receipt and no case: nothing more to ask.
  await finance.reload();
  expect(await finance.locator("form[aria-label='Transaction Status']").count()).toBe(0);
  await screenshot(finance, "transaction-status-receipt-attached");
}, 180_000);

it("finance records that M-Pesa never answered a reversal, and may then reverse the receipt again", async () => {
  const support = await signIn(e2e, "support");
  const paymentId = await requestPayment(support, "E2E-REVERSE-2", "0708 000 001", "135");
  await expect.poll(() => statusOf(support), { timeout: 30_000, interval: 500 }).toBe("paid");
  // M-Pesa accepts the reversal and never sends its result.
  const drop = await fetch(`${e2e.simulatorUrl}/__sim/next-initiator-result`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ api: "reversal", outcome: "drop" }),
  });
  expect(drop.status).toBe(200);

  const finance = await signIn(e2e, "finance");
  await finance.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  const ask = finance.locator("form[aria-label='Request reversal']");
  await ask.locator("input[name=reason]").fill("Customer cancelled the order");
  await ask.locator("button[type=submit]").click();
  const approver = await signIn(e2e, "finance2");
  await approver.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  await expect
    .poll(() => approver.locator("[data-testid=money-out-requests] button").count(), {
      timeout: 15_000,
    })
    .toBeGreaterThan(0);
  await approver
    .locator("[data-testid=money-out-requests] button", { hasText: "Approve and send" })
    .click();

  const row = finance.locator("[data-testid=money-out-requests] tbody tr").first();
  await expect
    .poll(
      async () => {
        await finance.reload();
        return row.getAttribute("data-state");
      },
      { timeout: 20_000, interval: 1000 },
    )
    .toBe("sent");
  // (Within the wait the page says when that may be recorded: the unit tests show it, five seconds
  // are too short to catch here.)
  const record = finance.locator("form[aria-label='Record no answer']");
  await expect
    .poll(
      async () => {
        await finance.reload();
        return record.count();
      },
      { timeout: 20_000, interval: 1000 },
    )
    .toBe(1);
  await record.locator("input[name=note]").fill("Transaction Status shows it not reversed");
  await record.locator("button[type=submit]").click();
  await expect
    .poll(() => row.getAttribute("data-state"), { timeout: 15_000, interval: 500 })
    .toBe("unanswered");
  expect(await row.innerText()).toContain("No answer from M-Pesa");
  // The answer stays on screen though the form has gone with the waiting request.
  expect(await row.innerText()).toContain("Recorded: M-Pesa did not answer");
  await expect
    .poll(() => finance.locator("body").innerText(), { timeout: 10_000 })
    .toMatch(/recorded that M-Pesa never answered the reversal/);
  // The receipt may be reversed again: the request form is back, and the payment is still paid.
  expect(await finance.locator("form[aria-label='Request reversal']").count()).toBe(1);
  expect(await statusOf(finance)).toBe("paid");
  await screenshot(finance, "reversal-unanswered");
}, 180_000);
