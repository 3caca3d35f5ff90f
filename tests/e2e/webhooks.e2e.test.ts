// Merchant webhooks in the built server, in Chromium: an admin adds an endpoint (its signing secret
// is shown once and never again), presses "Send test event", and the server's own delivery job signs
// and POSTs it to a receiver that verifies it with the Standard Webhooks library.
import { Webhook } from "standardwebhooks";
import { screenshot, signIn, startE2E, type E2E } from "./support/harness";
import {
  startWebhookReceiver,
  webhookHeaders,
  type WebhookReceiver,
} from "../support/webhook-receiver";

let e2e: E2E;
let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
  await receiver?.close();
});

describe("webhooks admin page", () => {
  it("adds an endpoint, shows its secret once, and delivers a signed test event", async () => {
    const page = await signIn(e2e, "admin");
    await page.goto(`${e2e.baseUrl}/admin/webhooks`);
    const form = page.locator("form[aria-label='Add an endpoint']");
    await form.locator("input[name=url]").fill(receiver.url);
    await form.locator("select[name=role]").selectOption("support");
    await form.locator("input[value='payment.refunded']").check();
    await form.locator("button[type=submit]").click();
    const secret = await page.inputValue("[data-testid=webhook-secret] input");
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    await screenshot(page, "webhooks-created");

    // Reloading shows the endpoint, never the secret again.
    await page.goto(`${e2e.baseUrl}/admin/webhooks`);
    expect(await page.locator("[data-testid=webhook-secret]").count()).toBe(0);
    expect(await page.content()).not.toContain(secret.slice(6));
    await page.getByRole("link", { name: receiver.url }).click();
    await page.waitForURL(/\/admin\/webhooks\/[0-9a-f-]{36}$/);

    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("Test event queued").waitFor();
    const deadline = Date.now() + 20_000;
    while (receiver.received.length === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    expect(new Webhook(secret).verify(request.body, webhookHeaders(request))).toMatchObject({
      type: "webhook.test",
    });

    // The delivery shows on the endpoint's page as delivered, with the body that was sent.
    await page.reload();
    const row = page.locator("[data-testid^=delivery-]").first();
    await row.getByText("delivered").waitFor();
    expect(await row.innerText()).toContain("webhook.test");
    expect(await row.innerText()).toContain("200");
    await screenshot(page, "webhooks-endpoint");
    await page.context().close();
  });

  it("refuses a URL that is not a URL, and support staff the page", async () => {
    const admin = await signIn(e2e, "admin");
    await admin.goto(`${e2e.baseUrl}/admin/webhooks`);
    const form = admin.locator("form[aria-label='Add an endpoint']");
    await form.locator("input[name=url]").evaluate((el: HTMLInputElement) => {
      el.type = "text"; // past the browser's own check, to the server's
      el.value = "ftp://files.example.com/hook";
    });
    await form.locator("button[type=submit]").click();
    await admin.getByRole("alert").filter({ hasText: "https" }).waitFor();
    await admin.context().close();

    const support = await signIn(e2e, "support");
    const response = await support.goto(`${e2e.baseUrl}/admin/webhooks`);
    expect(response?.status()).toBe(403);
    await support.context().close();
  });
});
