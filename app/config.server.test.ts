import { ConfigError, loadConfig } from "./config.server";
import { urlPolicyOf } from "./modules/webhooks/endpoints.server";
import { webhookUrlProblem } from "./modules/webhooks/url";

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("configuration", () => {
  it("runs with nothing set: simulator mode, embedded database, local callback URL", () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe("./.data");
    expect(config.mpesa.environment).toBe("simulator");
    expect(config.mpesa.baseUrl).toBe("http://127.0.0.1:4010");
    expect(config.mpesa.callbackUrl).toBe(
      "http://localhost:3000/hooks/daraja/stk/dev-callback-token",
    );
    expect(config.simulator.start).toBe(true);
    expect(config.poller).toEqual({
      enabled: true,
      schedule: "*/15 * * * * *",
      firstAfterS: 30,
      giveUpAfterS: 300,
      maxQps: 5,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("names the variable and what it expects when a value is wrong", () => {
    expect(problemsOf({ PORT: "eighty" })).toEqual([expect.stringMatching(/^PORT: /)]);
    expect(problemsOf({ DATABASE_URL: "mysql://x" })).toEqual([
      "DATABASE_URL: a postgres:// connection URL",
    ]);
    expect(problemsOf({ MPESA_ENVIRONMENT: "live" })[0]).toMatch(/^MPESA_ENVIRONMENT: /);
    expect(problemsOf({ POLL_MAX_QPS: "-1" })[0]).toMatch(/^POLL_MAX_QPS: /);
  });

  it("requires Daraja credentials outside simulator mode, and lists every missing one", () => {
    const problems = problemsOf({ MPESA_ENVIRONMENT: "sandbox" });
    for (const name of [
      "MPESA_CONSUMER_KEY",
      "MPESA_CONSUMER_SECRET",
      "MPESA_SHORTCODE",
      "MPESA_PASSKEY",
      "MPESA_CALLBACK_TOKEN",
    ]) {
      expect(problems).toContainEqual(expect.stringContaining(name));
    }
  });

  it("requires a session secret and an https PUBLIC_URL in production", () => {
    const problems = problemsOf({
      NODE_ENV: "production",
      MPESA_ENVIRONMENT: "production",
      PUBLIC_URL: "http://shop.example",
      MPESA_CONSUMER_KEY: "k",
      MPESA_CONSUMER_SECRET: "s",
      MPESA_SHORTCODE: "600999",
      MPESA_PASSKEY: "p",
      MPESA_CALLBACK_TOKEN: "token-1234",
    });
    expect(problems).toContainEqual(expect.stringContaining("SESSION_SECRET"));
    expect(problems).toContainEqual(expect.stringContaining("PUBLIC_URL: must be an https://"));
  });

  it("refuses demo users outside simulator mode, where their published passwords cannot sign in", () => {
    const sandbox = {
      MPESA_ENVIRONMENT: "sandbox",
      MPESA_CONSUMER_KEY: "k",
      MPESA_CONSUMER_SECRET: "s",
      MPESA_SHORTCODE: "600999",
      MPESA_PASSKEY: "p",
      MPESA_CALLBACK_TOKEN: "token-1234",
      SESSION_SECRET: "a-session-secret-that-is-long-enough-1234",
    };
    expect(problemsOf({ ...sandbox, SEED_DEMO_DATA: "true" })).toEqual([
      expect.stringMatching(/^SEED_DEMO_DATA: demo users can sign in only in simulator mode/),
    ]);
    expect(problemsOf({ ...sandbox, SEED_DEMO_DATA: "false" })).toEqual([]);
    expect(problemsOf({ SEED_DEMO_DATA: "true" })).toEqual([]);
  });

  it("never echoes a secret back in its error", () => {
    const error = (() => {
      try {
        loadConfig({ SESSION_SECRET: "short-but-secret-value", MPESA_PASSKEY: "" });
      } catch (thrown) {
        return thrown;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toContain("SESSION_SECRET");
    expect(String(error)).not.toContain("short-but-secret-value");
  });

  it("wants the till number for buy-goods and sends it as PartyB", () => {
    expect(problemsOf({ MPESA_TRANSACTION_TYPE: "CustomerBuyGoodsOnline" })[0]).toMatch(
      /^MPESA_PARTY_B/,
    );
    const config = loadConfig({
      MPESA_TRANSACTION_TYPE: "CustomerBuyGoodsOnline",
      MPESA_PARTY_B: "5123456",
    });
    expect(config.mpesa.partyB).toBe("5123456");
    expect(config.mpesa.shortcode).toBe("174379");
  });

  it("uses the real Daraja hosts for sandbox and production unless DARAJA_BASE_URL overrides", () => {
    const creds = {
      MPESA_CONSUMER_KEY: "k",
      MPESA_CONSUMER_SECRET: "s",
      MPESA_SHORTCODE: "174379",
      MPESA_PASSKEY: "p",
      MPESA_CALLBACK_TOKEN: "token-1234",
      SESSION_SECRET: "a-live-session-secret-of-32-characters-or-more",
    };
    expect(loadConfig({ ...creds, MPESA_ENVIRONMENT: "sandbox" }).mpesa.baseUrl).toBe(
      "https://sandbox.safaricom.co.ke",
    );
    expect(loadConfig({ ...creds, MPESA_ENVIRONMENT: "sandbox" }).simulator.start).toBe(false);
    expect(
      loadConfig({
        ...creds,
        MPESA_ENVIRONMENT: "sandbox",
        DARAJA_BASE_URL: "http://127.0.0.1:9999/",
      }).mpesa.baseUrl,
    ).toBe("http://127.0.0.1:9999");
  });

  it("applies callbacks in a child process on PostgreSQL, in the server on the embedded database", () => {
    const pg = "postgres://console@127.0.0.1:5432/console";
    expect(loadConfig({}).callbackApplier).toBe("inline");
    expect(loadConfig({ DATABASE_URL: pg }).callbackApplier).toBe("process");
    expect(loadConfig({ DATABASE_URL: pg, CALLBACK_APPLIER: "inline" }).callbackApplier).toBe(
      "inline",
    );
    expect(problemsOf({ CALLBACK_APPLIER: "process" })).toEqual([
      expect.stringMatching(/^CALLBACK_APPLIER: process needs DATABASE_URL/),
    ]);
    expect(problemsOf({ CALLBACK_APPLIER: "thread" })[0]).toMatch(/^CALLBACK_APPLIER: /);
  });

  it("holds applying during a burst of 500/s for at most 3 s unless told otherwise, 0 to never hold", () => {
    expect(loadConfig({}).callbackBurstHoldMs).toBe(3000);
    expect(loadConfig({}).callbackBurstPerSecond).toBe(500);
    expect(loadConfig({ CALLBACK_BURST_PER_S: "50" }).callbackBurstPerSecond).toBe(50);
    expect(problemsOf({ CALLBACK_BURST_PER_S: "0" })[0]).toMatch(/^CALLBACK_BURST_PER_S: /);
    expect(loadConfig({ CALLBACK_BURST_HOLD_MS: "0" }).callbackBurstHoldMs).toBe(0);
    expect(problemsOf({ CALLBACK_BURST_HOLD_MS: "-1" })[0]).toMatch(/^CALLBACK_BURST_HOLD_MS: /);
    expect(problemsOf({ CALLBACK_BURST_HOLD_MS: "3s" })[0]).toMatch(/^CALLBACK_BURST_HOLD_MS: /);
  });

  describe("outside simulator mode, an unset NODE_ENV relaxes nothing", () => {
    // What `npm start` runs with on a live deployment: MPESA_ENVIRONMENT set, NODE_ENV not.
    const live = (environment: "sandbox" | "production", env: Record<string, string> = {}) => ({
      MPESA_ENVIRONMENT: environment,
      PUBLIC_URL: "https://pay.example.co.ke",
      MPESA_CONSUMER_KEY: "k",
      MPESA_CONSUMER_SECRET: "s",
      MPESA_SHORTCODE: "600999",
      MPESA_PASSKEY: "p",
      MPESA_CALLBACK_TOKEN: "token-1234",
      ...env,
    });
    const SECRET = { SESSION_SECRET: "a-live-session-secret-of-32-characters-or-more" };
    const NODE_ENVS: Record<string, string>[] = [
      {},
      { NODE_ENV: "development" },
      { NODE_ENV: "test" },
    ];

    it.each(["sandbox", "production"] as const)(
      "refuses to start on %s without SESSION_SECRET, naming it",
      (environment) => {
        for (const nodeEnv of NODE_ENVS)
          expect(problemsOf(live(environment, nodeEnv))).toEqual([
            `SESSION_SECRET: required when MPESA_ENVIRONMENT=${environment} (at least 32 random characters)`,
          ]);
        expect(
          problemsOf(
            live(environment, { SESSION_SECRET: "development-only-session-secret-change-me" }),
          ),
        ).toEqual([expect.stringMatching(/^SESSION_SECRET: the published development secret/)]);
      },
    );

    it.each(["sandbox", "production"] as const)(
      "on %s sets Secure cookies and HSTS for an https PUBLIC_URL",
      (environment) => {
        for (const nodeEnv of NODE_ENVS) {
          const config = loadConfig(live(environment, { ...SECRET, ...nodeEnv }));
          expect(config.session.secret).toBe(SECRET.SESSION_SECRET);
          expect(config.session.secureCookie).toBe(true);
          expect(config.hardened).toBe(true);
        }
      },
    );

    it.each(["sandbox", "production"] as const)(
      "on %s refuses webhook URLs to private addresses and over plain http",
      (environment) => {
        for (const nodeEnv of NODE_ENVS) {
          const policy = urlPolicyOf(loadConfig(live(environment, { ...SECRET, ...nodeEnv })));
          expect(policy).toEqual({ requireHttps: true, allowPrivate: false });
          for (const url of [
            "https://169.254.169.254/latest/meta-data/",
            "https://127.0.0.1:8080/hook",
            "https://10.0.0.5/hook",
            "http://hooks.example.com/receive",
          ])
            expect(webhookUrlProblem(url, policy), url).not.toBeNull();
          expect(webhookUrlProblem("https://hooks.example.com/receive", policy)).toBeNull();
        }
      },
    );

    it("keeps the conveniences for `npm start` with nothing set (simulator, development)", () => {
      const config = loadConfig({});
      expect(config.session.secret).toBe("development-only-session-secret-change-me");
      expect(config.session.secureCookie).toBe(false);
      expect(config.hardened).toBe(false);
      expect(urlPolicyOf(config)).toEqual({ requireHttps: false, allowPrivate: true });
      expect(webhookUrlProblem("http://127.0.0.1:9999/hook", urlPolicyOf(config))).toBeNull();
    });

    it("in a production build on the simulator wants a secret and hardens HTTP, with test receivers allowed", () => {
      // How tests/build and the browser tests start the built server.
      expect(problemsOf({ NODE_ENV: "production" })).toEqual([
        expect.stringMatching(/^SESSION_SECRET: required when NODE_ENV=production/),
      ]);
      const config = loadConfig({ NODE_ENV: "production", ...SECRET });
      expect(config.session.secureCookie).toBe(true);
      expect(config.hardened).toBe(true);
      expect(urlPolicyOf(config)).toEqual({ requireHttps: false, allowPrivate: true });
    });

    it("sets Secure cookies and HSTS for an https PUBLIC_URL on the simulator too", () => {
      const config = loadConfig({ PUBLIC_URL: "https://demo.example.co.ke" });
      expect(config.session.secureCookie).toBe(true);
      expect(config.hardened).toBe(true);
    });
  });
});
