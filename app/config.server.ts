// The only reader of process.env. Everything is parsed once with zod into a frozen object; a wrong or
// missing value stops start-up with a message naming the variable and what it expects. Secrets are
// never echoed back (only the names of bad variables are).
import { z } from "zod";

const SIMULATOR_DEFAULTS = {
  consumerKey: "sim-consumer-key",
  consumerSecret: "sim-consumer-secret",
  shortcode: "174379",
  // Safaricom's public sandbox passkey (docs/daraja.md#stk-push-request); the simulator validates
  // against it.
  passkey: "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919",
} as const;

// The simulator's initiator (docs/daraja.md#initiator-apis): the password is encrypted with the
// TEST-ONLY certificate committed under simulator/test-initiator/, whose private key the simulator holds.
const SIMULATOR_INITIATOR = {
  name: "testapi",
  password: "Safaricom999!*!",
  certificatePath: "simulator/test-initiator/test-cert.pem",
} as const;

const DEV_SESSION_SECRET = "development-only-session-secret-change-me";
const DEV_CALLBACK_TOKEN = "dev-callback-token";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => ["true", "1", "yes"].includes(v));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: int(1, 65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a postgres:// connection URL")
    .optional(),
  DATABASE_POOL_MAX: int(1, 200).default(10),
  DATA_DIR: z.string().default("./.data"),

  SESSION_SECRET: z.string().min(32, "at least 32 characters").optional(),
  SESSION_TTL_HOURS: int(1, 24 * 30).default(12),

  MPESA_ENVIRONMENT: z.enum(["simulator", "sandbox", "production"]).default("simulator"),
  DARAJA_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  DARAJA_TIMEOUT_MS: int(1000, 120_000).default(15_000),
  MPESA_CONSUMER_KEY: z.string().min(1).optional(),
  MPESA_CONSUMER_SECRET: z.string().min(1).optional(),
  MPESA_SHORTCODE: z
    .string()
    .regex(/^\d{5,7}$/, "a 5–7 digit shortcode")
    .optional(),
  MPESA_PASSKEY: z.string().min(1).optional(),
  MPESA_TRANSACTION_TYPE: z
    .enum(["CustomerPayBillOnline", "CustomerBuyGoodsOnline"])
    .default("CustomerPayBillOnline"),
  MPESA_PARTY_B: z
    .string()
    .regex(/^\d{5,8}$/, "a till or paybill number")
    .optional(),
  MPESA_CALLBACK_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,128}$/, "8–128 letters, digits, _ or -")
    .optional(),
  MPESA_CALLBACK_ALLOWED_IPS: z.string().optional(),
  TRUST_PROXY: bool.default(false),
  MERCHANT_NAME: z.string().min(1).default("Demo Merchant"),

  MPESA_INITIATOR_NAME: z.string().min(1).max(100).optional(),
  MPESA_INITIATOR_PASSWORD: z.string().min(1).optional(),
  MPESA_INITIATOR_CERT_PATH: z.string().min(1).optional(),
  MPESA_SECURITY_CREDENTIAL: z
    .string()
    .regex(/^[A-Za-z0-9+/=\s]{16,}$/, "base64 text")
    .optional(),
  MPESA_ALLOW_REVERSALS: bool.optional(),
  MPESA_RESULT_WAIT_S: int(5, 7 * 24 * 3600).default(3600),
  BALANCE_QUERY_SCHEDULE: z.string().default("0 30 5 * * *"),

  SIMULATOR_PORT: int(1, 65535).default(4010),
  START_SIMULATOR: bool.optional(),
  SEED_DEMO_DATA: bool.optional(),
  DEMO_PAYMENTS: bool.default(true),

  POLLER_ENABLED: bool.default(true),
  POLL_SCHEDULE: z.string().default("*/15 * * * * *"),
  POLL_FIRST_AFTER_S: int(1, 3600).default(30),
  POLL_GIVE_UP_AFTER_S: int(10, 86_400).default(300),
  POLL_MAX_QPS: z.coerce.number().positive().max(1000).default(5),

  SHUTDOWN_DRAIN_S: int(0, 300).default(10),
  CALLBACK_APPLIER: z.enum(["process", "inline"]).optional(),
  CALLBACK_BURST_HOLD_MS: int(0, 60_000).default(3000),
  CALLBACK_BURST_PER_S: int(1, 1_000_000).default(500),
});

