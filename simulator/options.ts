// What a caller may configure: fixed credentials at construction, and the runtime knobs that the
// control API (`POST /__sim/config`) can change later.
import { randomUUID } from "node:crypto";
import type { ClockSetting } from "./clock";
import type { PhoneForm } from "./phone-forms";
import type { Scenario } from "./scenario-format";

export interface SimulatorLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
}

export interface SimulatorOptions {
  consumerKey?: string;
  consumerSecret?: string;
  shortcode?: string;
  passkey?: string;
  tillNumber?: string;
  merchantName?: string;
  latencyMs?: number;
  lateDelayMs?: number;
  promptTimeoutMs?: number;
  tokenTtlSeconds?: number;
  hangMs?: number;
  callbackTimeoutMs?: number;
  enforceSubscriberLock?: boolean;
  enforceRuleLimit?: boolean;
  phoneForm?: PhoneForm;
  phoneFormByNumber?: Record<string, PhoneForm>;
  earlyQueryMs?: number;
  queryBudget?: QueryBudget | null;
  callbackShape?: Partial<CallbackShape>;
  /** Folder of named scenarios (*.json); default simulator/scenarios. null = none. */
  scenarioDir?: string | null;
  /** More named scenarios (e.g. from `--scenario FILE`); they win over a folder file of the same name. */
  scenarios?: Scenario[];
  /** Same seed → same tokens, IDs and receipts (given the same clock). */
  seed?: string | number;
  /** Shorthand for a fixed seed when no `seed` is given. */
  deterministic?: boolean;
  logger?: SimulatorLogger;
  fetch?: typeof fetch;
}

export interface Credentials {
  consumerKey: string;
  consumerSecret: string;
  shortcode: string;
  passkey: string;
  tillNumber: string | null;
  merchantName: string;
}

/** An Apigee SpikeArrest on STK Query: `limit` per `windowMs`, at most `burst` at once (HTTP 429). */
export interface QueryBudget {
  limit: number;
  windowMs: number;
  burst: number;
}

/** How success callbacks are written: value types, item order, and whether TransactionDate is there. */
export interface CallbackShape {
  amount: "number" | "string";
  transactionDate: "number" | "string" | "absent";
  phone: "number" | "string";
  itemOrder: "documented" | "reversed";
}

export const DOCUMENTED_SHAPE: CallbackShape = {
  amount: "number",
  transactionDate: "number",
  phone: "number",
  itemOrder: "documented",
};

export interface SimConfig {
  latencyMs: number;
  /** null means 5× latencyMs, worked out when the late callback is scheduled. */
  lateDelayMs: number | null;
  promptTimeoutMs: number;
  tokenTtlSeconds: number;
  hangMs: number;
  callbackTimeoutMs: number;
  enforceSubscriberLock: boolean;
  enforceRuleLimit: boolean;
  /** How STK callbacks and C2B confirmations show the payer's number (phone-forms.ts). */
  phoneForm: PhoneForm;
  phoneFormByNumber: Record<string, PhoneForm>;
  /** A query this soon after the push answers 400 `Invalid CheckoutRequestID`, and 4999 after it while pending. 0 = off. */
  earlyQueryMs: number;
  queryBudget: QueryBudget | null;
  callbackShape: CallbackShape;
  clock: ClockSetting;
}

/** Safaricom's public sandbox passkey for shortcode 174379 (docs/daraja.md#stk-push-request). */
export const SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919";

export const silentLogger: SimulatorLogger = { info() {}, warn() {} };

export function resolveCredentials(o: SimulatorOptions): Credentials {
  return {
    consumerKey: o.consumerKey ?? "sim-consumer-key",
    consumerSecret: o.consumerSecret ?? "sim-consumer-secret",
    shortcode: o.shortcode ?? "174379",
    passkey: o.passkey ?? SANDBOX_PASSKEY,
    tillNumber: o.tillNumber ?? null,
    merchantName: o.merchantName ?? "SIMULATED MERCHANT",
  };
}

export function resolveConfig(o: SimulatorOptions): SimConfig {
  return {
    latencyMs: o.latencyMs ?? 2000,
    lateDelayMs: o.lateDelayMs ?? null,
    promptTimeoutMs: o.promptTimeoutMs ?? 60_000,
    tokenTtlSeconds: o.tokenTtlSeconds ?? 3599,
    hangMs: o.hangMs ?? 60_000,
    callbackTimeoutMs: o.callbackTimeoutMs ?? 10_000,
    enforceSubscriberLock: o.enforceSubscriberLock ?? true,
    enforceRuleLimit: o.enforceRuleLimit ?? true,
    phoneForm: o.phoneForm ?? "full",
    phoneFormByNumber: { ...o.phoneFormByNumber },
    earlyQueryMs: o.earlyQueryMs ?? 0,
    queryBudget: o.queryBudget ?? null,
    callbackShape: { ...DOCUMENTED_SHAPE, ...o.callbackShape },
    clock: { now: null, offsetMs: 0 },
  };
}

export function resolveSeed(o: SimulatorOptions): string {
  if (o.seed !== undefined) return String(o.seed);
  return o.deterministic ? "daraja-simulator" : randomUUID();
}
