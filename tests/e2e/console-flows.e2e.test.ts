// Exception flows in a browser against the real server and its in-process simulator:
// support re-sends a cancelled prompt and the virtual handset pays it; finance resolves a late success;
// a second finance user approves "paid offline"; a manager sees the dashboard but no exception actions.
import type { Page } from "playwright-core";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";

let e2e: E2E;
beforeAll(async () => {
  // A short Daraja timeout turns the hanging test number into an `unknown` payment in seconds.
  e2e = await startE2E({ DARAJA_TIMEOUT_MS: "2500" });
});
afterAll(async () => e2e?.stop());

const statusOf = (page: Page) =>
  page.locator("h1 [data-status]").first().getAttribute("data-status");

async function requestPayment(
  page: Page,
  orderRef: string,
  phone: string,
  amount = "120",
): Promise<string> {
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

async function waitForStatus(page: Page, status: string, timeout = 30_000) {
  await expect.poll(() => statusOf(page), { timeout, interval: 500 }).toBe(status);
}

async function exceptionOf(page: Page, paymentId: string, type: string): Promise<string> {
  await page.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  const link = page.locator(`[data-testid=open-exceptions] a`, {
    hasText: type.replace(/_/g, " "),
  });
  await expect
    .poll(
      async () => {
        await page.reload();
        return link.count();
      },
      { timeout: 30_000, interval: 1000 },
    )
    .toBeGreaterThan(0);
  return (await link.first().getAttribute("href"))!;
}

it("support re-sends a prompt for a cancelled payment and the handset pays it", async () => {
  const page = await signIn(e2e, "support");
  const paymentId = await requestPayment(page, "E2E-RESEND-1", "0708 000 002");
  await waitForStatus(page, "cancelled");
  await screenshot(page, "payment-cancelled");

  const resend = page.locator("form[aria-label='Re-send STK prompt']");
  await resend.locator("input[name=phone]").fill("0712 000 111");
  await resend
    .locator("textarea[name=reason]")
    .fill("Customer asked for the prompt on their other phone");
  await resend.locator("button[type=submit]").click();
  await waitForStatus(page, "pending");

  const handset = await page.context().newPage();
  await handset.goto(`${e2e.simulatorUrl}/handset?phone=254712000111`);
  await handset.locator("#screen input[type=password]").fill("1234");
  await screenshot(handset, "handset-prompt");
  await handset.locator("#screen button.pay").click();

  await waitForStatus(page, "paid");
  expect(await page.locator("[data-testid=attempts] tbody tr").count()).toBe(2);
  await expect
    .poll(() => page.locator("body").innerText())
    .toContain("Customer asked for the prompt on their other phone");
  await screenshot(page, "payment-paid-after-resend");
  await page.context().close();
  expect(paymentId).toMatch(/^[0-9a-f-]{36}$/);
});

it("finance resolves a late success with a note", async () => {
  const support = await signIn(e2e, "support");
  const paymentId = await requestPayment(support, "E2E-LATE-1", "0708 000 010");
  await support.context().close();

  const page = await signIn(e2e, "finance");
  const href = await exceptionOf(page, paymentId, "late_success");
  await page.goto(`${e2e.baseUrl}${href}`);
  await screenshot(page, "exception-late-success");
  const accept = page.locator("form[data-action=accept_paid]");
  await accept
    .locator("textarea[name=note]")
    .fill("Customer showed the M-Pesa SMS; shipping the order");
  await accept.locator("button[type=submit]").click();
  await expect
    .poll(() => page.locator("h1 [data-status]").getAttribute("data-status"))
    .toBe("resolved");
  await expect
    .poll(() => page.locator("[data-testid=resolution]").innerText())
    .toContain("shipping the order");

  await page.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  await waitForStatus(page, "paid", 5000);
  await page.goto(`${e2e.baseUrl}/exceptions`);
  await screenshot(page, "exception-queue");
  await page.context().close();
});

it("marking an unknown payment paid offline waits for a second finance user's approval", async () => {
  const support = await signIn(e2e, "support");
  const paymentId = await requestPayment(support, "E2E-OFFLINE-1", "0708 000 014");
  await waitForStatus(support, "unknown");
  await support.context().close();

  const first = await signIn(e2e, "finance");
  const href = await exceptionOf(first, paymentId, "unknown_outcome");
  await first.goto(`${e2e.baseUrl}${href}`);
  const propose = first.locator("form[data-action=mark_paid_offline]");
  await propose.locator("input[name=receipt]").fill("UKL1OFFLN9");
  await propose.locator("textarea[name=note]").fill("The org portal shows the payment");
  await propose.locator("button[type=submit]").click();
  await expect.poll(() => first.locator("[data-testid=proposal]").count()).toBe(1);
  expect(await first.locator("form[data-action=approve]").count()).toBe(0); // nobody approves their own proposal
  await screenshot(first, "exception-awaiting-approval");
  await first.context().close();

  const second = await signIn(e2e, "finance2");
  await second.goto(`${e2e.baseUrl}${href}`);
  const approve = second.locator("form[data-action=approve]");
  await approve.locator("textarea[name=note]").fill("Checked the portal statement too");
  await approve.locator("button[type=submit]").click();
  await expect
    .poll(() => second.locator("h1 [data-status]").getAttribute("data-status"))
    .toBe("resolved");
  await second.goto(`${e2e.baseUrl}/payments/${paymentId}`);
  await waitForStatus(second, "paid", 5000);
  expect(await second.locator("body").innerText()).toContain("UKL1OFFLN9");
  await second.context().close();
});

it("a manager sees the dashboard drawn and cannot reach exception actions", async () => {
  const page = await signIn(e2e, "manager");
  await page.goto(`${e2e.baseUrl}/`);
  await expect
    .poll(() => page.locator("svg .recharts-bar-rectangle, svg .recharts-rectangle").count(), {
      timeout: 15_000,
    })
    .toBeGreaterThan(0);
  await screenshot(page, "dashboard-manager");

  await page.goto(`${e2e.baseUrl}/exceptions`);
  const first = page.locator("table a[href^='/exceptions/']").first();
  await first.click();
  await page.waitForURL(/\/exceptions\/[0-9a-f-]{36}/);
  expect(await page.locator("form[data-action]").count()).toBe(0);
  // The manager's own valid token (the layout's sign-out form carries it): the 403 is the role's.
  const csrf = await page.locator('input[name="csrf"]').first().inputValue();
  expect(csrf.length).toBeGreaterThan(10);
  const refused = await page.request.post(page.url(), {
    form: { intent: "write_off", note: "manager tries", csrf },
  });
  expect(refused.status()).toBe(403);
  await page.goto(`${e2e.baseUrl}/payments`);
  await screenshot(page, "payments-list-manager");
  await page.context().close();
});