export type MpesaEnvironment = "simulator" | "sandbox" | "production";

export type Config = Readonly<{
  nodeEnv: "development" | "production" | "test";
  /**
   * A real deployment's HTTP hardening (HSTS; no live-reload WebSocket in the CSP). Off only for a
   * development/test rehearsal against the simulator over plain http (`npm start` with nothing set).
   */
  hardened: boolean;
  port: number;
  host: string;
  publicUrl: string;
  logLevel: string;
  database: { url?: string; poolMax: number; dataDir: string };
  session: { secret: string; ttlHours: number; secureCookie: boolean };
  mpesa: {
    environment: MpesaEnvironment;
    baseUrl: string;
    timeoutMs: number;
    consumerKey: string;
    consumerSecret: string;
    shortcode: string;
    passkey: string;
    transactionType: "CustomerPayBillOnline" | "CustomerBuyGoodsOnline";
    partyB: string;
    callbackToken: string;
    callbackUrl: string;
    allowedIps: string[] | null;
    trustProxy: boolean;
    merchantName: string;
    /**
     * The API operator for Transaction Status, Reversal and Account Balance; null when not
     * configured (those features then say so). Secrets: never logged, never shown.
     */
    initiator: Initiator | null;
    /** Reversals may leave only when MPESA_ALLOW_REVERSALS is on (default on only in the simulator). */
    allowReversals: boolean;
    /**
     * How long a sent reversal waits for M-Pesa's result before finance may record that none came
     * (MPESA_RESULT_WAIT_S), which lets the receipt be reversed again.
     */
    resultWaitMs: number;
    /** Where ResultURL / QueueTimeOutURL point, per initiator API: `${base}/${api}/result/${token}`. */
    resultHookBase: string;
  };
  /** node-cron schedule of the daily Account Balance query (EAT is the server's concern; UTC here). */
  balanceSchedule: string;
  simulator: { start: boolean; port: number };
  seedDemoData: boolean;
  /** With the demo users, three weeks of demo payments, cases and a statement (DEMO_PAYMENTS). */
  demoPayments: boolean;
  poller: {
    enabled: boolean;
    schedule: string;
    firstAfterS: number;
    giveUpAfterS: number;
    maxQps: number;
  };
  /** On SIGTERM, apply stored callbacks for at most this long before exiting (the rest wait for recovery). */
  shutdownDrainSeconds: number;
  /**
   * Where stored callbacks are applied: "process", a child process at a lower CPU priority, so a
   * burst of callbacks is acknowledged first (PostgreSQL only, its default); "inline", on the server's
   * own thread (PGlite's only choice: one process holds its files).
   */
  callbackApplier: "process" | "inline";
  /**
   * With the applier process: during a burst (callbacks arriving faster than callbackBurstPerSecond),
   * applying waits until the burst has been quiet for 50 ms, for at most this long, so acknowledging
   * has the machine to itself (burst-gate.server.ts). 0 turns the hold off.
   */
  callbackBurstHoldMs: number;
  callbackBurstPerSecond: number;
}>;

