// What the settings page may show about the running configuration (read-only: it comes from the
// environment, docs/daraja.md#stk-push for the Daraja values). Secrets leave this module masked,
// never whole; the callback URLs to register with Safaricom are shown masked and checked for the
// problems Daraja rejects without saying why (daraja/callback-url.ts, docs/daraja.md#callback-url,
// #c2b-registration).
import type { Config } from "../../config.server";
import { validateCallbackUrl } from "../daraja/callback-url";
import { maskInUrl, maskSecret } from "./mask";
import type { SettingsView } from "./settings-view";

export type { SettingsView };

export function getSettingsView(config: Config): SettingsView {
  const { mpesa } = config;
  const hook = (path: string) => `${config.publicUrl}/hooks/daraja/${path}/${mpesa.callbackToken}`;
  const urls = [
    {
      name: "STK Push callback",
      purpose: "sent with every STK push as CallBackURL",
      url: mpesa.callbackUrl,
    },
    {
      name: "C2B confirmation",
      purpose: "register with Daraja's C2B Register URL as ConfirmationURL",
      url: hook("c2b/confirmation"),
    },
    {
      name: "C2B validation",
      purpose: "register as ValidationURL (only if external validation is enabled)",
      url: hook("c2b/validation"),
    },
  ];
  return {
    environment: mpesa.environment,
    merchantName: mpesa.merchantName,
    publicUrl: config.publicUrl,
    daraja: {
      baseUrl: mpesa.baseUrl,
      timeoutMs: mpesa.timeoutMs,
      shortcode: mpesa.shortcode,
      partyB: mpesa.partyB,
      transactionType: mpesa.transactionType,
    },
    secrets: [
      { name: "Consumer key", env: "MPESA_CONSUMER_KEY", masked: maskSecret(mpesa.consumerKey) },
      {
        name: "Consumer secret",
        env: "MPESA_CONSUMER_SECRET",
        masked: maskSecret(mpesa.consumerSecret),
      },
      { name: "Passkey", env: "MPESA_PASSKEY", masked: maskSecret(mpesa.passkey) },
      {
        name: "Callback token",
        env: "MPESA_CALLBACK_TOKEN",
        masked: maskSecret(mpesa.callbackToken),
      },
    ],
    // Problems are worked out on the real URL; only the masked one leaves this function.
    callbackUrls: urls.map((u) => ({
      name: u.name,
      purpose: u.purpose,
      masked: maskInUrl(u.url, mpesa.callbackToken),
      problems: validateCallbackUrl(u.url, mpesa.environment).map((p) =>
        maskInUrl(p, mpesa.callbackToken),
      ),
    })),
    network: { allowedIps: mpesa.allowedIps, trustProxy: mpesa.trustProxy },
    poller: config.poller,
    // Never the connection URL: it carries the database password.
    database: config.database.url
      ? "PostgreSQL (DATABASE_URL)"
      : `PGlite files in ${config.database.dataDir}`,
  };
}
