import { ConfigError, loadConfig } from "./config.server";

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
});
