// Issue 11 over HTTP against the built server: the security headers and a CSP whose nonce lets
// Remix's own scripts run (the page hydrates in Chromium with no violation reported), a 413 answer to
// an oversized callback, `Origin: null` refused, and no callback token in a log line whatever the
// letter case of the path.
import { signIn, startE2E, type E2E } from "./support/harness";

const TOKEN = "dev-callback-token"; // the simulator-mode default
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ LOG_LEVEL: "info" });
});
afterAll(async () => e2e?.stop());

describe("headers", () => {
  it("carry a nonce CSP that the page's scripts use, and the other guards", async () => {
    const res = await fetch(`${e2e.baseUrl}/login`);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("strict-transport-security")).toMatch(/max-age=\d+/); // NODE_ENV=production
    const html = await res.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)];
    expect(inline.length).toBeGreaterThan(0);
    for (const [, attrs] of inline) expect(attrs).toContain(`nonce="${nonce}"`);
    // A fresh nonce per response.
    const again = (await fetch(`${e2e.baseUrl}/login`)).headers.get("content-security-policy")!;
    expect(again).not.toContain(nonce);
  });

  it("let the console hydrate in Chromium with no CSP violation", async () => {
    const page = await signIn(e2e, "support");
    const problems: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(`${e2e.baseUrl}/payments`);
    await page.waitForFunction(() => "__remixRouter" in window);
    // A client-side navigation: only a hydrated app changes page without reloading the document.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.locator("nav.sidenav a", { hasText: "Exceptions" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/exceptions"));
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe("requests", () => {
  it("answer an oversized callback 413 rather than cutting the connection", async () => {
    const res = await fetch(`${e2e.baseUrl}/hooks/daraja/stk/${TOKEN}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ filler: "x".repeat(300_000) }),
    });
    expect(res.status).toBe(413);
  });

  it("refuse a POST from an opaque origin (Origin: null)", async () => {
    const res = await fetch(`${e2e.baseUrl}/login`, {
      method: "POST",
      headers: { Origin: "null", "Content-Type": "application/x-www-form-urlencoded" },
      body: "email=a%40b.test&password=whatever",
    });
    expect(res.status).toBe(403);
  });

  it("keep the callback token out of the log, whatever the path's letter case", async () => {
    for (const path of [`/hooks/daraja/stk/${TOKEN}`, `/HOOKS/Daraja/STK/${TOKEN}`])
      await fetch(`${e2e.baseUrl}${path}`, { method: "POST", body: "{}" });
    await new Promise((r) => setTimeout(r, 300));
    expect(e2e.output()).toMatch(/HOOKS\/Daraja\/STK\/…/);
    expect(e2e.output()).not.toContain(TOKEN);
  });
});