/** Either a ready SecurityCredential, or the password and the certificate to encrypt it with. */
export type Initiator = Readonly<{
  name: string;
  password: string | null;
  certificatePath: string | null;
  securityCredential: string | null;
}>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const DARAJA_URLS: Record<Exclude<MpesaEnvironment, "simulator">, string> = {
  sandbox: "https://sandbox.safaricom.co.ke",
  production: "https://api.safaricom.co.ke",
};

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings count as unset, as a shell `VAR=` usually means.
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`));
  }
  const e = parsed.data;
  const problems: string[] = [];
  const simulated = e.MPESA_ENVIRONMENT === "simulator";
  // The development conveniences (a published session secret, cookies without Secure, no HSTS) are for
  // a rehearsal against the simulator only. MPESA_ENVIRONMENT=sandbox or production is a real
  // deployment whatever NODE_ENV says: `npm start` does not set NODE_ENV, so it cannot be trusted to.
  const rehearsal = simulated && e.NODE_ENV !== "production";

  const required = (name: keyof typeof e, fallback: string | undefined) => {
    const value = (e[name] as string | undefined) ?? fallback;
    if (!value) problems.push(`${name}: required when MPESA_ENVIRONMENT=${e.MPESA_ENVIRONMENT}`);
    return value ?? "";
  };
  const consumerKey = required(
    "MPESA_CONSUMER_KEY",
    simulated ? SIMULATOR_DEFAULTS.consumerKey : undefined,
  );
  const consumerSecret = required(
    "MPESA_CONSUMER_SECRET",
    simulated ? SIMULATOR_DEFAULTS.consumerSecret : undefined,
  );
  const shortcode = required(
    "MPESA_SHORTCODE",
    simulated ? SIMULATOR_DEFAULTS.shortcode : undefined,
  );
  const passkey = required("MPESA_PASSKEY", simulated ? SIMULATOR_DEFAULTS.passkey : undefined);
  const callbackToken = required(
    "MPESA_CALLBACK_TOKEN",
    simulated ? DEV_CALLBACK_TOKEN : undefined,
  );

  const sessionSecret = e.SESSION_SECRET ?? (rehearsal ? DEV_SESSION_SECRET : undefined);
  if (!sessionSecret)
    problems.push(
      simulated
        ? "SESSION_SECRET: required when NODE_ENV=production (at least 32 random characters)"
        : `SESSION_SECRET: required when MPESA_ENVIRONMENT=${e.MPESA_ENVIRONMENT} (at least 32 random characters)`,
    );
  else if (!rehearsal && sessionSecret === DEV_SESSION_SECRET)
    problems.push("SESSION_SECRET: the published development secret; set a random one of your own");

  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  const https = publicUrl.startsWith("https://");
  if (e.MPESA_ENVIRONMENT === "production" && !https) {
    problems.push(
      "PUBLIC_URL: must be an https:// URL when MPESA_ENVIRONMENT=production (Daraja only calls back over HTTPS)",
    );
  }
  if (e.MPESA_TRANSACTION_TYPE === "CustomerBuyGoodsOnline" && !e.MPESA_PARTY_B) {
    problems.push(
      "MPESA_PARTY_B: required for CustomerBuyGoodsOnline (the till number; MPESA_SHORTCODE is the store number)",
    );
  }
  const initiator = initiatorFrom(e, simulated, problems);
  // The demo users' passwords are published and refused outside simulator mode: seeded there, they
  // could never sign in (and an admin would have to find and disable them).
  if (e.SEED_DEMO_DATA && !simulated)
    problems.push(
      `SEED_DEMO_DATA: demo users can sign in only in simulator mode (their published passwords are refused when MPESA_ENVIRONMENT=${e.MPESA_ENVIRONMENT}); leave it unset and create real users with \`npm run cli -- user:create\``,
    );
  if (e.CALLBACK_APPLIER === "process" && !e.DATABASE_URL)
    problems.push(
      "CALLBACK_APPLIER: process needs DATABASE_URL (the embedded database is open in one process only)",
    );
  if (problems.length) throw new ConfigError(problems);

  const startSimulator = e.START_SIMULATOR ?? (simulated && !e.DARAJA_BASE_URL);
  const baseUrl = (
    e.DARAJA_BASE_URL ??
    (simulated
      ? `http://127.0.0.1:${e.SIMULATOR_PORT}`
      : DARAJA_URLS[e.MPESA_ENVIRONMENT as "sandbox"])
  ).replace(/\/+$/, "");

  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    hardened: !rehearsal || https,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    logLevel: e.LOG_LEVEL,
    database: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX, dataDir: e.DATA_DIR },
    session: {
      secret: sessionSecret!,
      ttlHours: e.SESSION_TTL_HOURS,
      // Secure whenever the console is served over https, or NODE_ENV=production says it is (behind a
      // proxy that ends TLS). Not over plain http outside production: the browser would drop it.
      secureCookie: e.NODE_ENV === "production" || https,
    },
    mpesa: {
      environment: e.MPESA_ENVIRONMENT,
      baseUrl,
      timeoutMs: e.DARAJA_TIMEOUT_MS,
      consumerKey,
      consumerSecret,
      shortcode,
      passkey,
      transactionType: e.MPESA_TRANSACTION_TYPE,
      partyB: e.MPESA_PARTY_B ?? shortcode,
      callbackToken,
      callbackUrl: `${publicUrl}/hooks/daraja/stk/${callbackToken}`,
      allowedIps: e.MPESA_CALLBACK_ALLOWED_IPS
        ? e.MPESA_CALLBACK_ALLOWED_IPS.split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : null,
      trustProxy: e.TRUST_PROXY,
      merchantName: e.MERCHANT_NAME,
      initiator,
      allowReversals: e.MPESA_ALLOW_REVERSALS ?? simulated,
      resultWaitMs: e.MPESA_RESULT_WAIT_S * 1000,
      resultHookBase: `${publicUrl}/hooks/daraja`,
    },
    balanceSchedule: e.BALANCE_QUERY_SCHEDULE,
    simulator: { start: startSimulator, port: e.SIMULATOR_PORT },
    seedDemoData: e.SEED_DEMO_DATA ?? simulated,
    demoPayments: e.DEMO_PAYMENTS,
    poller: {
      enabled: e.POLLER_ENABLED,
      schedule: e.POLL_SCHEDULE,
      firstAfterS: e.POLL_FIRST_AFTER_S,
      giveUpAfterS: e.POLL_GIVE_UP_AFTER_S,
      maxQps: e.POLL_MAX_QPS,
    },
    shutdownDrainSeconds: e.SHUTDOWN_DRAIN_S,
    callbackApplier: e.CALLBACK_APPLIER ?? (e.DATABASE_URL ? "process" : "inline"),
    callbackBurstHoldMs: e.CALLBACK_BURST_HOLD_MS,
    callbackBurstPerSecond: e.CALLBACK_BURST_PER_S,
  });
}

