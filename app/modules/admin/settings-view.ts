// What the settings page shows: already masked by settings.server.ts, so the page component can be
// rendered on its own (and tested) without any secret ever reaching it.
export type SettingsView = {
  environment: "simulator" | "sandbox" | "production";
  merchantName: string;
  publicUrl: string;
  daraja: {
    baseUrl: string;
    timeoutMs: number;
    shortcode: string;
    partyB: string;
    transactionType: string;
  };
  secrets: { name: string; env: string; masked: string }[];
  callbackUrls: { name: string; purpose: string; masked: string; problems: string[] }[];
  network: { allowedIps: string[] | null; trustProxy: boolean };
  poller: {
    enabled: boolean;
    schedule: string;
    firstAfterS: number;
    giveUpAfterS: number;
    maxQps: number;
  };
  database: string;
};
