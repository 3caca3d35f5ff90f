// What the settings page may show: the configuration with secrets masked, and the callback URLs to
// register checked for what Daraja would silently reject.
import { loadConfig } from "../../config.server";
import { maskSecret } from "./mask";
import { getSettingsView } from "./settings.server";

const sandbox = (env: Record<string, string> = {}) =>
  loadConfig({
    MPESA_ENVIRONMENT: "sandbox",
    MPESA_CONSUMER_KEY: "ck-0123456789abcdefWXYZ",
    MPESA_CONSUMER_SECRET: "cs-secret-0123456789-LAST",
    MPESA_SHORTCODE: "174379",
    MPESA_PASSKEY: "pk-abcdefabcdefabcdef-9876",
    MPESA_CALLBACK_TOKEN: "tok_Secret-Callback-0042",
    PUBLIC_URL: "https://pay.example.co.ke",
    DATABASE_URL: "postgres://console:hunter2@db.internal:5432/console",
    SESSION_SECRET: "settings-test-session-secret-32-chars-long",
    ...env,
  });

describe("the settings view", () => {
  it("masks every secret down to its last four characters and never shows the database password", () => {
    const view = getSettingsView(sandbox());
    expect(view.secrets.map((s) => s.masked)).toEqual([
      "••••••••WXYZ",
      "••••••••LAST",
      "••••••••9876",
      "••••••••0042",
    ]);
    const text = JSON.stringify(view);
    for (const secret of [
      "ck-0123456789abcdefWXYZ",
      "cs-secret-0123456789-LAST",
      "pk-abcdefabcdefabcdef-9876",
      "tok_Secret-Callback-0042",
      "hunter2",
    ])
      expect(text).not.toContain(secret);
    expect(view.callbackUrls.map((u) => u.masked)).toEqual([
      "https://pay.example.co.ke/hooks/daraja/stk/••••••••0042",
      "https://pay.example.co.ke/hooks/daraja/c2b/confirmation/••••••••0042",
      "https://pay.example.co.ke/hooks/daraja/c2b/validation/••••••••0042",
    ]);
    expect(view.callbackUrls.every((u) => u.problems.length === 0)).toBe(true);
  });

  it("names the problems Daraja would reject the callback URL for", () => {
    const view = getSettingsView(
      sandbox({ MPESA_ENVIRONMENT: "production", PUBLIC_URL: "https://mpesa-shop.example.com" }),
    );
    expect(view.callbackUrls[0].problems).toEqual([expect.stringContaining('"mpesa"')]);
  });

  it("shows short secrets as bullets only", () => {
    expect(maskSecret("short-1")).toBe("••••••••");
    expect(maskSecret("")).toBe("(not set)");
  });
});