function initiatorFrom(
  e: z.infer<typeof EnvSchema>,
  simulated: boolean,
  problems: string[],
): Initiator | null {
  const defaults = simulated ? SIMULATOR_INITIATOR : null;
  const name = e.MPESA_INITIATOR_NAME ?? defaults?.name;
  const credential = e.MPESA_SECURITY_CREDENTIAL?.replace(/\s+/g, "") ?? null;
  const password = e.MPESA_INITIATOR_PASSWORD ?? (credential ? null : (defaults?.password ?? null));
  const certificatePath =
    e.MPESA_INITIATOR_CERT_PATH ?? (credential ? null : (defaults?.certificatePath ?? null));
  if (!name && !password && !credential) return null; // not configured: the features say so
  if (!name)
    problems.push("MPESA_INITIATOR_NAME: required with an initiator password or credential");
  if (!credential && (!password || !certificatePath))
    problems.push(
      "MPESA_INITIATOR_PASSWORD and MPESA_INITIATOR_CERT_PATH: both required (or MPESA_SECURITY_CREDENTIAL)",
    );
  return Object.freeze({
    name: name ?? "",
    password,
    certificatePath,
    securityCredential: credential,
  });
}

/** Reads the real environment; the one place `process.env` is touched. */
export function configFromProcessEnv(): Config {
  return loadConfig(process.env);
}

/** For `npm run cli` and tests that need the test database URL without reading process.env elsewhere. */
export function testDatabaseUrl(): string | undefined {
  return process.env.TEST_DATABASE_URL || undefined;
}

/** For `npm run seed:bulk` and `npm run bench:console`: the PostgreSQL database they fill and measure. */
export function benchDatabaseUrl(): string | undefined {
  // Never falls back to DATABASE_URL: a benchmark must not write into the database the app serves.
  return process.env.BENCH_DATABASE_URL || undefined;
}
